import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import type { ModelSpec, PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { envMap, find, synthStack, vllmContainer } from '../support/synth.js';

const base: ModelSpec = {
  name: 'opt',
  repository: 'vllm/vllm-openai',
  tag: 'v0.10.0',
  modelURL: 'facebook/opt-125m',
  requestCPU: 2,
  requestMemory: '8Gi',
};

function engineObjects(
  spec: Partial<ModelSpec>,
  engine: NonNullable<PdstackValues['servingEngineSpec']> = {},
): KubeObject[] {
  const objects = synthStack({
    servingEngineSpec: { ...engine, modelSpec: [{ ...base, ...spec }] },
    routerSpec: { enableRouter: false },
  });
  for (const o of objects) validateKubeObject(o);
  return objects;
}
const deployment = (objects: KubeObject[]): Record<string, any> =>
  find(objects, 'Deployment', 'pd-opt-deployment-vllm');

describe('VllmEngine', () => {
  it('uses plain `vllm` outside the LMCache image, and renders no tuning flags without vllmConfig', () => {
    const c = vllmContainer(deployment(engineObjects({})));
    expect(c.command).toEqual(['vllm', 'serve', 'facebook/opt-125m', '--host', '0.0.0.0', '--port', '8000']);
    expect(envMap(c)).toEqual({ PYTHONHASHSEED: '123', HF_HOME: '/tmp', POD_IP: '<fieldRef:status.podIP>' });
    expect(deployment(engineObjects({})).spec.template.spec.runtimeClassName).toBe('nvidia');
  });

  it('renders --no-enable-prefix-caching only when enablePrefixCaching is false (fix)', () => {
    expect(vllmContainer(deployment(engineObjects({ vllmConfig: { maxModelLen: 1024 } }))).command).not.toContain(
      '--no-enable-prefix-caching',
    );
    expect(vllmContainer(deployment(engineObjects({ vllmConfig: { enablePrefixCaching: false } }))).command).toContain(
      '--no-enable-prefix-caching',
    );
  });

  it('renders every vllmConfig key as a dash-form flag in production-stack order', () => {
    const c = vllmContainer(
      deployment(
        engineObjects({
          enableLoRA: true,
          enableTool: true,
          toolCallParser: 'hermes',
          modelRevision: 'abc',
          chatTemplate: 't.jinja',
          chatTemplateConfigMap: '{{ messages }}',
          vllmConfig: {
            enableChunkedPrefill: false,
            enablePrefixCaching: true,
            maxModelLen: 4096,
            dtype: 'bfloat16',
            tensorParallelSize: 2,
            maxNumSeqs: 64,
            gpuMemoryUtilization: 0.85,
            maxLoras: 4,
            runner: 'auto',
            convert: 'embed',
            extraArgs: ['--enforce-eager'],
          },
        }),
      ),
    );
    expect(c.command.slice(7)).toEqual([
      '--enable-lora',
      '--enable-auto-tool-choice',
      '--tool-call-parser',
      'hermes',
      '--no-enable-chunked-prefill',
      '--enable-prefix-caching',
      '--max-model-len',
      '4096',
      '--dtype',
      'bfloat16',
      '--tensor-parallel-size',
      '2',
      '--max-num-seqs',
      '64',
      '--gpu-memory-utilization',
      '0.85',
      '--max-loras',
      '4',
      '--runner',
      'auto',
      '--convert',
      'embed',
      '--enforce-eager',
      '--revision',
      'abc',
      '--chat-template',
      '/templates/t.jinja',
    ]);
  });

  it('mounts /dev/shm for tensor parallelism and the chat template ConfigMap at /templates', () => {
    const objects = engineObjects({
      shmSize: '8Gi',
      chatTemplate: 't.jinja',
      chatTemplateConfigMap: '{{ messages }}',
      vllmConfig: { tensorParallelSize: 2 },
    });
    const pod = deployment(objects).spec.template.spec;
    expect(pod.volumes).toEqual([
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
      { name: 'vllm-templates', configMap: { name: 'pd-opt-chat-templates' } },
    ]);
    expect(find(objects, 'ConfigMap', 'pd-opt-chat-templates').data).toEqual({ 't.jinja': '{{ messages }}' });
  });

  it('requests and limits GPUs, HAMi resources and limits without emitting an empty limits key', () => {
    const c = vllmContainer(
      deployment(engineObjects({ requestGPU: 2, limitMemory: '64Gi', requestGPUMem: '3000', limitGPUCores: '50' })),
    );
    expect(c.resources).toEqual({
      requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '2', 'nvidia.com/gpumem': '3000' },
      limits: { 'nvidia.com/gpu': '2', memory: '64Gi', 'nvidia.com/gpucores': '50' },
    });
    expect(
      vllmContainer(deployment(engineObjects({ requestGPU: 1, requestGPUType: 'nvidia.com/mig-4g.71gb' }))).resources
        .limits,
    ).toEqual({ 'nvidia.com/mig-4g.71gb': '1' });
    expect(vllmContainer(deployment(engineObjects({ requestCPU: '500m' }))).resources).toEqual({
      requests: { cpu: '500m', memory: '8Gi' },
    });
  });

  it('keeps quantities and ports of verbatim user objects (resources, extraVolumes, extraPorts, strategy)', () => {
    const objects = engineObjects(
      {
        resources: { requests: { cpu: 4, memory: '16Gi', 'nvidia.com/gpu': 1 }, limits: { 'nvidia.com/gpu': 1 } },
        extraVolumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }],
        extraVolumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      },
      {
        extraPorts: [{ name: 'metrics', port: 9090, targetPort: 9090 }],
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      },
    );
    const d = deployment(objects);
    expect(vllmContainer(d).resources).toEqual({
      requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(d.spec.template.spec.volumes).toEqual([{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }]);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(find(objects, 'Service', 'pd-opt-engine-service').spec.ports[3]).toEqual({
      name: 'metrics',
      port: 9090,
      targetPort: 9090,
    });
  });

  it('renders LMCache env vars only when lmcacheConfig.enabled (fix), but always CUDA_VISIBLE_DEVICES', () => {
    const c = vllmContainer(
      deployment(
        engineObjects({ lmcacheConfig: { enabled: false, cpuOffloadingBufferSize: '30', cudaVisibleDevices: '2' } }),
      ),
    );
    expect(envMap(c)).toEqual({
      PYTHONHASHSEED: '123',
      HF_HOME: '/tmp',
      POD_IP: '<fieldRef:status.podIP>',
      CUDA_VISIBLE_DEVICES: '2',
    });
    expect(c.command).not.toContain('--kv-transfer-config');
  });

  it('turns CPU offloading on with a positive cpuOffloadingBufferSize', () => {
    const c = vllmContainer(
      deployment(engineObjects({ lmcacheConfig: { enabled: true, cpuOffloadingBufferSize: '30', logLevel: 'DEBUG' } })),
    );
    expect(envMap(c)).toMatchObject({
      LMCACHE_LOG_LEVEL: 'DEBUG',
      LMCACHE_LOCAL_CPU: 'True',
      LMCACHE_MAX_LOCAL_CPU_SIZE: '30',
    });
    expect(c.command).toContain('{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}');
  });

  it('selects the V0 engine and connector with v0: "1"', () => {
    const c = vllmContainer(deployment(engineObjects({ vllmConfig: { v0: '1' }, lmcacheConfig: { enabled: true } })));
    expect(envMap(c).VLLM_USE_V1).toBe('0');
    expect(envMap(c).PROMETHEUS_MULTIPROC_DIR).toBeUndefined();
    expect(c.command).toContain('{"kv_connector":"LMCacheConnector","kv_role":"kv_both"}');
  });

  it('references existing Secrets for hf_token and vllmApiKey maps, and the release Secret for literals', () => {
    const mapped = vllmContainer(
      deployment(
        engineObjects(
          { hf_token: { secretName: 'hf', secretKey: 'token' } },
          { vllmApiKey: { secretName: 'api', secretKey: 'key' } },
        ),
      ),
    );
    expect(envMap(mapped)).toMatchObject({ HF_TOKEN: '<secret:hf/token>', VLLM_API_KEY: '<secret:api/key>' });
    const objects = engineObjects({ hf_token: 'hf_abc' }, { vllmApiKey: 'sk-1' });
    expect(envMap(vllmContainer(deployment(objects)))).toMatchObject({
      HF_TOKEN: '<secret:pd-secrets/hf_token_opt>',
      VLLM_API_KEY: '<secret:pd-secrets/vllmApiKey>',
    });
    expect(Object.keys(find(objects, 'Secret', 'pd-secrets').data).sort()).toEqual(['hf_token_opt', 'vllmApiKey']);
  });

  it('uses an existing claim or an emptyDir instead of creating a PVC', () => {
    const existing = engineObjects({ pvcStorage: '10Gi', pvcExistingClaimName: 'models' });
    expect(existing.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(deployment(existing).spec.template.spec.volumes).toEqual([
      { name: 'pd-storage', persistentVolumeClaim: { claimName: 'models' } },
    ]);
    const empty = engineObjects({ pvcStorage: { emptyDir: { sizeLimit: '100Gi' } } });
    expect(deployment(empty).spec.template.spec.volumes).toEqual([
      { name: 'pd-storage', emptyDir: { sizeLimit: '100Gi' } },
    ]);
    expect(envMap(vllmContainer(deployment(empty))).HF_HOME).toBe('/data');
  });

  it('renders no objects for a disabled model (fix)', () => {
    const objects = synthStack({
      servingEngineSpec: { modelSpec: [{ ...base, enabled: false }] },
      routerSpec: { enableRouter: false },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/pd-secrets']);
  });

  it('merges tolerations and builds node affinity like production-stack', () => {
    const tol = (key: string) => ({ key, operator: 'Exists', effect: 'NoSchedule' });
    const appended = deployment(
      engineObjects(
        {
          tolerations: [tol('b')],
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] }],
        },
        { tolerations: [tol('a')] },
      ),
    );
    expect(appended.spec.template.spec.tolerations).toEqual([tol('a'), tol('b')]);
    expect(
      appended.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms[0].matchExpressions[0].key,
    ).toBe('gpu');
    const overridden = deployment(
      engineObjects({ tolerations: [tol('b')], tolerationsPolicy: 'override' }, { tolerations: [tol('a')] }),
    );
    expect(overridden.spec.template.spec.tolerations).toEqual([tol('b')]);
  });

  it('renders a PodDisruptionBudget and derives probe ports from containerPort (fix)', () => {
    const objects = engineObjects(
      { pdb: { enabled: true, maxUnavailable: 1 } },
      { containerPort: 9000, startupProbe: { failureThreshold: 120 } },
    );
    expect(find(objects, 'PodDisruptionBudget', 'pd-opt-pdb-vllm').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deployment(objects).spec.selector.matchLabels },
    });
    const c = vllmContainer(deployment(objects));
    expect(c.startupProbe).toEqual({
      initialDelaySeconds: 15,
      periodSeconds: 10,
      failureThreshold: 120,
      httpGet: { path: '/health', port: 9000 },
    });
    expect(c.command.slice(5, 7)).toEqual(['--port', '9000']);
  });

  it('refuses to build a disabled model', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(() => new VllmEngine(chart, 'e', { release: 'pd', spec: { ...base, enabled: false } })).toThrow(/disabled/);
  });
});
