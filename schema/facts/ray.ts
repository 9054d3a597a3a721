/**
 * KubeRay models (`modelSpec[].raySpec.enabled`): a RayCluster of one head pod, where vLLM's API server runs with
 * `--distributed-executor-backend ray`, and `replicaCount` worker pods. The facts the checks of meaning, the
 * constructs and the chart generator share.
 */

/** Whether a model is rendered as a RayCluster (and gets no Deployment). */
export const isRayModel = (spec: { readonly raySpec?: { readonly enabled?: boolean } }): boolean =>
  spec.raySpec?.enabled === true;

/** The env var the head's wait script reads: the Ray nodes to wait for (the head and every worker). */
export const EXPECTED_NODES_ENV = 'EXPECTED_NODES';

/** Ray nodes of a KubeRay model with `workers` worker pods: the head and the workers. */
export const rayNodeCount = (workers: number): number => workers + 1;
