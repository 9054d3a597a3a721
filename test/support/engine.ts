/** One engine synthesised through the stack (router off), its objects checked against the Kubernetes schema. */
import type { LmcacheConfig, ModelSpec, PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject, type KubeObject } from './kube-validate.js';
import { find, synthStack } from './synth.js';

/** A minimal model `opt`; tests spread their keys over it. */
export const BASE_MODEL: ModelSpec = {
  name: 'opt',
  repository: 'vllm/vllm-openai',
  tag: 'v0.10.0',
  modelURL: 'facebook/opt-125m',
  requestCPU: 2,
  requestMemory: '8Gi',
};

/** A complete P/D receiver (decode) `lmcacheConfig`, as VllmEngine requires one. */
export const PD_RECEIVER: LmcacheConfig = {
  enabled: true,
  enablePD: true,
  enableNixl: true,
  nixlRole: 'receiver',
  kvRole: 'kv_consumer',
  nixlPeerHost: '0.0.0.0',
  nixlPeerPort: '55555',
};

/** `BASE_MODEL` as a P/D engine `name` of release `release`: a NIXL sender (prefill) or receiver (decode) of `decode`. */
export function pdModel(
  name: string,
  nixlRole: 'sender' | 'receiver',
  { release = 'pd', decode = 'decode' }: { release?: string; decode?: string } = {},
): ModelSpec {
  return {
    ...BASE_MODEL,
    name,
    lmcacheConfig: {
      enabled: true,
      enablePD: true,
      enableNixl: true,
      nixlRole,
      kvRole: nixlRole === 'sender' ? 'kv_producer' : 'kv_consumer',
      nixlPeerHost: nixlRole === 'sender' ? `${release}-${decode}-engine-service` : '0.0.0.0',
      nixlPeerPort: '55555',
    },
  };
}

/** The objects of `BASE_MODEL` + `spec` with engine settings `engine`, release `pd`. */
export function engineObjects(
  spec: Partial<ModelSpec>,
  engine: NonNullable<PdstackValues['servingEngineSpec']> = {},
): KubeObject[] {
  const objects = synthStack({
    servingEngineSpec: { ...engine, modelSpec: [{ ...BASE_MODEL, ...spec }] },
    routerSpec: { enableRouter: false },
  });
  for (const o of objects) validateKubeObject(o);
  return objects;
}

/** The Deployment `pd-opt-deployment-vllm` among `objects`. */
export const engineDeployment = (objects: KubeObject[]): Record<string, any> =>
  find(objects, 'Deployment', 'pd-opt-deployment-vllm');

/** The pod spec of that Deployment. */
export const enginePod = (objects: KubeObject[]): Record<string, any> => engineDeployment(objects).spec.template.spec;
