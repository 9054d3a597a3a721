/**
 * Defaults of the values file. The schema's `default` keywords own them (they are also what `helm
 * install` users see in values.yaml); this module only reads them, so the constructs, the compiler and the
 * chart can never disagree.
 */
import { VALUES_SCHEMA } from '../schema/schema.js';
import type {
  CacheserverSpec,
  LoraController,
  RouterSpec,
  ServingEngineSpec,
  SharedPvcStorage,
} from '../schema/values.generated.js';

interface SchemaNode {
  readonly properties?: Record<string, SchemaNode>;
  readonly default?: unknown;
}
const definitions = (VALUES_SCHEMA as { definitions: Record<string, SchemaNode> }).definitions;

/** The `default` of `definition`'s property at `keys` (nested objects' properties for more than one key). */
function schemaDefault<T>(definition: string, ...keys: string[]): T {
  const node = keys.reduce<SchemaNode | undefined>((n, key) => n?.properties?.[key], definitions[definition]);
  if (node?.default === undefined)
    throw new Error(`values.schema.json has no default for ${[definition, ...keys].join('.')}`);
  return structuredClone(node.default) as T;
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

export const INFERENCE_POOL_DEFAULTS = {
  endpointPickerPort: schemaDefault<number>('inferencePool', 'endpointPickerPort'),
} as const;

export const SERVICE_MONITOR_DEFAULTS = {
  interval: schemaDefault<string>('serviceMonitor', 'interval'),
  scrapeTimeout: schemaDefault<string>('serviceMonitor', 'scrapeTimeout'),
  honorLabels: schemaDefault<boolean>('serviceMonitor', 'honorLabels'),
} as const;

type CacheServer = Required<CacheserverSpec>;
export const CACHE_SERVER_DEFAULTS = {
  image: {
    repository: schemaDefault<string>('cacheserverSpec', 'image', 'repository'),
    tag: schemaDefault<string>('cacheserverSpec', 'image', 'tag'),
  },
  imagePullPolicy: schemaDefault<CacheServer['imagePullPolicy']>('cacheserverSpec', 'imagePullPolicy'),
  replicaCount: schemaDefault<number>('cacheserverSpec', 'replicaCount'),
  containerPort: schemaDefault<number>('cacheserverSpec', 'containerPort'),
  servicePort: schemaDefault<number>('cacheserverSpec', 'servicePort'),
  serviceType: schemaDefault<CacheServer['serviceType']>('cacheserverSpec', 'serviceType'),
  strategy: schemaDefault<CacheServer['strategy']>('cacheserverSpec', 'strategy'),
  livenessProbe: schemaDefault<Required<CacheServer['livenessProbe']>>('cacheserverSpec', 'livenessProbe'),
  runtimeClassName: schemaDefault<string>('cacheserverSpec', 'runtimeClassName'),
  schedulerName: schemaDefault<string>('cacheserverSpec', 'schedulerName'),
  priorityClassName: schemaDefault<string>('cacheserverSpec', 'priorityClassName'),
  serde: schemaDefault<string>('cacheserverSpec', 'serde'),
} as const;

export const GRAFANA_DASHBOARDS_DEFAULTS = {
  labels: schemaDefault<Record<string, string>>('grafanaDashboardsSpec', 'labels'),
} as const;

export const SHARED_STORAGE_DEFAULTS = {
  size: schemaDefault<string>('sharedPvcStorage', 'size'),
  accessModes: schemaDefault<NonNullable<SharedPvcStorage['accessModes']>>('sharedPvcStorage', 'accessModes'),
  storageClass: schemaDefault<string>('sharedPvcStorage', 'storageClass'),
  image: {
    repository: schemaDefault<string>('sharedPvcStorage', 'image', 'repository'),
    tag: schemaDefault<string>('sharedPvcStorage', 'image', 'tag'),
  },
} as const;

export const LORA_CONTROLLER_DEFAULTS = {
  kubernetesClusterDomain: schemaDefault<string>('loraController', 'kubernetesClusterDomain'),
  replicaCount: schemaDefault<number>('loraController', 'replicaCount'),
  image: {
    repository: schemaDefault<string>('loraController', 'image', 'repository'),
    tag: schemaDefault<string>('loraController', 'image', 'tag'),
    pullPolicy: schemaDefault<NonNullable<NonNullable<LoraController['image']>['pullPolicy']>>(
      'loraController',
      'image',
      'pullPolicy',
    ),
  },
  podSecurityContext: schemaDefault<Record<string, unknown>>('loraController', 'podSecurityContext'),
  containerSecurityContext: schemaDefault<Record<string, unknown>>('loraController', 'containerSecurityContext'),
  metrics: schemaDefault<boolean>('loraController', 'metrics', 'enabled'),
  webhook: schemaDefault<boolean>('loraController', 'webhook', 'enabled'),
} as const;

export const LORA_ADAPTER_DEFAULTS = {
  algorithm: schemaDefault<string>('loraAdapter', 'loraAdapterDeploymentConfig', 'algorithm'),
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
  autoscaling: {
    minReplicas: schemaDefault<number>('routerSpec', 'autoscaling', 'minReplicas'),
    maxReplicas: schemaDefault<number>('routerSpec', 'autoscaling', 'maxReplicas'),
    targetCPUUtilizationPercentage: schemaDefault<number>(
      'routerSpec',
      'autoscaling',
      'targetCPUUtilizationPercentage',
    ),
  },
  routeApiVersion: schemaDefault<string>('routerRoute', 'apiVersion'),
  routeMatches: schemaDefault<Array<Record<string, unknown>>>('routerRoute', 'matches'),
  ingressHosts: schemaDefault<NonNullable<NonNullable<RouterSpec['ingress']>['hosts']>>(
    'routerSpec',
    'ingress',
    'hosts',
  ),
} as const;
