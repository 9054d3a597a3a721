/**
 * KubeRay models (`modelSpec[].raySpec.enabled`): a RayCluster of one head pod, where vLLM's API server runs with
 * `--distributed-executor-backend ray`, and `replicaCount` worker pods. The facts the checks of meaning, the
 * constructs and the chart generator share.
 */
import { rayClusterName } from './names.js';
import { RELEASE_SENTINEL } from './release-template.js';

/** Whether a model is rendered as a RayCluster (and gets no Deployment). */
export const isRayModel = (spec: { readonly raySpec?: { readonly enabled?: boolean } }): boolean =>
  spec.raySpec?.enabled === true;

/** The env var the head's wait script reads: the Ray nodes to wait for (the head and every worker). */
export const EXPECTED_NODES_ENV = 'EXPECTED_NODES';

/** The longest RayCluster name KubeRay's operator accepts (it derives the names of the pods and Services from it). */
export const RAY_CLUSTER_NAME_MAX_LENGTH = 53;

/**
 * Why the RayCluster `<release>-<model>-raycluster` of a KubeRay model cannot exist, or null: KubeRay refuses a longer
 * name and creates no pod. The chart's release sentinel is not checked.
 */
export function rayClusterNameMessage(release: string, model: string): string | null {
  const name = rayClusterName(release, model);
  if (release === RELEASE_SENTINEL || name.length <= RAY_CLUSTER_NAME_MAX_LENGTH) return null;
  return `the RayCluster \`${name}\` would be ${name.length} characters long; KubeRay allows ${RAY_CLUSTER_NAME_MAX_LENGTH} and creates no pod for a longer name: shorten the model name (or the release name \`${release}\`)`;
}

/** Ray nodes of a KubeRay model with `workers` worker pods: the head and the workers. */
export const rayNodeCount = (workers: number): number => workers + 1;
