/**
 * Map defaults merge with the given map, as Helm merges a values file into the chart's values.yaml.
 *
 * Some keys default to a map (`servingEngineSpec.labels` is `{environment: test, release: test}`, as in
 * production-stack's values.yaml). With production-stack's chart, a values file that sets `labels: {team: a}` gets
 * all three labels: Helm merges the given map into the default key by key (recursively), and a key given as `null`
 * removes it. ajv's `useDefaults` only fills a key that is absent, so a given map would replace the default, and the
 * engines' labels and selectors would differ from production-stack's (a selector is immutable: `helm upgrade` from
 * production-stack's chart would fail). This fills, before validation, each default key the given map lacks, drops
 * default keys given as `null`, and reads a map given as `null` as `{}` (none of its defaults). A `null` under a key
 * the default does not have is left for the schema to reject.
 *
 * The map defaults are read from the schema (`VALUES_SCHEMA`): every property of the top-level sections' definitions
 * whose `default` is a non-empty object. Values built in code and given to the constructs directly are not merged:
 * there, the map given is the map used.
 */
import { VALUES_SCHEMA } from './schema.js';

type Json = Record<string, unknown>;
type SchemaNode = {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly allOf?: readonly { readonly $ref?: string }[];
  readonly default?: unknown;
};

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `[section, key, default]` for every map default of a top-level section (`servingEngineSpec.labels`, ...). */
export const MAP_DEFAULTS: readonly (readonly [string, string, Json])[] = (() => {
  const schema = VALUES_SCHEMA as { properties: Record<string, SchemaNode>; definitions: Record<string, SchemaNode> };
  const found: [string, string, Json][] = [];
  for (const [section, node] of Object.entries(schema.properties)) {
    const ref = node.allOf?.[0]?.$ref?.replace('#/definitions/', '');
    const definition = ref === undefined ? node : schema.definitions[ref];
    for (const [key, property] of Object.entries(definition?.properties ?? {}))
      if (isMap(property.default) && Object.keys(property.default).length > 0)
        found.push([section, key, property.default]);
  }
  return found;
})();

/** Merges `defaults` into `given` in place, as Helm coalesces values (given wins; `null` removes a default key). */
function coalesce(given: Json, defaults: Json): void {
  for (const [key, value] of Object.entries(defaults)) {
    if (!Object.hasOwn(given, key)) given[key] = structuredClone(value);
    else if (given[key] === null) delete given[key];
    else if (isMap(given[key]) && isMap(value)) coalesce(given[key], value);
  }
}

/** Merges the map defaults into the maps `data` gives for them (in place). */
export function mergeMapDefaults(data: unknown): void {
  if (!isMap(data)) return;
  for (const [section, key, defaults] of MAP_DEFAULTS) {
    const spec = data[section];
    if (!isMap(spec) || !Object.hasOwn(spec, key)) continue;
    if (spec[key] === null) spec[key] = {};
    else if (isMap(spec[key])) coalesce(spec[key], defaults);
  }
}
