/**
 * Defaults of the values file. The schema's `default` keywords own them (they are also what `helm
 * install` users see in values.yaml); this module only reads them, so the constructs, the compiler and the
 * chart can never disagree.
 */
import { VALUES_SCHEMA } from '../schema/schema.js';
import type { RouterSpec, ServingEngineSpec } from '../schema/values.generated.js';

type Definitions = Record<string, { properties?: Record<string, { default?: unknown }> }>;
const definitions = (VALUES_SCHEMA as { definitions: Definitions }).definitions;

function schemaDefault<T>(definition: string, key: string): T {
  const value = definitions[definition]?.properties?.[key]?.default;
  if (value === undefined) throw new Error(`values.schema.json has no default for ${definition}.${key}`);
  return structuredClone(value) as T;
}

export const ENGINE_DEFAULTS = {
  containerPort: schemaDefault<number>('servingEngineSpec', 'containerPort'),
  servicePort: schemaDefault<number>('servingEngineSpec', 'servicePort'),
  labels: schemaDefault<Record<string, string>>('servingEngineSpec', 'labels'),
  runtimeClassName: schemaDefault<string>('servingEngineSpec', 'runtimeClassName'),
  imagePullPolicy: schemaDefault<NonNullable<ServingEngineSpec['imagePullPolicy']>>(
    'servingEngineSpec',
    'imagePullPolicy',
  ),
  containerSecurityContext: schemaDefault<Record<string, unknown>>('servingEngineSpec', 'containerSecurityContext'),
  replicaCount: schemaDefault<number>('modelSpec', 'replicaCount'),
} as const;

export const SERVICE_MONITOR_DEFAULTS = {
  interval: schemaDefault<string>('serviceMonitor', 'interval'),
  scrapeTimeout: schemaDefault<string>('serviceMonitor', 'scrapeTimeout'),
  honorLabels: schemaDefault<boolean>('serviceMonitor', 'honorLabels'),
} as const;

export const ROUTER_DEFAULTS = {
  repository: schemaDefault<string>('routerSpec', 'repository'),
  tag: schemaDefault<string>('routerSpec', 'tag'),
  imagePullPolicy: schemaDefault<NonNullable<RouterSpec['imagePullPolicy']>>('routerSpec', 'imagePullPolicy'),
  replicaCount: schemaDefault<number>('routerSpec', 'replicaCount'),
  containerPort: schemaDefault<number>('routerSpec', 'containerPort'),
  servicePort: schemaDefault<number>('routerSpec', 'servicePort'),
  serviceType: schemaDefault<NonNullable<RouterSpec['serviceType']>>('routerSpec', 'serviceType'),
  serviceDiscovery: schemaDefault<NonNullable<RouterSpec['serviceDiscovery']>>('routerSpec', 'serviceDiscovery'),
  k8sServiceDiscoveryType: schemaDefault<NonNullable<RouterSpec['k8sServiceDiscoveryType']>>(
    'routerSpec',
    'k8sServiceDiscoveryType',
  ),
  routingLogic: schemaDefault<NonNullable<RouterSpec['routingLogic']>>('routerSpec', 'routingLogic'),
  prefixMinMatchLength: schemaDefault<number>('routerSpec', 'prefixMinMatchLength'),
  engineScrapeInterval: schemaDefault<number>('routerSpec', 'engineScrapeInterval'),
  requestStatsWindow: schemaDefault<number>('routerSpec', 'requestStatsWindow'),
  resources: schemaDefault<Record<string, unknown>>('routerSpec', 'resources'),
  labels: schemaDefault<Record<string, string>>('routerSpec', 'labels'),
} as const;
