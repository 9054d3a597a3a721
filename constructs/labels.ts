/** Labels and label selectors, as production-stack's chart sets them (reference §1.9, §1.10). */
import { PART_OF } from './names.js';

export type Labels = Readonly<Record<string, string>>;

/**
 * Labels on an engine's Deployment, selector, pod template and Service. The router's P/D classification
 * relies on the pod label `model`; dashboards on the `app.kubernetes.io/*` ones.
 */
export function engineLabels(release: string, model: string, engineLabels: Labels): Labels {
  return {
    model,
    'helm-release-name': release,
    'app.kubernetes.io/name': model,
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/component': 'serving-engine',
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': 'helm',
    ...engineLabels,
  };
}

/** Labels on the router's Deployment, selector, pod template and Service. */
export function routerLabels(release: string, routerLabels: Labels): Labels {
  return {
    'app.kubernetes.io/name': 'router',
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/component': 'router',
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': 'helm',
    ...routerLabels,
  };
}

/**
 * The router's `--k8s-label-selector`: `servingEngineSpec.labels` plus `app.kubernetes.io/instance=<release>`
 * (a pdstack fix: two releases in one namespace never discover each other's engines), keys sorted, `k=v`
 * joined by `,`.
 */
export function engineDiscoverySelector(release: string, labels: Labels): string {
  const all: Record<string, string> = { ...labels, 'app.kubernetes.io/instance': release };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`)
    .join(',');
}
