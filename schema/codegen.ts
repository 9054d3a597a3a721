/**
 * Derives the TypeScript types of the values file from `values.schema.json`, the single source of truth.
 *
 * `npm run gen:types` rewrites `schema/values.generated.ts`; `test/schema/codegen.test.ts` fails when the
 * committed file differs from what the schema generates, so the two cannot drift.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { PACKAGE_ROOT } from './paths.js';
import { VALUES_SCHEMA } from './schema.js';

export const GENERATED_TYPES_FILE = join(PACKAGE_ROOT, 'schema', 'values.generated.ts');

const BANNER = `/* Generated from schema/values.schema.json by schema/codegen.ts (npm run gen:types). Do not edit. */`;

/**
 * The schema with each property's `default` also written into its description as `@default <value>`, so the
 * generated types show it (json-schema-to-typescript writes descriptions, not defaults). The schema stays the one
 * owner of the value.
 */
function withDefaultTags(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withDefaultTags);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = withDefaultTags(value);
  const properties = out['properties'];
  if (properties !== null && typeof properties === 'object') {
    for (const prop of Object.values(properties as Record<string, Record<string, unknown>>)) {
      if (prop['default'] === undefined) continue;
      const tag = `@default ${JSON.stringify(prop['default'])}`;
      const description = prop['description'];
      prop['description'] = typeof description === 'string' ? `${description}\n\n${tag}` : tag;
    }
  }
  return out;
}

export async function renderTypes(): Promise<string> {
  return compile(withDefaultTags(VALUES_SCHEMA) as JSONSchema, 'PdstackValues', {
    bannerComment: BANNER,
    unreachableDefinitions: true,
    format: true,
  });
}

if (require.main === module) {
  renderTypes().then((ts) => {
    writeFileSync(GENERATED_TYPES_FILE, ts);
    process.stderr.write(`wrote ${GENERATED_TYPES_FILE}\n`);
  });
}
