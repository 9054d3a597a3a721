/**
 * The values file → construct props: the thin mapping `PdStack` (and so `pdstack synth` and the chart generator)
 * builds its engines and router with. Quantities are parsed and secrets take their factory here; every other key passes through
 * as the values file writes it. The values were checked by the compiler, which applies the rules the constructors
 * enforce (schema/facts/), so nothing here throws for values that passed `pdstack validate`.
 */
import { Quantity } from '../schema/facts/quantity.js';
import { expandReleaseTemplates } from '../schema/facts/release-template.js';
import { isHttpRouteApiVersion } from '../schema/facts/route-kinds.js';
import type { ModelSpec, RouterSpec, ServingEngineSpec } from '../schema/values.generated.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import type { VllmEngineProps } from './engine.js';
import { SecretSource } from './release-secret.js';
import type { RouterEngineDiscovery, VllmRouter, VllmRouterProps } from './router.js';
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

/** The props of the router of `routerSpec` (when it is enabled). */
export function routerProps(
  release: string,
  namespace: string,
  routerSpec: Readonly<RouterSpec>,
  engines: RouterEngineDiscovery,
): VllmRouterProps {
  const { enableRouter: _enableRouter, hf_token, ...spec } = routerSpec;
  return { release, namespace, spec, hfToken: SecretSource.fromValues(hf_token), engines };
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
