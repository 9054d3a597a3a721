/**
 * The values file → construct props: the thin mapping `PdStack` (and so `pdstack synth` and the chart generator)
 * builds its engines and router with, and the one place where a values key becomes a prop: quantities are parsed,
 * secrets take their factory, keys are grouped as the props group them, shared and model keys are resolved. The values were checked by the compiler, which applies the rules the constructors
 * enforce (schema/facts/), so nothing here throws for values that passed `pdstack validate`.
 */
import type { k8s } from 'cdk8s-plus-28';
import { Quantity } from '../schema/facts/quantity.js';
import { expandReleaseTemplates } from '../schema/facts/release-template.js';
import { isHttpRouteApiVersion } from '../schema/facts/route-kinds.js';
import type {
  CacheserverSpec,
  LoraAdapter as LoraAdapterValues,
  LoraController as LoraControllerValues,
  ModelSpec,
  Pdb,
  Probe,
  RouterSpec,
  SecretValue,
  ServiceMonitor,
  ServingEngineSpec,
  SharedPvcStorage,
} from '../schema/values.generated.js';
import { LORA_CONTROLLER_DEFAULTS, ROUTER_DEFAULTS } from './defaults.js';
import { fromUser, intOrString } from './kube-json.js';
import { nonEmpty, type DisruptionBudget } from './workload.js';
import type { LmcacheServerProps } from './cache-server.js';
import { ChatTemplate, ModelStorage, type EngineInitContainer, type VllmEngineProps } from './engine-props.js';
import type { LoraAdapterProps } from './lora-adapter.js';
import { imageOrDefault, type LoraControllerProps, type LoraSharedStorage } from './lora-controller.js';
import type { VllmRayClusterProps } from './ray-cluster.js';
import { SecretSource } from './release-secret.js';
import type { ProbeOverrides } from './probes.js';
import type { RelabelConfig, ServiceMonitorScrape } from './service-monitor.js';
import type { SharedStorageProps } from './shared-storage.js';
import { RouterDiscovery, type RouterEngineDiscovery, type VllmRouter, type VllmRouterProps } from './router.js';
import type { RouterAutoscalerProps } from './router-hpa.js';
import type { RouterIngressProps } from './router-ingress.js';
import type { RouterPdbProps } from './router-pdb.js';
import type { RouterHttpRouteProps } from './router-route.js';
import type { RouterServiceMonitorProps } from './router-service-monitor.js';

/**
 * The props of the engine of one enabled `modelSpec[]` entry; `engineSpec` is `servingEngineSpec` without `modelSpec`.
 * A model's key wins over the shared one (`runtimeClassName`, `schedulerName`, `pdb`); the shared `env` comes before
 * the model's; `tolerationsPolicy` decides whether the shared tolerations are kept.
 */
export function engineProps(
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
  engineSpec: Readonly<Omit<ServingEngineSpec, 'modelSpec'>>,
): VllmEngineProps {
  const shared = engineSpec;
  const quantity = (value: string | number | undefined, key: string): Quantity | undefined =>
    value === undefined ? undefined : Quantity.parse(value, key);
  const hami = (request: string | number | undefined, limit: string | number | undefined) =>
    request === undefined && limit === undefined ? undefined : { request, limit };
  const tolerations =
    spec.tolerationsPolicy === 'override' && (spec.tolerations?.length ?? 0) > 0
      ? spec.tolerations
      : [...(shared.tolerations ?? []), ...(spec.tolerations ?? [])];
  const env = [...(shared.env ?? []), ...(spec.env ?? [])];
  return {
    release,
    namespace,
    name: spec.name,
    image: {
      repository: spec.repository,
      tag: String(spec.tag),
      pullPolicy: shared.imagePullPolicy,
      pullSecret: spec.imagePullSecret || undefined,
    },
    modelURL: spec.modelURL,
    resources: {
      cpu: Quantity.parse(spec.requestCPU, 'requestCPU'),
      memory: Quantity.parse(spec.requestMemory, 'requestMemory'),
      gpus: quantity(spec.requestGPU, 'requestGPU'),
      gpuType: spec.requestGPUType,
      cpuLimit: quantity(spec.limitCPU, 'limitCPU'),
      memoryLimit: quantity(spec.limitMemory, 'limitMemory'),
      hami: {
        gpuMemory: hami(spec.requestGPUMem, spec.limitGPUMem),
        gpuMemoryPercentage: hami(spec.requestGPUMemPercentage, spec.limitGPUMemPercentage),
        gpuCores: hami(spec.requestGPUCores, spec.limitGPUCores),
      },
      override: spec.resources,
    },
    hfToken: SecretSource.fromValues(spec.hf_token),
    apiKey: SecretSource.fromValues(shared.vllmApiKey),
    vllm: {
      config: spec.vllmConfig,
      revision: spec.modelRevision,
      chatTemplate: spec.chatTemplate
        ? spec.chatTemplateConfigMap !== undefined
          ? ChatTemplate.inline(spec.chatTemplate, spec.chatTemplateConfigMap)
          : ChatTemplate.fromTemplatesClaim(spec.chatTemplate)
        : undefined,
      enableAutoToolChoice: spec.enableTool,
      toolCallParser: spec.toolCallParser,
      enableLora: spec.enableLoRA,
    },
    lmcache: spec.lmcacheConfig,
    replicas: spec.replicaCount,
    containerPort: shared.containerPort,
    selectorLabels: shared.labels,
    metadata: { labels: spec.labels, annotations: spec.annotations },
    podMetadata: { labels: spec.podLabels, annotations: spec.podAnnotations },
    scheduling: {
      affinity: kube<k8s.Affinity>(spec.affinity),
      nodeSelectorTerms: kube<k8s.NodeSelectorTerm[]>(spec.nodeSelectorTerms),
      tolerations: kube<k8s.Toleration[]>(tolerations),
      nodeName: spec.nodeName || undefined,
      runtimeClassName: spec.runtimeClassName ?? shared.runtimeClassName,
      priorityClassName: spec.priorityClassName || undefined,
      schedulerName: spec.schedulerName || shared.schedulerName || undefined,
    },
    serviceAccountName: spec.serviceAccountName || undefined,
    storage: {
      model: modelStorage(spec),
      shmSize: quantity(spec.shmSize, 'shmSize'),
      volumes: kube<k8s.Volume[]>(spec.extraVolumes),
      volumeMounts: kube<k8s.VolumeMount[]>(spec.extraVolumeMounts),
    },
    env: {
      vars: kube<k8s.EnvVar[]>(env),
      fromSecret: spec.envFromSecret?.name,
      fromConfigsConfigMap: nonEmpty(shared.configs) !== undefined,
    },
    probes: {
      startup: probeOverrides(shared.startupProbe),
      liveness: probeOverrides(shared.livenessProbe),
      readiness: probeOverrides(shared.readinessProbe),
    },
    service: {
      port: shared.servicePort,
      extraPorts: kube<k8s.ServicePort[]>(shared.extraPorts),
      annotations: spec.serviceAnnotations,
    },
    strategy: kube<k8s.DeploymentStrategy>(shared.strategy),
    podSecurityContext: kube<k8s.PodSecurityContext>(shared.securityContext),
    // `containerSecurityContext: {}` stands (none); only an unset one takes the default
    containerSecurityContext:
      shared.containerSecurityContext && fromUser<k8s.SecurityContext>(shared.containerSecurityContext),
    initContainer: engineInitContainer(spec.initContainer),
    loraSidecar: shared.sidecar,
    // a model's pdb replaces servingEngineSpec.pdb whole
    pdb: disruptionBudget(spec.pdb ?? shared.pdb),
    keda: spec.keda,
  };
}

/**
 * production-stack's `initContainer` (name, image, command, args, env, resources, mountPvcStorage, extraVolumeMounts;
 * other keys are not read) → `EngineInitContainer`, its verbatim objects converted.
 */
function engineInitContainer(given: Readonly<Record<string, unknown>> | undefined): EngineInitContainer | undefined {
  if (!given) return undefined;
  const init = given as {
    name?: string;
    image?: string;
    command?: string[];
    args?: string[];
    env?: object[];
    resources?: object | null;
    mountPvcStorage?: boolean;
    extraVolumeMounts?: object[];
  };
  return {
    name: init.name,
    image: init.image,
    command: init.command,
    args: init.args,
    env: init.env && fromUser<k8s.EnvVar[]>(init.env),
    resources: kube<k8s.ResourceRequirements>(init.resources ?? undefined),
    mountModelStorage: init.mountPvcStorage,
    volumeMounts: init.extraVolumeMounts && fromUser<k8s.VolumeMount[]>(init.extraVolumeMounts),
  };
}

/** `pvcStorage` with `pvcExistingClaimName` and the `pvc*` keys: an emptyDir, an existing claim, or a claim made. */
function modelStorage(spec: Readonly<ModelSpec>): ModelStorage | undefined {
  const storage = spec.pvcStorage;
  if (storage === undefined) return undefined;
  if (typeof storage === 'object')
    return ModelStorage.emptyDir(storage.emptyDir && fromUser<k8s.EmptyDirVolumeSource>(storage.emptyDir));
  if (spec.pvcExistingClaimName !== undefined) return ModelStorage.existingClaim(spec.pvcExistingClaimName);
  return ModelStorage.claim(Quantity.parse(storage, 'pvcStorage'), {
    accessModes: spec.pvcAccessMode,
    storageClass: spec.storageClass,
    matchLabels: spec.pvcMatchLabels,
    labels: spec.pvcLabels,
    annotations: spec.pvcAnnotations,
  });
}

/**
 * The props of the RayCluster of one enabled `modelSpec[]` entry with `raySpec.enabled`: the engine's props (the
 * workers') without `raySpec`, plus the head node of `raySpec.headNode`, its quantities parsed as the model's are.
 */
export function rayClusterProps(
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
  engineSpec: Readonly<Omit<ServingEngineSpec, 'modelSpec'>>,
): VllmRayClusterProps {
  const { raySpec, ...model } = spec;
  if (!raySpec?.headNode) throw new Error(`internal: KubeRay model ${spec.name} has no raySpec.headNode`);
  const { resources, initContainer, ...head } = raySpec.headNode;
  // the head's quantities replace the worker's, limits included; production-stack sizes the head from
  // raySpec.headNode only, which has no HAMi keys, so the head gets none of the worker's HAMi resources
  const headModel = {
    ...model,
    requestGPU: undefined,
    requestGPUType: undefined,
    limitCPU: undefined,
    limitMemory: undefined,
    requestGPUMem: undefined,
    limitGPUMem: undefined,
    requestGPUMemPercentage: undefined,
    limitGPUMemPercentage: undefined,
    requestGPUCores: undefined,
    limitGPUCores: undefined,
  };
  return {
    ...engineProps(release, namespace, model, engineSpec),
    head: {
      resources: engineProps(release, namespace, { ...headModel, ...head }, engineSpec).resources,
      resourcesOverride: resources,
      initContainer: engineInitContainer(initContainer),
    },
  };
}

/**
 * The props of the router of `routerSpec` (when it is enabled). Kubernetes objects given verbatim (affinity,
 * volumes, ports, env, ...) are converted for the typed `k8s` classes (`fromUser`); an empty map or list is unset.
 * `enableRouter` (a router is built), `enablePD` (a compile-time assertion) and the kvaware controller ports (refused
 * by the compiler) have no prop; `autoscaling`, `ingress`, `route`, `serviceMonitor` and `pdb` are the objects of
 * `routerExposureProps`.
 */
export function routerProps(
  release: string,
  namespace: string,
  spec: Readonly<RouterSpec>,
  engines: RouterEngineDiscovery,
): VllmRouterProps {
  const k8sType = spec.k8sServiceDiscoveryType ?? ROUTER_DEFAULTS.k8sServiceDiscoveryType;
  const list = (text: string | undefined): string[] => (text ?? '').split(',');
  const apiKey = spec.vllmApiKey;
  return {
    release,
    namespace,
    engines,
    discovery:
      (spec.serviceDiscovery ?? ROUTER_DEFAULTS.serviceDiscovery) === 'static'
        ? RouterDiscovery.staticBackends(list(spec.staticBackends), list(spec.staticModels), k8sType)
        : RouterDiscovery.kubernetes(k8sType),
    image: {
      repository: spec.repository,
      tag: spec.tag === undefined ? undefined : String(spec.tag),
      pullPolicy: spec.imagePullPolicy,
      pullSecrets: kube<k8s.LocalObjectReference[]>(spec.imagePullSecrets),
    },
    replicas: spec.replicaCount,
    containerPort: spec.containerPort,
    routing: {
      logic: spec.routingLogic,
      sessionKey: spec.sessionKey,
      prefixMinMatchLength: spec.prefixMinMatchLength,
    },
    stats: {
      engineScrapeIntervalSeconds: spec.engineScrapeInterval,
      requestStatsWindowSeconds: spec.requestStatsWindow,
    },
    rootPath: spec.rootPath,
    extraArgs: spec.extraArgs?.map(String),
    tracing: spec.otel?.endpoint ? { ...spec.otel, endpoint: spec.otel.endpoint } : undefined,
    hfToken: SecretSource.fromValues(spec.hf_token),
    // the router's own key is a reference only (routerSpec.vllmApiKey); else the engines'
    apiKey:
      apiKey?.secretName && apiKey.secretKey ? SecretSource.fromSecret(apiKey.secretName, apiKey.secretKey) : undefined,
    lmcacheLogLevel: spec.lmcacheConfig?.logLevel,
    env: kube<k8s.EnvVar[]>(spec.env),
    serviceAccountName: spec.serviceAccountName || undefined,
    labels: spec.labels,
    podAnnotations: spec.podAnnotations,
    scheduling: {
      affinity: kube<k8s.Affinity>(spec.affinity),
      nodeSelectorTerms: kube<k8s.NodeSelectorTerm[]>(spec.nodeSelectorTerms),
      priorityClassName: spec.priorityClassName || undefined,
    },
    strategy: kube<k8s.DeploymentStrategy>(spec.strategy),
    podSecurityContext: kube<k8s.PodSecurityContext>(spec.securityContext),
    containerSecurityContext: kube<k8s.SecurityContext>(spec.containerSecurityContext),
    // `resources: {}` stands (no requests or limits); only an unset one takes the default
    resources: spec.resources && fromUser<k8s.ResourceRequirements>(spec.resources),
    probes: {
      startup: probeOverrides(spec.startupProbe),
      liveness: probeOverrides(spec.livenessProbe),
      readiness: probeOverrides(spec.readinessProbe),
    },
    service: {
      type: spec.serviceType,
      port: spec.servicePort,
      nodePort: spec.nodePort ?? undefined,
      annotations: spec.serviceAnnotations,
      extraPorts: kube<k8s.ServicePort[]>(spec.extraPorts),
    },
    volumes: kube<k8s.Volume[]>(spec.extraVolumes),
    volumeMounts: kube<k8s.VolumeMount[]>(spec.extraVolumeMounts),
  };
}

/**
 * An enabled `pdb` → the `DisruptionBudget` prop (undefined when not enabled). `null` for `minAvailable` or
 * `maxUnavailable` (production-stack's values.yaml default of both) is not set, as its template's `with`/`default`
 * read it.
 */
export function disruptionBudget(pdb: Readonly<Pdb> | undefined): DisruptionBudget | undefined {
  if (!pdb?.enabled) return undefined;
  const given = (value: string | number | null | undefined) => (value == null ? undefined : intOrString(value));
  return {
    labels: pdb.labels,
    annotations: pdb.annotations,
    minAvailable: given(pdb.minAvailable),
    maxUnavailable: given(pdb.maxUnavailable),
  };
}

/** A values probe (its fields over the default's) → `ProbeOverrides`, its ports converted. */
function probeOverrides(given: Readonly<Probe> | undefined): ProbeOverrides | undefined {
  return given && fromUser<ProbeOverrides>(given);
}

/** A Kubernetes object or list the values give verbatim, converted for the `k8s` classes; undefined when empty. */
function kube<T>(value: object | undefined): T | undefined {
  const given = nonEmpty(value);
  return given && fromUser<T>(given);
}

/** The props of the router-side objects `routerSpec` enables: PDB, autoscaler, Ingress, ServiceMonitor, routes. */
export interface RouterExposureProps {
  readonly pdb?: RouterPdbProps;
  readonly autoscaler?: RouterAutoscalerProps;
  readonly ingress?: RouterIngressProps;
  readonly serviceMonitor?: RouterServiceMonitorProps;
  /** One HTTPRoute per enabled `routerSpec.route` entry, in key order (Helm ranges over a map in key order). */
  readonly routes: readonly RouterHttpRouteProps[];
}

/**
 * The props of the objects around `router` that `routerSpec` enables. A route's `hostnames` and `additionalRules` get
 * the release expanded, as production-stack's `tpl` does; a route kind other than HTTPRoute (refused by the compiler)
 * throws.
 */
export function routerExposureProps(
  ctx: { readonly release: string; readonly namespace: string },
  spec: Readonly<RouterSpec>,
  router: Pick<VllmRouter, 'deployment' | 'serviceName'>,
): RouterExposureProps {
  const labels = spec.labels ?? ROUTER_DEFAULTS.labels;
  const service = { name: router.serviceName, port: spec.servicePort ?? ROUTER_DEFAULTS.servicePort };
  const { autoscaling, ingress, serviceMonitor } = spec;
  const routerPdb = disruptionBudget(spec.pdb);
  const routes = Object.entries(spec.route ?? {})
    .filter(([, route]) => route.enabled)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, route]): RouterHttpRouteProps => {
      const { kind = 'HTTPRoute', apiVersion } = route;
      if (kind !== 'HTTPRoute')
        throw new Error(`routerSpec.route.${name}.kind ${kind} is not rendered (pdstack validate says why)`);
      if (apiVersion !== undefined && !isHttpRouteApiVersion(apiVersion))
        throw new Error(`routerSpec.route.${name}.apiVersion ${apiVersion} does not serve HTTPRoute`);
      return {
        ...ctx,
        route: name,
        service,
        apiVersion,
        labels: { ...labels, ...route.labels },
        annotations: route.annotations,
        parentRefs: route.parentRefs,
        hostnames: expandReleaseTemplates(route.hostnames, ctx),
        additionalRules: expandReleaseTemplates(route.additionalRules, ctx),
        httpsRedirect: route.httpsRedirect,
        // production-stack's redirect rule carries no matches or filters
        matches: route.httpsRedirect ? undefined : route.matches,
        filters: route.httpsRedirect ? undefined : route.filters,
      };
    });
  return {
    pdb: routerPdb && { ...ctx, labels, pdb: routerPdb },
    autoscaler: autoscaling?.enabled
      ? {
          ...ctx,
          deployment: router.deployment,
          labels,
          minReplicas: autoscaling.minReplicas,
          maxReplicas: autoscaling.maxReplicas,
          targetCpuUtilizationPercentage: autoscaling.targetCPUUtilizationPercentage,
        }
      : undefined,
    ingress: ingress?.enabled
      ? {
          ...ctx,
          service,
          labels,
          className: ingress.className,
          annotations: ingress.annotations,
          hosts: ingress.hosts,
          tls: ingress.tls,
        }
      : undefined,
    serviceMonitor: serviceMonitor?.enabled ? { ...ctx, labels, ...serviceMonitorProps(serviceMonitor) } : undefined,
    routes,
  };
}

/**
 * A `loraAdapters[]` entry (not disabled) → `LoraAdapter` props; `engineApiKey` is `servingEngineSpec.vllmApiKey`,
 * the key of adapters that name none.
 */
export function loraAdapterProps(
  release: string,
  namespace: string,
  spec: Readonly<LoraAdapterValues>,
  engineApiKey: SecretValue | undefined,
): LoraAdapterProps {
  const { adapterSource: s, loraAdapterDeploymentConfig: placement } = spec;
  const own = spec.vllmApiKey?.secretName && spec.vllmApiKey.secretKey ? spec.vllmApiKey : undefined;
  return {
    release,
    namespace,
    name: spec.name,
    baseModel: spec.baseModel,
    source: {
      type: s.type,
      adapterName: s.adapterName,
      adapterPath: s.adapterPath,
      repository: s.repository,
      pattern: s.pattern,
      maxAdapters: s.maxAdapters,
    },
    credentials: SecretSource.fromValues(s.credentials),
    apiKey: SecretSource.fromValues(own ?? engineApiKey),
    algorithm: placement?.algorithm,
    replicas: placement?.replicas,
    labels: spec.labels,
  };
}

/** `loraController` (enabled) and `sharedPvcStorage` of a values file → `LoraController` props. */
export function loraControllerProps(
  release: string,
  namespace: string,
  spec: Readonly<LoraControllerValues>,
  shared?: LoraSharedStorage,
): LoraControllerProps {
  const { image, serviceAccountName, replicaCount, kubernetesClusterDomain, metrics, webhook, extraArgs, pdb } = spec;
  return {
    release,
    namespace,
    image: imageOrDefault(image, LORA_CONTROLLER_DEFAULTS.image),
    imagePullPolicy: image?.pullPolicy,
    replicas: replicaCount,
    serviceAccountName: serviceAccountName || undefined,
    clusterDomain: kubernetesClusterDomain,
    metrics: metrics?.enabled,
    webhook: webhook?.enabled,
    extraArgs,
    pod: {
      labels: spec.labels,
      annotations: spec.annotations,
      podLabels: spec.podLabels,
      podAnnotations: spec.podAnnotations,
      // `{}` stands (none); only an unset one takes production-stack's
      podSecurityContext: spec.podSecurityContext && fromUser<k8s.PodSecurityContext>(spec.podSecurityContext),
      containerSecurityContext:
        spec.containerSecurityContext && fromUser<k8s.SecurityContext>(spec.containerSecurityContext),
      resources: kube<k8s.ResourceRequirements>(spec.resources),
      nodeSelector: spec.nodeSelector,
      affinity: kube<k8s.Affinity>(spec.affinity),
      tolerations: kube<k8s.Toleration[]>(spec.tolerations),
      imagePullSecrets: kube<k8s.LocalObjectReference[]>(spec.imagePullSecrets),
      env: kube<k8s.EnvVar[]>(spec.env),
    },
    sharedStorage: shared,
    pdb: disruptionBudget(pdb),
  };
}

/**
 * `cacheserverSpec` (enabled) → `LmcacheServer` props. `livenessProbe: {}` (no probe) is `false`; `strategy: {}`
 * (none) stands, only an unset one takes production-stack's.
 */
export function lmcacheServerProps(
  release: string,
  namespace: string | undefined,
  spec: Readonly<CacheserverSpec>,
): LmcacheServerProps {
  return {
    release,
    namespace,
    image: {
      repository: spec.image?.repository,
      tag: spec.image?.tag,
      pullPolicy: spec.imagePullPolicy,
      pullSecrets: kube<k8s.LocalObjectReference[]>(spec.imagePullSecrets),
    },
    replicas: spec.replicaCount,
    containerPort: spec.containerPort,
    service: { type: spec.serviceType, port: spec.servicePort, annotations: spec.serviceAnnotations },
    labels: spec.labels,
    annotations: spec.annotations,
    strategy: spec.strategy && fromUser<k8s.DeploymentStrategy>(spec.strategy),
    livenessProbe: spec.livenessProbe && (nonEmpty(spec.livenessProbe) ?? false),
    resources: kube<k8s.ResourceRequirements>(spec.resources),
    scheduling: {
      affinity: kube<k8s.Affinity>(spec.affinity),
      nodeSelector: spec.nodeSelector,
      tolerations: kube<k8s.Toleration[]>(spec.tolerations),
      runtimeClassName: spec.runtimeClassName,
      schedulerName: spec.schedulerName,
      priorityClassName: spec.priorityClassName,
    },
    podSecurityContext: kube<k8s.PodSecurityContext>(spec.securityContext),
    containerSecurityContext: kube<k8s.SecurityContext>(spec.containerSecurityContext),
    serde: spec.serde,
  };
}

/** `sharedPvcStorage` (enabled) → `SharedStorage` props: `size` parsed; `hostPath` and an `nfs` export with server and path back a volume, `""` none. */
export function sharedStorageProps(
  release: string,
  namespace: string,
  spec: Readonly<SharedPvcStorage>,
): SharedStorageProps {
  const { nfs } = spec;
  return {
    release,
    namespace,
    size: spec.size === undefined ? undefined : Quantity.parse(spec.size, 'sharedPvcStorage.size'),
    accessModes: spec.accessModes,
    storageClass: spec.storageClass,
    hostPath: spec.hostPath || undefined,
    nfs: nfs?.server && nfs.path ? { server: nfs.server, path: nfs.path } : undefined,
  };
}

/** A `serviceMonitor` (enabled; the engines' or the router's) → a ServiceMonitor's `scrape` and `additionalLabels`. */
export function serviceMonitorProps(spec: Readonly<ServiceMonitor>): {
  readonly scrape: ServiceMonitorScrape;
  readonly additionalLabels?: Readonly<Record<string, string>>;
} {
  return {
    scrape: {
      interval: spec.interval,
      scrapeTimeout: spec.scrapeTimeout,
      honorLabels: spec.honorLabels,
      // prometheus-operator's objects, rendered as the values give them
      metricRelabelings: spec.metricRelabelings as readonly RelabelConfig[] | undefined,
      relabelings: spec.relabelings as readonly RelabelConfig[] | undefined,
    },
    additionalLabels: spec.additionalLabels,
  };
}
