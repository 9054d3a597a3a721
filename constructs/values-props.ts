/**
 * The values file → construct props: the thin mapping `PdStack` (and so `pdstack synth` and the chart generator)
 * builds its engines and router with. Quantities are parsed and secrets take their factory here; every other key passes through
 * as the values file writes it. The values were checked by the compiler, which applies the rules the constructors
 * enforce (schema/facts/), so nothing here throws for values that passed `pdstack validate`.
 */
import type { k8s } from 'cdk8s-plus-28';
import { Quantity } from '../schema/facts/quantity.js';
import { expandReleaseTemplates } from '../schema/facts/release-template.js';
import { isHttpRouteApiVersion } from '../schema/facts/route-kinds.js';
import type { ModelSpec, RouterSpec, ServingEngineSpec } from '../schema/values.generated.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import { fromUser } from './kube-json.js';
import type { VllmEngineProps } from './engine.js';
import type { VllmRayClusterProps } from './ray-cluster.js';
import { SecretSource } from './release-secret.js';
import { RouterDiscovery, type RouterEngineDiscovery, type VllmRouter, type VllmRouterProps } from './router.js';
import type { RouterAutoscalerProps } from './router-hpa.js';
import type { RouterIngressProps } from './router-ingress.js';
import type { RouterPdbProps } from './router-pdb.js';
import type { RouterHttpRouteProps } from './router-route.js';
import type { RouterServiceMonitorProps } from './router-service-monitor.js';

/** The props of the engine of one enabled `modelSpec[]` entry; `engineSpec` is `servingEngineSpec` without `modelSpec`. */
export function engineProps(
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
  engineSpec: Readonly<Omit<ServingEngineSpec, 'modelSpec'>>,
): VllmEngineProps {
  const { vllmApiKey, ...settings } = engineSpec;
  const {
    name,
    enabled: _enabled,
    repository,
    tag,
    modelURL,
    requestCPU,
    requestMemory,
    requestGPU,
    requestGPUType,
    limitCPU,
    limitMemory,
    hf_token,
    ...options
  } = spec;
  const quantity = (value: string | number | undefined, key: string): Quantity | undefined =>
    value === undefined ? undefined : Quantity.parse(value, key);
  return {
    release,
    namespace,
    name,
    image: { repository, tag: String(tag) },
    modelURL,
    resources: {
      cpu: Quantity.parse(requestCPU, 'requestCPU'),
      memory: Quantity.parse(requestMemory, 'requestMemory'),
      gpus: quantity(requestGPU, 'requestGPU'),
      gpuType: requestGPUType,
      cpuLimit: quantity(limitCPU, 'limitCPU'),
      memoryLimit: quantity(limitMemory, 'limitMemory'),
    },
    hfToken: SecretSource.fromValues(hf_token),
    apiKey: SecretSource.fromValues(vllmApiKey),
    options,
    settings,
  };
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
  // the head's quantities replace the worker's, limits included
  const headModel = {
    ...model,
    requestGPU: undefined,
    requestGPUType: undefined,
    limitCPU: undefined,
    limitMemory: undefined,
  };
  return {
    ...engineProps(release, namespace, model, engineSpec),
    head: {
      resources: engineProps(release, namespace, { ...headModel, ...head }, engineSpec).resources,
      resourcesOverride: resources,
      initContainer,
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
    probes: { startup: spec.startupProbe, liveness: spec.livenessProbe, readiness: spec.readinessProbe },
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

/** A Kubernetes object or list the values give verbatim, converted for the `k8s` classes; undefined when empty. */
function kube<T>(value: object | undefined): T | undefined {
  return value !== undefined && Object.keys(value).length > 0 ? fromUser<T>(value) : undefined;
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
  const { autoscaling, ingress, serviceMonitor, pdb } = spec;
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
    pdb: pdb?.enabled ? { ...ctx, labels, pdb } : undefined,
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
    serviceMonitor: serviceMonitor?.enabled ? { ...ctx, labels, spec: serviceMonitor } : undefined,
    routes,
  };
}
