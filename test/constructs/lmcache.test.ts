import { describe, expect, it } from 'vitest';
import type { LmcacheConfig, ModelSpec } from '../../schema/values.generated.js';
import { envMap, find, synthStack, vllmContainer } from '../support/synth.js';

const model = (lmcacheConfig: LmcacheConfig): ModelSpec => ({
  name: 'opt',
  repository: 'lmcache/vllm-openai',
  tag: 'v0.3.5',
  modelURL: 'facebook/opt-125m',
  requestCPU: 2,
  requestMemory: '8Gi',
  lmcacheConfig,
});

/** The engine's pod spec and `vllm` container as rendered for one model. */
function engine(lmcacheConfig: LmcacheConfig): { pod: Record<string, any>; vllm: Record<string, any> } {
  const objects = synthStack({
    servingEngineSpec: { modelSpec: [model(lmcacheConfig)] },
    routerSpec: { enableRouter: false },
  });
  const pod = find(objects, 'Deployment', 'pd-opt-deployment-vllm').spec.template.spec;
  return { pod, vllm: vllmContainer({ spec: { template: { spec: pod } } }) };
}
const kvTransferConfig = (vllm: Record<string, any>): string | undefined =>
  vllm.command[(vllm.command as string[]).indexOf('--kv-transfer-config') + 1];

const NIXL = {
  enableNixl: true,
  nixlRole: 'sender',
  nixlPeerHost: 'pd-d-engine-service',
  nixlPeerPort: '55555',
} as const;

describe('a P/D engine (lmcacheConfig enabled and enablePD)', () => {
  it('gets the NIXL kv-transfer-config, the NIXL env and hostIPC/hostPID', () => {
    const { pod, vllm } = engine({ enabled: true, enablePD: true, kvRole: 'kv_producer', ...NIXL });
    expect(kvTransferConfig(vllm)).toBe(
      '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_producer","kv_connector_extra_config":{"discard_partial_chunks": false, "lmcache_rpc_port": "sender"}}',
    );
    expect(envMap(vllm)).toMatchObject({ UCX_TLS: 'cuda_ipc,cuda_copy,tcp', LMCACHE_NIXL_ROLE: 'sender' });
    expect([pod.hostIPC, pod.hostPID]).toEqual([true, true]);
  });

  it('drops hostIPC/hostPID and CUDA IPC with pdstackHostIpcPid: false, and only them', () => {
    const config = { enabled: true, enablePD: true, kvRole: 'kv_producer', ...NIXL } as const;
    const shared = engine(config);
    const { pod, vllm } = engine({ ...config, pdstackHostIpcPid: false });
    expect([pod.hostIPC, pod.hostPID]).toEqual([undefined, undefined]);
    expect(envMap(vllm)).toEqual({ ...envMap(shared.vllm), UCX_TLS: 'cuda_copy,tcp' });
    expect(kvTransferConfig(vllm)).toBe(kvTransferConfig(shared.vllm));
    expect(engine({ ...config, pdstackHostIpcPid: true }).pod).toEqual(shared.pod);
  });

  it('is not what enablePD: false asks for: plain LMCache config, no NIXL env, no host namespaces', () => {
    const { pod, vllm } = engine({ enabled: true, enablePD: false });
    expect(kvTransferConfig(vllm)).toBe('{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}');
    expect(Object.keys(envMap(vllm)).filter((k) => k.startsWith('LMCACHE_NIXL') || k === 'UCX_TLS')).toEqual([]);
    expect([pod.hostIPC, pod.hostPID]).toEqual([undefined, undefined]);
  });

  it('is refused without LMCache, even with enablePD: true (the engine rules of schema/facts/engine-rules.ts)', () => {
    expect(() => engine({ enabled: false, enablePD: true, ...NIXL })).toThrow(
      'VllmEngine opt: lmcacheConfig.enablePD: enablePD needs enabled: true: without the LMCache connector vLLM transfers no KV; set enabled: true',
    );
  });
});
