/** Pieces engine and router Deployments share: rollout strategy, node affinity, PodDisruptionBudget. */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { VllmEngineProps } from './engine-props.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { intOrString } from './kube-json.js';

/** Default rollout when `strategy` is empty: surge a full new pod set, never take a serving pod down first. */
export const DEFAULT_ROLLING_UPDATE = { maxSurge: '100%', maxUnavailable: 0 } as const;

export const nonEmpty = <T extends object>(o: T | undefined): T | undefined =>
  o && Object.keys(o).length > 0 ? o : undefined;

/** `given`, else (undefined or `{}`) the default rollout `DEFAULT_ROLLING_UPDATE`. */
export function deploymentStrategy(given: k8s.DeploymentStrategy | undefined): k8s.DeploymentStrategy {
  const strategy = nonEmpty(given);
  if (strategy) return strategy;
  return {
    type: 'RollingUpdate',
    rollingUpdate: {
      maxSurge: intOrString(DEFAULT_ROLLING_UPDATE.maxSurge),
      maxUnavailable: intOrString(DEFAULT_ROLLING_UPDATE.maxUnavailable),
    },
  };
}

/** `affinity` as given, else required node affinity from `nodeSelectorTerms` (ignored when the pod has a `nodeName`). */
export function podAffinity(
  affinity: k8s.Affinity | undefined,
  nodeSelectorTerms: readonly k8s.NodeSelectorTerm[] | undefined,
  nodeName?: string,
): k8s.Affinity | undefined {
  if (nonEmpty(affinity)) return affinity;
  return nodeName ? undefined : nodeAffinity(nodeSelectorTerms);
}

/** Required node affinity of `nodeSelectorTerms`; undefined when there are none. */
export function nodeAffinity(nodeSelectorTerms: readonly k8s.NodeSelectorTerm[] | undefined): k8s.Affinity | undefined {
  if (!nodeSelectorTerms?.length) return undefined;
  return {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [...nodeSelectorTerms] } },
  };
}

/**
 * The pod-spec fields of an engine pod that say who runs it and where (a Deployment's pods, a RayCluster's head and
 * workers): priority class, security context, service account (and no API token: engines never call the API
 * server, a pdstack hardening), image pull secret, tolerations, runtime class, scheduler, node name and affinity.
 */
export function enginePodPlacement(
  engine: Pick<VllmEngineProps, 'image' | 'scheduling' | 'podSecurityContext' | 'serviceAccountName'>,
): Omit<k8s.PodSpec, 'containers'> {
  const { scheduling = {} } = engine;
  const tolerations = scheduling.tolerations ?? [];
  const runtimeClassName = scheduling.runtimeClassName ?? ENGINE_DEFAULTS.runtimeClassName;
  return {
    priorityClassName: scheduling.priorityClassName || undefined,
    securityContext: nonEmpty(engine.podSecurityContext),
    serviceAccountName: engine.serviceAccountName || undefined,
    automountServiceAccountToken: false,
    imagePullSecrets: engine.image.pullSecret ? [{ name: engine.image.pullSecret }] : undefined,
    tolerations: tolerations.length > 0 ? [...tolerations] : undefined,
    runtimeClassName: runtimeClassName || undefined,
    schedulerName: scheduling.schedulerName || undefined,
    nodeName: scheduling.nodeName || undefined,
    affinity: podAffinity(scheduling.affinity, scheduling.nodeSelectorTerms, scheduling.nodeName),
  };
}

/** A PodDisruptionBudget over a workload's pods (an engine's, the router's, the LoRA controller's). */
export interface DisruptionBudget {
  /** The PodDisruptionBudget's own labels (not the pods'). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Pods that must stay available, used when `maxUnavailable` is not set. @default 0 (as production-stack) */
  readonly minAvailable?: k8s.IntOrString;
  /** Pods that may be evicted at once; wins over `minAvailable`. @default - not set */
  readonly maxUnavailable?: k8s.IntOrString;
}

export interface DisruptionBudgetProps {
  readonly name: string;
  readonly namespace?: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly pdb: DisruptionBudget;
}

/**
 * A PodDisruptionBudget, as production-stack renders it: labelled with `pdb.labels` only, over the pods' selector;
 * `maxUnavailable` wins, else `minAvailable` (default 0). `maxUnavailable: 0` is rendered (production-stack's
 * template dropped it as false and rendered `minAvailable: 0`, which lets every pod be evicted).
 */
export function podDisruptionBudget(
  scope: Construct,
  id: string,
  props: DisruptionBudgetProps,
): k8s.KubePodDisruptionBudget {
  const { pdb, selector } = props;
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: nonEmpty({ ...pdb.labels }),
      annotations: nonEmpty({ ...pdb.annotations }),
    },
    spec: {
      selector: { matchLabels: { ...selector } },
      ...(pdb.maxUnavailable !== undefined
        ? { maxUnavailable: pdb.maxUnavailable }
        : { minAvailable: pdb.minAvailable ?? intOrString(0) }),
    },
  });
}
