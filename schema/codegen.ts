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

export async function renderTypes(): Promise<string> {
  return compile(VALUES_SCHEMA as unknown as JSONSchema, 'PdstackValues', {
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
