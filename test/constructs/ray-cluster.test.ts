import { execFileSync } from 'node:child_process';
import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import { RAY_HEAD_COMMAND, VllmRayCluster, type VllmRayClusterProps } from '../../constructs/ray-cluster.js';
import { SecretSource } from '../../constructs/release-secret.js';
import { Quantity } from '../../schema/facts/quantity.js';
import { loadValuesText } from '../../schema/index.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

// production-stack's tutorials values-15-a (one KubeRay model, pipeline parallelism over a head and a worker) and
// values-15-b (the same beside a Deployment model), written out here.
const TUTORIAL_15_A = `servingEngineSpec:
  runtimeClassName: ""
  modelSpec:
  - name: distilgpt2-raycluster
    repository: lmcache/vllm-openai
    tag: latest
    modelURL: distilbert/distilgpt2
    replicaCount: 1
    requestCPU: 1
    requestMemory: 20Gi
    requestGPU: 1
    vllmConfig: {tensorParallelSize: 1, pipelineParallelSize: 2}
    shmSize: 20Gi
    raySpec:
      enabled: true
      headNode: {requestCPU: 1, requestMemory: 20Gi, requestGPU: 1}
`;
const TUTORIAL_15_B = `${TUTORIAL_15_A}  - name: opt125m-deployment
    repository: vllm/vllm-openai
    tag: latest
    modelURL: facebook/opt-125m
    replicaCount: 1
    requestCPU: 1
    requestMemory: 20Gi
    requestGPU: 1
    vllmConfig: {tensorParallelSize: 1}
    shmSize: 20Gi
`;

function compiled(text: string): PdstackValues {
  const { values, diagnostics } = loadValuesText(text, 'values.yaml', { release: 'vllm' });
  expect(diagnostics).toEqual([]);
  return values!;
}

const tutorial = (text: string): KubeObject[] => synthStack(compiled(text), 'vllm');
const env = (c: { env?: Array<{ name: string }> }): string[] => (c.env ?? []).map((e) => e.name);
type Any = Record<string, any>;
const head = (rc: Any): Any => rc.spec.headGroupSpec.template;
const worker = (rc: Any): Any => rc.spec.workerGroupSpecs[0].template;

describe('VllmRayCluster: production-stack tutorials 15-a and 15-b, release vllm', () => {
  // Objects, images and env names production-stack's chart renders for them (Helm 3.18 at production-stack a6c01db),
  // with pdstack's deliberate differences (README): the scripts' ConfigMaps carry the release; the Ray containers get
  // the engines' env (PYTHONHASHSEED, POD_IP, PROMETHEUS_MULTIPROC_DIR, no VLLM_USE_V1=0: V0 only with v0: "1").
  it.each([
    ['15-a', TUTORIAL_15_A, []],
    [
      '15-b',
      TUTORIAL_15_B,
      ['Deployment/vllm-opt125m-deployment-deployment-vllm', 'Service/vllm-opt125m-deployment-engine-service'],
    ],
  ])('%s: the engine objects', (_name, text, others) => {
    const objects = tutorial(text);
    for (const o of objects) validateKubeObject(o);
    const engineObjects = objects
      .filter((o) => o.metadata.name.includes('distilgpt2') || o.metadata.name.includes('opt125m'))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(engineObjects.sort()).toEqual(
      [
        'RayCluster/vllm-distilgpt2-raycluster-raycluster',
        'ConfigMap/vllm-distilgpt2-raycluster-wait-for-ray-script',
        'ConfigMap/vllm-distilgpt2-raycluster-vllm-start-script',
        'Service/vllm-distilgpt2-raycluster-engine-service',
        ...others,
      ].sort(),
    );
    const rc = find(objects, 'RayCluster', 'vllm-distilgpt2-raycluster-raycluster');
    expect(rc.apiVersion).toBe('ray.io/v1');
    const [h] = head(rc).spec.containers;
    const [w] = worker(rc).spec.containers;
    expect([h.name, h.image, w.name, w.image]).toEqual([
      'vllm-ray-head',
      'lmcache/vllm-openai:latest',
      'vllm-ray-worker',
      'lmcache/vllm-openai:latest',
    ]);
    const engineEnv = ['PYTHONHASHSEED', 'HF_HOME', 'POD_IP', 'PROMETHEUS_MULTIPROC_DIR'];
    expect(env(h)).toEqual(['VLLM_HOST_IP', 'EXPECTED_NODES', ...engineEnv]);
    expect(env(w)).toEqual(['VLLM_HOST_IP', ...engineEnv]);
    expect(h.env[1]).toEqual({ name: 'EXPECTED_NODES', value: '2' });
    expect(rc.spec.workerGroupSpecs[0]).toMatchObject({ groupName: 'ray', replicas: 1, rayStartParams: {} });
    expect(rc.spec.headGroupSpec).toMatchObject({
      serviceType: 'ClusterIP',
      rayStartParams: { 'dashboard-host': '0.0.0.0' },
    });
  });

  it('HAMi keys size the workers only: the head is sized by raySpec.headNode, which has none', () => {
    const text = TUTORIAL_15_A.replace(
      '    requestGPU: 1\n',
      '    requestGPU: 1\n    requestGPUMem: 3000\n    limitGPUMemPercentage: 50\n    requestGPUCores: 30\n',
    );
    const rc = find(tutorial(text), 'RayCluster', 'vllm-distilgpt2-raycluster-raycluster');
    const keys = (t: Any): string[] =>
      ['requests', 'limits'].flatMap((k) => Object.keys(t.spec.containers[0].resources[k] ?? {}));
    expect(keys(head(rc)).filter((k) => k.startsWith('nvidia.com/gpu') && k !== 'nvidia.com/gpu')).toEqual([]);
    expect(head(rc).spec.containers[0].resources).toEqual({
      requests: { cpu: '1', memory: '20Gi', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(keys(worker(rc))).toEqual(expect.arrayContaining(['nvidia.com/gpumem', 'nvidia.com/gpucores']));
    expect(worker(rc).spec.containers[0].resources.requests).toMatchObject({
      'nvidia.com/gpumem': '3000',
      'nvidia.com/gpucores': '30',
    });
  });

  it('15-a: GPUs per group as requests and limits (KubeRay gives Ray the limits), /dev/shm for tensor parallelism', () => {
    const rc = find(tutorial(TUTORIAL_15_A), 'RayCluster', 'vllm-distilgpt2-raycluster-raycluster');
    const gpus = { requests: { cpu: '1', memory: '20Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } };
    expect(head(rc).spec.containers[0].resources).toEqual(gpus);
    expect(worker(rc).spec.containers[0].resources).toEqual(gpus);
    for (const t of [head(rc), worker(rc)])
      expect(t.spec.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '20Gi' } });
  });

  it('15-a: the head starts the start script, which waits for both Ray nodes and execs vLLM with Ray as its executor', () => {
    const objects = tutorial(TUTORIAL_15_A);
    const rc = find(objects, 'RayCluster', 'vllm-distilgpt2-raycluster-raycluster');
    const h = head(rc).spec.containers[0];
    expect(h.command).toEqual([RAY_HEAD_COMMAND]);
    expect(h.startupProbe).toEqual({
      exec: { command: ['/opt/venv/bin/python3', '/scripts/wait_for_ray.py'] },
      periodSeconds: 15,
      failureThreshold: 30,
      timeoutSeconds: 10,
    });
    expect(h.readinessProbe).toEqual({
      httpGet: { path: '/health', port: 8000 },
      periodSeconds: 10,
      failureThreshold: 1,
    });
    expect(head(rc).spec.volumes.slice(0, 2)).toEqual([
      { name: 'wait-script', configMap: { name: 'vllm-distilgpt2-raycluster-wait-for-ray-script' } },
      { name: 'vllm-script', configMap: { name: 'vllm-distilgpt2-raycluster-vllm-start-script' } },
    ]);
    const script: string = find(objects, 'ConfigMap', 'vllm-distilgpt2-raycluster-vllm-start-script').data[
      'vllm-entrypoint.sh'
    ];
    const lines = script.trimEnd().split('\n');
    expect(lines).toContain('until /opt/venv/bin/python3 /scripts/wait_for_ray.py; do');
    expect(lines.at(-1)).toBe(
      'exec /opt/venv/bin/vllm serve distilbert/distilgpt2 --host 0.0.0.0 --port 8000 --distributed-executor-backend ray --tensor-parallel-size 1 --pipeline-parallel-size 2',
    );
    expect(() => execFileSync('bash', ['-n', '-c', script])).not.toThrow();
    // KubeRay runs the head's command, then `ray start`, as one bash line (ray-operator's BuildPod)
    expect(() =>
      execFileSync('bash', ['-n', '-c', `${RAY_HEAD_COMMAND} && ulimit -n 65536; ray start --head --block`]),
    ).not.toThrow();
    const wait: string = find(objects, 'ConfigMap', 'vllm-distilgpt2-raycluster-wait-for-ray-script').data[
      'wait_for_ray.py'
    ];
    expect(wait).toContain('os.environ.get("EXPECTED_NODES", "1")');
  });

  it("labels: the head pod is an engine pod (the Service's selector, the router's discovery); workers are not", () => {
    const objects = tutorial(TUTORIAL_15_A);
    const rc = find(objects, 'RayCluster', 'vllm-distilgpt2-raycluster-raycluster');
    const service = find(objects, 'Service', 'vllm-distilgpt2-raycluster-engine-service');
    const plain = { model: 'distilgpt2-raycluster', 'helm-release-name': 'vllm', environment: 'test', release: 'test' };
    expect(rc.metadata.labels).toEqual(plain);
    expect(head(rc).metadata.labels).toEqual(service.spec.selector);
    expect(head(rc).metadata.labels['app.kubernetes.io/instance']).toBe('vllm');
    expect(worker(rc).metadata.labels).toEqual(plain);
    const router = find(objects, 'Deployment', 'vllm-deployment-router');
    const selector: string = router.spec.template.spec.containers[0].args.join(' ');
    expect(selector).toContain('app.kubernetes.io/instance=vllm');
  });

  it('15-b: the Deployment model is unchanged by its KubeRay neighbour', () => {
    const withRay = find(tutorial(TUTORIAL_15_B), 'Deployment', 'vllm-opt125m-deployment-deployment-vllm');
    const alone = compiled(TUTORIAL_15_B);
    alone.servingEngineSpec!.modelSpec = alone.servingEngineSpec!.modelSpec!.slice(1);
    expect(withRay).toEqual(find(synthStack(alone, 'vllm'), 'Deployment', 'vllm-opt125m-deployment-deployment-vllm'));
  });
});

const PROPS: VllmRayClusterProps = {
  release: 'pd',
  name: 'big',
  image: { repository: 'vllm/vllm-openai', tag: 'v0.10.0' },
  modelURL: 'meta-llama/Llama-3.1-70B-Instruct',
  resources: { cpu: Quantity.parse(8), memory: Quantity.parse('64Gi'), gpus: Quantity.parse(4) },
  head: { resources: { cpu: Quantity.parse(8), memory: Quantity.parse('64Gi'), gpus: Quantity.parse(4) } },
  replicas: 1,
  vllm: { config: { tensorParallelSize: 4, pipelineParallelSize: 2 } },
};

function synth(props: VllmRayClusterProps): KubeObject[] {
  const chart = Testing.chart();
  new VllmRayCluster(chart, 'big', props);
  const objects = Testing.synth(chart) as KubeObject[];
  for (const o of objects) validateKubeObject(o);
  return objects;
}

describe('VllmRayCluster: the construct', () => {
  it('renders the RayCluster, the two scripts and the engine Service from typed props', () => {
    const objects = synth(PROPS);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'RayCluster/pd-big-raycluster',
      'ConfigMap/pd-big-wait-for-ray-script',
      'ConfigMap/pd-big-vllm-start-script',
      'Service/pd-big-engine-service',
    ]);
    const rc = find(objects, 'RayCluster', 'pd-big-raycluster');
    expect(head(rc).spec.containers[0].resources.limits).toEqual({ 'nvidia.com/gpu': '4' });
    // the CRD's schema is enforced (test/fixtures/crds/)
    const broken = structuredClone(rc);
    broken.spec.workerGroupSpecs[0].replicas = 'one';
    expect(() => validateKubeObject(broken)).toThrow(
      'RayCluster/pd-big-raycluster: /spec/workerGroupSpecs/0/replicas must be integer',
    );
    expect(find(objects, 'ConfigMap', 'pd-big-vllm-start-script').data['vllm-entrypoint.sh']).toContain(
      'exec vllm serve meta-llama/Llama-3.1-70B-Instruct --host 0.0.0.0 --port 8000 --distributed-executor-backend ray --tensor-parallel-size 4 --pipeline-parallel-size 2\n',
    );
  });

  it("the head's resources override, init containers per group, secrets as references", () => {
    const chart = Testing.chart();
    new VllmRayCluster(chart, 'big', {
      ...PROPS,
      hfToken: SecretSource.literal('hf_secret_value'),
      apiKey: SecretSource.fromSecret('keys', 'vllm'),
      head: {
        ...PROPS.head,
        resourcesOverride: { requests: { cpu: '3', 'nvidia.com/gpu': '4' }, limits: { 'nvidia.com/gpu': '4' } },
        initContainer: { name: 'head-init', image: 'busybox' },
      },
      initContainer: { name: 'worker-init', image: 'busybox' },
    });
    const objects = Testing.synth(chart) as KubeObject[];
    for (const o of objects) validateKubeObject(o);
    const rc = find(objects, 'RayCluster', 'pd-big-raycluster');
    expect(head(rc).spec.containers[0].resources).toEqual({
      requests: { cpu: '3', 'nvidia.com/gpu': '4' },
      limits: { 'nvidia.com/gpu': '4' },
    });
    expect(head(rc).spec.initContainers.map((c: Any) => c.name)).toEqual(['head-init']);
    expect(worker(rc).spec.initContainers.map((c: Any) => c.name)).toEqual(['worker-init']);
    for (const t of [head(rc), worker(rc)]) {
      const byName = Object.fromEntries(t.spec.containers[0].env.map((e: Any) => [e.name, e]));
      expect(byName.HF_TOKEN.valueFrom).toEqual({ secretKeyRef: { name: 'pd-secrets', key: 'hf_token_big' } });
      expect(byName.VLLM_API_KEY.valueFrom).toEqual({ secretKeyRef: { name: 'keys', key: 'vllm' } });
    }
    expect(JSON.stringify(rc)).not.toContain('hf_secret_value');
    expect(find(objects, 'Secret', 'pd-secrets').data.hf_token_big).toBe(
      Buffer.from('hf_secret_value').toString('base64'),
    );
  });

  it('refuses a cluster too small for its parallelism, a RayCluster name KubeRay refuses, and pipeline parallelism on a VllmEngine', () => {
    expect(() => synth({ ...PROPS, replicas: 0 })).toThrow(
      /^VllmRayCluster big: vllmConfig\.pipelineParallelSize: tensorParallelSize 4 × pipelineParallelSize 2 needs 8 GPU\(s\), one per vLLM worker, but the Ray cluster has 4 GPU\(s\)/,
    );
    expect(() => synth({ ...PROPS, name: 'b'.repeat(42) })).toThrow(
      `VllmRayCluster ${'b'.repeat(42)}: name: the RayCluster \`pd-${'b'.repeat(42)}-raycluster\` would be 56 characters long; KubeRay allows 53`,
    );
    const { head: _head, ...engine } = PROPS;
    expect(
      () =>
        new VllmEngine(new Chart(Testing.app(), 'c'), 'e', {
          ...engine,
          vllm: { config: { pipelineParallelSize: 2 } },
        }),
    ).toThrow(
      /^VllmEngine big: vllmConfig\.pipelineParallelSize: pipeline parallelism is rendered for KubeRay models only/,
    );
  });
});
