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

const resolve = (node: SchemaNode): SchemaNode => {
  const ref = node['$ref'];
  return typeof ref === 'string' && ref.startsWith('#/definitions/')
    ? (DEFINITIONS[ref.slice('#/definitions/'.length)] ?? node)
    : node;
};

/** Whether a schema node accepts a string (a literal secret), through `$ref`, `allOf` and `anyOf`/`oneOf`. */
function acceptsString(schema: SchemaNode): boolean {
  const node = resolve(schema);
  if (node['type'] !== undefined) {
    const types = node['type'];
    if (!(types === 'string' || (Array.isArray(types) && types.includes('string')))) return false;
  }
  const all = (node['allOf'] as SchemaNode[] | undefined) ?? [];
  const any = [
    ...((node['anyOf'] as SchemaNode[] | undefined) ?? []),
    ...((node['oneOf'] as SchemaNode[] | undefined) ?? []),
  ];
  if (node['type'] === undefined && all.length === 0 && any.length === 0) return false;
  return all.every(acceptsString) && (any.length === 0 || any.some(acceptsString));
}

/** A secret key: its path (`ANY_INDEX` for any list entry) and whether it may hold a literal. */
export interface SecretKey {
  readonly path: Path;
  /** The key takes a literal (stored in the release Secret); else only a {secretName, secretKey} reference. */
  readonly literal: boolean;
}

function collect(schema: SchemaNode, path: Path, out: SecretKey[], seen: ReadonlySet<SchemaNode>): void {
  if (seen.has(schema)) return;
  const inner = new Set(seen).add(schema);
  if (schema['writeOnly'] === true) {
    out.push({ path, literal: acceptsString(schema) });
    return;
  }
  const node = resolve(schema);
  if (node !== schema) collect(node, path, out, inner);
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    for (const branch of (node[keyword] as SchemaNode[] | undefined) ?? []) collect(branch, path, out, inner);
  }
  for (const [key, child] of Object.entries((node['properties'] as Record<string, SchemaNode> | undefined) ?? {}))
    collect(child, [...path, key], out, inner);
  const items = node['items'];
  if (items && typeof items === 'object' && !Array.isArray(items))
    collect(items as SchemaNode, [...path, ANY_INDEX], out, inner);
}

function secretKeys(): SecretKey[] {
  const out: SecretKey[] = [];
  collect(VALUES_SCHEMA, [], out, new Set());
  return [...new Map(out.map((k) => [formatPath(k.path), k])).values()];
}

/** The secret keys, a list index written `[-1]` (any entry), e.g. `servingEngineSpec.modelSpec[-1].hf_token`. */
export const SECRET_KEYS: readonly SecretKey[] = secretKeys();

const matches = (key: Path, path: Path, n: number): boolean =>
  key.slice(0, n).every((segment, i) => (segment === ANY_INDEX ? typeof path[i] === 'number' : segment === path[i]));

/** Whether `path` is a secret key or lies inside one (e.g. `servingEngineSpec.vllmApiKey.secretName`). */
export function isSecretPath(path: Path): boolean {
  return SECRET_KEYS.some(({ path: key }) => path.length >= key.length && matches(key, path, key.length));
}

/** A secret key set in a values document. */
export interface SecretEntry extends SecretKey {
  /** The key's concrete path. */
  readonly path: Path;
  readonly value: unknown;
}

/** The secret keys set in `values`, in the order of SECRET_KEYS then of list entries. */
export function secretEntries(values: unknown): SecretEntry[] {
  const out: SecretEntry[] = [];
  const walk = (node: unknown, key: SecretKey, at: Path): void => {
    if (at.length === key.path.length) {
      if (node !== undefined && node !== null) out.push({ ...key, path: at, value: node });
      return;
    }
    const segment = key.path[at.length]!;
    if (segment === ANY_INDEX) {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, key, [...at, i]));
    } else if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      walk((node as Record<string, unknown>)[segment], key, [...at, segment]);
    }
  };
  for (const key of SECRET_KEYS) walk(values, key, []);
  return out;
}

/**
 * A Go regular expression (RE2) matching the formatted paths (`formatPath`) of the secret keys and of what lies
 * inside them, for templates that must not print a secret (the chart's guard).
 */
export function secretPathPattern(): string {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const one = (key: Path): string =>
    key
      .map((segment, i) =>
        segment === ANY_INDEX ? '\\[[0-9]+\\]' : `${i === 0 ? '' : '\\.'}${escape(String(segment))}`,
      )
      .join('');
  return `^(${SECRET_KEYS.map((k) => one(k.path)).join('|')})($|[.[])`;
}
