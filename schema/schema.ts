/**
 * The values JSON Schema (draft-07, self-contained): validated by ajv here, the source of the generated types
 * (`codegen.ts`) and shipped as the chart's values.schema.json.
 *
 * `values.schema.json` is its source except for the facts that `schema/facts/` owns because the constructs and the
 * router use them without the schema: they are filled in here, each at its place, so each is written once. The JSON
 * leaves them out; filling in a key it already has, or a place it no longer has, throws.
 */
import { DNS_LABEL_MAX_LENGTH, DNS_LABEL_PATTERN } from './facts/dns-label.js';
import { DEFAULT_LMCACHE_LOG_LEVEL } from './facts/lmcache.js';
import { PROMETHEUS_DURATION_PATTERN } from './facts/prometheus.js';
import { QUANTITY_PATTERN } from './facts/quantity.js';
import { ROUTER_IMAGE_REPOSITORY } from './facts/router-image.js';
import { PACKAGE_VERSION } from './paths.js';
import { SUPPORTED_ROUTING_LOGICS } from './facts/routing-logic.js';
import schemaJson from './values.schema.json';

type Json = Record<string, unknown>;

/** pdstack-router's image: the default of routerSpec.repository/tag (the release workflow pushes it under this name). */
export const ROUTER_IMAGE = { repository: ROUTER_IMAGE_REPOSITORY, tag: PACKAGE_VERSION } as const;

interface Fact {
  /** The schema object the keys go into. */
  readonly at: readonly (string | number)[];
  /** The keys, inserted after the key named (keeps the order the chart's values.schema.json always had). */
  readonly after: string;
  readonly keys: Json;
}

const FACTS: readonly Fact[] = [
  { at: ['definitions', 'quantity', 'anyOf', 1], after: 'type', keys: { pattern: QUANTITY_PATTERN } },
  {
    at: ['definitions', 'dnsLabel'],
    after: 'type',
    keys: { pattern: DNS_LABEL_PATTERN, maxLength: DNS_LABEL_MAX_LENGTH },
  },
  ...(['interval', 'scrapeTimeout'] as const).map((key) => ({
    at: ['definitions', 'serviceMonitor', 'properties', key],
    after: 'type',
    keys: { pattern: PROMETHEUS_DURATION_PATTERN },
  })),
  {
    at: ['definitions', 'routerSpec', 'properties', 'routingLogic'],
    after: 'type',
    keys: { enum: [...SUPPORTED_ROUTING_LOGICS] },
  },
  {
    at: ['definitions', 'routerSpec', 'properties', 'repository'],
    after: 'description',
    keys: { default: ROUTER_IMAGE.repository },
  },
  { at: ['definitions', 'routerSpec', 'properties', 'tag'], after: 'anyOf', keys: { default: ROUTER_IMAGE.tag } },
  {
    at: ['definitions', 'routerSpec', 'properties', 'lmcacheConfig', 'properties', 'logLevel'],
    after: 'enum',
    keys: { default: DEFAULT_LMCACHE_LOG_LEVEL },
  },
];

function fillIn(schema: Json, { at, after, keys }: Fact): void {
  const where = `values.schema.json at ${at.join('.')}`;
  const parent = at.slice(0, -1).reduce<unknown>((node, key) => (node as Json | undefined)?.[key], schema) as
    Json | undefined;
  const last = at[at.length - 1]!;
  const target = parent?.[last] as Json | undefined;
  if (typeof target !== 'object' || target === null || !(after in target))
    throw new Error(`${where}: no object with \`${after}\` to fill in`);
  const taken = Object.keys(keys).filter((key) => key in target);
  if (taken.length > 0)
    throw new Error(`${where}: ${taken.join(', ')} belongs to schema/facts; remove it from the JSON`);
  const entries = Object.entries(target);
  const split = entries.findIndex(([key]) => key === after) + 1;
  parent![last] = Object.fromEntries([...entries.slice(0, split), ...Object.entries(keys), ...entries.slice(split)]);
}

function valuesSchema(): Json {
  const schema = structuredClone(schemaJson) as Json;
  for (const fact of FACTS) fillIn(schema, fact);
  return schema;
}

export const VALUES_SCHEMA: Readonly<Record<string, unknown>> = valuesSchema();
