/**
 * Which models get a Gateway API Inference Extension InferencePool (`servingEngineSpec.pdstackInferencePool`): the one
 * rule the stack (constructs/stack.ts), the chart README's diagram (charts/helm/docs.ts) and the checks of meaning
 * (schema/semantics.ts) share.
 */
import { servesWholeRequests, type PdSwitches } from './pd-engine.js';
import { isRayModel } from './ray.js';

/**
 * Whether a model gets an InferencePool when pools are enabled: it serves whole requests (every engine but a P/D
 * prefill engine, `servesWholeRequests`) and is not a KubeRay model (`raySpec.enabled`), whose RayCluster gets no
 * pool (its head pod alone serves; pdstack renders pools over Deployment engines only).
 */
export const getsInferencePool = (spec: {
  readonly raySpec?: { readonly enabled?: boolean };
  readonly lmcacheConfig?: Readonly<PdSwitches & { nixlRole?: string }>;
}): boolean => servesWholeRequests(spec.lmcacheConfig) && !isRayModel(spec);

/** Why a KubeRay model gets no InferencePool though pools are enabled (a warning at its `raySpec.enabled`). */
export const rayModelPoolMessage = (model: string): string =>
  `servingEngineSpec.pdstackInferencePool is enabled, but \`${model}\` is a KubeRay model (raySpec.enabled), which gets no InferencePool: route to it through the router, or serve it from a Deployment (raySpec.enabled: false) to get a pool`;
