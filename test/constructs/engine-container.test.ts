import { describe, expect, it } from 'vitest';
import { engineDeployment, engineObjects, enginePod } from '../support/engine.js';
import { envMap, vllmContainer } from '../support/synth.js';

const vllm = (spec: Parameters<typeof engineObjects>[0], engine?: Parameters<typeof engineObjects>[1]) =>
  vllmContainer(engineDeployment(engineObjects(spec, engine)));

describe('engine containers', () => {
  it('uses plain `vllm` outside the LMCache image, and renders no tuning flags without vllmConfig', () => {
    const c = vllm({});
    expect(c.command).toEqual(['vllm', 'serve', 'facebook/opt-125m', '--host', '0.0.0.0', '--port', '8000']);
    expect(c.image).toBe('vllm/vllm-openai:v0.10.0');
    expect(c.ports).toEqual([
      { name: 'container-port', containerPort: 8000 },
      { name: 'zmq-port', containerPort: 55555 },
      { name: 'ucx-port', containerPort: 9999 },
    ]);
  });

  it('renders --no-enable-prefix-caching only when enablePrefixCaching is false (fix)', () => {
    expect(vllm({ vllmConfig: { maxModelLen: 1024 } }).command).not.toContain('--no-enable-prefix-caching');
    expect(vllm({ vllmConfig: { enablePrefixCaching: false } }).command).toContain('--no-enable-prefix-caching');
  });

  it('renders every vllmConfig key as a dash-form flag in production-stack order', () => {
    const c = vllm({
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
    });
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

  it('selects the V0 connector with v0: "1"', () => {
    expect(vllm({ vllmConfig: { v0: '1' }, lmcacheConfig: { enabled: true } }).command).toContain(
      '{"kv_connector":"LMCacheConnector","kv_role":"kv_both"}',
    );
  });

  it('requests and limits GPUs, HAMi resources and limits without emitting an empty limits key', () => {
    expect(vllm({ requestGPU: 2, limitMemory: '64Gi', requestGPUMem: '3000', limitGPUCores: '50' }).resources).toEqual({
      requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '2', 'nvidia.com/gpumem': '3000' },
      limits: { 'nvidia.com/gpu': '2', memory: '64Gi', 'nvidia.com/gpucores': '50' },
    });
    expect(vllm({ requestGPU: 1, requestGPUType: 'nvidia.com/mig-4g.71gb' }).resources.limits).toEqual({
      'nvidia.com/mig-4g.71gb': '1',
    });
    expect(vllm({ requestCPU: '500m' }).resources).toEqual({ requests: { cpu: '500m', memory: '8Gi' } });
  });

  it('takes `resources` verbatim over the request keys, keeping its quantities', () => {
    const resources = { requests: { cpu: 4, memory: '16Gi', 'nvidia.com/gpu': 1 }, limits: { 'nvidia.com/gpu': 1 } };
    expect(vllm({ resources, requestGPU: 8 }).resources).toEqual({
      requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    // An empty `resources` map counts as not given.
    expect(vllm({ resources: {} }).resources).toEqual({ requests: { cpu: '2', memory: '8Gi' } });
  });

  it('derives the probe ports and --port from containerPort (fix), merging given probe fields', () => {
    const c = vllm({}, { containerPort: 9000, startupProbe: { failureThreshold: 120 } });
    expect(c.startupProbe).toEqual({
      initialDelaySeconds: 15,
      periodSeconds: 10,
      failureThreshold: 120,
      httpGet: { path: '/health', port: 9000 },
    });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 9000 });
    expect(c.command.slice(5, 7)).toEqual(['--port', '9000']);
  });

  it('adds the LoRA sidecar only with storage, mounting the storage volume', () => {
    expect(enginePod(engineObjects({ enableLoRA: true })).containers.map((c: { name: string }) => c.name)).toEqual([
      'vllm',
    ]);
    const pod = enginePod(engineObjects({ enableLoRA: true, pvcStorage: '50Gi' }, { sidecar: { image: 'lora:1' } }));
    const sidecar = pod.containers[1];
    expect(sidecar).toEqual({
      name: 'sidecar',
      image: 'lora:1',
      imagePullPolicy: 'Always',
      env: [
        { name: 'PORT', value: '30090' },
        { name: 'LORA_DOWNLOAD_BASE_DIR', value: '/data/lora-adapters' },
      ],
      volumeMounts: [{ name: 'pd-storage', mountPath: '/data' }],
    });
  });

  it('renders the init container with RELEASE_NAME, the envFromSecret and the storage mount when asked', () => {
    const pod = enginePod(
      engineObjects({
        pvcStorage: '50Gi',
        envFromSecret: { name: 'creds' },
        initContainer: { name: 'fetch', image: 'busybox', command: ['sh', '-c', 'true'], mountPvcStorage: true },
      }),
    );
    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.name).toBe('fetch');
    expect(init.image).toBe('busybox');
    expect(envMap(init)).toEqual({ RELEASE_NAME: 'pd' });
    expect(init.envFrom).toEqual([{ secretRef: { name: 'creds' } }]);
    expect(init.volumeMounts).toEqual([{ name: 'pd-storage', mountPath: '/data' }]);
    expect(init.securityContext).toEqual(vllmContainer({ spec: { template: { spec: pod } } }).securityContext);
  });
});
