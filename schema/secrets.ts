/**
 * Which values keys hold secrets. The schema marks them `writeOnly` (draft-07's annotation for a value that is
 * written but never shown back); this module finds them there, so the schema stays the one place that says it.
 * A secret's value is never printed (diagnostics, the chart's guard) nor compiled into a chart: code names the key.
 */
import { VALUES_SCHEMA } from './schema.js';
import { formatPath, type Path } from './source.js';

type SchemaNode = Readonly<Record<string, unknown>>;

/** Stands for "any list index" in a secret key's path. */
const ANY_INDEX = -1;

const DEFINITIONS = (VALUES_SCHEMA as { definitions: Record<string, SchemaNode> }).definitions;

function collect(node: SchemaNode, path: Path, out: Path[], seen: ReadonlySet<SchemaNode>): void {
  if (seen.has(node)) return;
  const inner = new Set(seen).add(node);
  if (node['writeOnly'] === true) {
    out.push(path);
    return;
  }
  const ref = node['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const target = DEFINITIONS[ref.slice('#/definitions/'.length)];
    if (target) collect(target, path, out, inner);
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    for (const branch of (node[keyword] as SchemaNode[] | undefined) ?? []) collect(branch, path, out, inner);
  }
  for (const [key, child] of Object.entries((node['properties'] as Record<string, SchemaNode> | undefined) ?? {}))
    collect(child, [...path, key], out, inner);
  const items = node['items'];
  if (items && typeof items === 'object' && !Array.isArray(items))
    collect(items as SchemaNode, [...path, ANY_INDEX], out, inner);
}

function secretKeys(): Path[] {
  const out: Path[] = [];
  collect(VALUES_SCHEMA, [], out, new Set());
  const unique = new Map(out.map((p) => [formatPath(p), p]));
  return [...unique.values()];
}

/** The key paths of secrets, a list index written `[-1]` (any entry), e.g. `servingEngineSpec.modelSpec[-1].hf_token`. */
export const SECRET_KEYS: readonly Path[] = secretKeys();

/** Whether `path` is a secret key or lies inside one (e.g. `servingEngineSpec.vllmApiKey.secretName`). */
export function isSecretPath(path: Path): boolean {
  return SECRET_KEYS.some(
    (key) =>
      path.length >= key.length &&
      key.every((segment, i) => (segment === ANY_INDEX ? typeof path[i] === 'number' : segment === path[i])),
  );
}
