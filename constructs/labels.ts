/** Label maps and label selectors, as production-stack's chart sets them (reference §1.9, §1.10). */
import {
  CACHE_SERVER_COMPONENT,
  CACHE_SERVER_NAME,
  COMPONENT_LABEL,
  ENGINE_COMPONENT,
  HELM_RELEASE_LABEL,
  INSTANCE_LABEL,
  LORA_ADAPTER_COMPONENT,
  LORA_CONTROLLER_COMPONENT,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  MODEL_LABEL,
  NAME_LABEL,
  PART_OF,
  PART_OF_LABEL,
  ROUTER_COMPONENT,
  ROUTER_NAME,
} from '../schema/facts/labels.js';

export type Labels = Readonly<Record<string, string>>;

/** The `app.kubernetes.io/*` labels every engine of a release shares (no model): instance, component, part-of. */
export function engineReleaseSelector(release: string): Labels {
  return { [INSTANCE_LABEL]: release, [COMPONENT_LABEL]: ENGINE_COMPONENT, [PART_OF_LABEL]: PART_OF };
}

/** The labels of objects about all engines of a release (their ServiceMonitor): the shared ones plus managed-by. */
export function engineCommonLabels(release: string): Labels {
  return { ...engineReleaseSelector(release), [MANAGED_BY_LABEL]: MANAGED_BY };
}

/**
 * Labels on an engine's Deployment, selector, pod template and Service. The router's P/D classification
 * relies on the pod label `model`; dashboards on the `app.kubernetes.io/*` ones.
 */
export function engineLabels(release: string, model: string, engineLabels: Labels): Labels {
  return {
    [MODEL_LABEL]: model,
    [HELM_RELEASE_LABEL]: release,
    [NAME_LABEL]: model,
    ...engineCommonLabels(release),
    ...engineLabels,
  };
}

/**
 * Labels production-stack puts on a RayCluster and on its head and worker pods: `model`, `helm-release-name` and
 * `servingEngineSpec.labels`, without the `app.kubernetes.io/*` ones. pdstack's head pods carry `engineLabels`
 * (the engine Service's selector and the router's discovery need `app.kubernetes.io/instance`); workers serve no HTTP
 * and keep these, so neither the Service nor the router picks them.
 */
export function rayNodeLabels(release: string, model: string, engineLabels: Labels): Labels {
  return { [MODEL_LABEL]: model, [HELM_RELEASE_LABEL]: release, ...engineLabels };
}

/** production-stack's standard labels of a component that is not an engine (named by the component), plus `extra`. */
function componentLabels(name: string, component: string, release: string, extra: Labels): Labels {
  return {
    [NAME_LABEL]: name,
    [INSTANCE_LABEL]: release,
    [COMPONENT_LABEL]: component,
    [PART_OF_LABEL]: PART_OF,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    ...extra,
  };
}

/** Labels on the router's Deployment, selector, pod template and Service. */
export const routerLabels = (release: string, routerLabels: Labels): Labels =>
  componentLabels(ROUTER_NAME, ROUTER_COMPONENT, release, routerLabels);

/** Labels on the LMCache cache server's Deployment, selector, pod template and Service. */
export const cacheServerLabels = (release: string, cacheServerLabels: Labels): Labels =>
  componentLabels(CACHE_SERVER_NAME, CACHE_SERVER_COMPONENT, release, cacheServerLabels);

/**
 * The router's `--k8s-label-selector`: `servingEngineSpec.labels` plus `app.kubernetes.io/instance=<release>`
 * (a pdstack fix: two releases in one namespace never discover each other's engines), keys sorted, `k=v`
 * joined by `,`.
 */
export function engineDiscoverySelector(release: string, labels: Labels): string {
  const all: Record<string, string> = { ...labels, [INSTANCE_LABEL]: release };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`)
    .join(',');
}

/** The LoRA controller's labels (Deployment, selector, pods, ServiceAccount, RBAC objects), as production-stack's. */
export const loraControllerLabels = (release: string): Labels => ({
  [COMPONENT_LABEL]: LORA_CONTROLLER_COMPONENT,
  [HELM_RELEASE_LABEL]: release,
});

/** A LoraAdapter custom resource's labels, then its own. */
export const loraAdapterLabels = (release: string, labels: Labels): Labels => ({
  [COMPONENT_LABEL]: LORA_ADAPTER_COMPONENT,
  [HELM_RELEASE_LABEL]: release,
  ...labels,
});
