import { describe, expect, it } from 'vitest';
import { engineDeployment, engineObjects } from '../support/engine.js';
import { envMap, find, vllmContainer } from '../support/synth.js';

const vllm = (spec: Parameters<typeof engineObjects>[0], engine?: Parameters<typeof engineObjects>[1]) =>
  vllmContainer(engineDeployment(engineObjects(spec, engine)));

describe('engine env', () => {
  it('starts with the fixed vars; HF_HOME is /data with storage, /tmp without', () => {
    expect(envMap(vllm({}))).toEqual({ PYTHONHASHSEED: '123', HF_HOME: '/tmp', POD_IP: '<fieldRef:status.podIP>' });
    expect(envMap(vllm({ pvcStorage: '10Gi' })).HF_HOME).toBe('/data');
  });

  it('renders LMCache env vars only when lmcacheConfig.enabled (fix), but always CUDA_VISIBLE_DEVICES', () => {
    const c = vllm({ lmcacheConfig: { enabled: false, cpuOffloadingBufferSize: '30', cudaVisibleDevices: '2' } });
    expect(envMap(c)).toEqual({
      PYTHONHASHSEED: '123',
      HF_HOME: '/tmp',
      POD_IP: '<fieldRef:status.podIP>',
      CUDA_VISIBLE_DEVICES: '2',
    });
    expect(c.command).not.toContain('--kv-transfer-config');
  });

  it('turns CPU offloading on with a positive cpuOffloadingBufferSize', () => {
    const c = vllm({ lmcacheConfig: { enabled: true, cpuOffloadingBufferSize: '30', logLevel: 'DEBUG' } });
    expect(envMap(c)).toMatchObject({
      LMCACHE_LOG_LEVEL: 'DEBUG',
      LMCACHE_LOCAL_CPU: 'True',
      LMCACHE_MAX_LOCAL_CPU_SIZE: '30',
    });
    expect(c.command).toContain('{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}');
  });

  it('sets VLLM_USE_V1=0 with v0: "1", else PROMETHEUS_MULTIPROC_DIR when vllmConfig is given', () => {
    const v0 = envMap(vllm({ vllmConfig: { v0: '1' } }));
    expect(v0.VLLM_USE_V1).toBe('0');
    expect(v0.PROMETHEUS_MULTIPROC_DIR).toBeUndefined();
    expect(envMap(vllm({ vllmConfig: { prometheusMultiprocDir: '/prom' } })).PROMETHEUS_MULTIPROC_DIR).toBe('/prom');
  });

  it('references existing Secrets for hf_token and vllmApiKey maps, and the release Secret for literals', () => {
    const mapped = vllm(
      { hf_token: { secretName: 'hf', secretKey: 'token' } },
      { vllmApiKey: { secretName: 'api', secretKey: 'key' } },
    );
    expect(envMap(mapped)).toMatchObject({ HF_TOKEN: '<secret:hf/token>', VLLM_API_KEY: '<secret:api/key>' });
    const objects = engineObjects({ hf_token: 'hf_abc' }, { vllmApiKey: 'sk-1' });
    expect(envMap(vllmContainer(engineDeployment(objects)))).toMatchObject({
      HF_TOKEN: '<secret:pd-secrets/hf_token_opt>',
      VLLM_API_KEY: '<secret:pd-secrets/vllmApiKey>',
    });
    expect(Object.keys(find(objects, 'Secret', 'pd-secrets').data).sort()).toEqual(['hf_token_opt', 'vllmApiKey']);
  });

  it('an empty hf_token sets no HF_TOKEN and stores nothing, as production-stack skips it', () => {
    const objects = engineObjects({ hf_token: '' });
    expect(envMap(vllmContainer(engineDeployment(objects)))).not.toHaveProperty('HF_TOKEN');
    const secret = objects.find((o) => o.kind === 'Secret');
    expect(Object.keys(secret?.data ?? {})).not.toContain('hf_token_opt');
  });

  it('puts the shared env before the model env, and envFrom the configs ConfigMap then the envFromSecret', () => {
    const c = vllm(
      { env: [{ name: 'B', value: '2' }], envFromSecret: { name: 'creds' } },
      { env: [{ name: 'A', value: '1' }], configs: { K: 'v' } },
    );
    expect(c.env.map((e: { name: string }) => e.name).slice(3)).toEqual(['A', 'B']);
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'pd-configs' } }, { secretRef: { name: 'creds' } }]);
  });
});
