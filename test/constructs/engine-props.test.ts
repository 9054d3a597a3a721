import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import {
  ChatTemplate,
  ModelStorage,
  resourceKeysOf,
  rulesInputOf,
  VllmEngine,
  type VllmEngineProps,
} from '../../constructs/engine.js';
import { Quantity } from '../../schema/facts/quantity.js';
import { find, vllmContainer } from '../support/synth.js';

const BASE: VllmEngineProps = {
  release: 'pd',
  name: 'opt',
  image: { repository: 'vllm/vllm-openai', tag: 'v0.10.0' },
  modelURL: 'facebook/opt-125m',
  resources: { cpu: Quantity.parse(2), memory: Quantity.parse('8Gi') },
};

function synth(props: Partial<VllmEngineProps>): ReturnType<typeof Testing.synth> {
  const chart = new Chart(Testing.app(), 't');
  new VllmEngine(chart, 'e', { ...BASE, ...props });
  return Testing.synth(chart);
}

describe('VllmEngine typed props', () => {
  it('ModelStorage.claim makes the PVC with its options; existingClaim mounts a claim and makes none', () => {
    const claim = synth({
      storage: { model: ModelStorage.claim(Quantity.parse('50Gi'), { storageClass: 'fast', labels: { a: 'b' } }) },
    });
    expect(find(claim, 'PersistentVolumeClaim', 'pd-opt-storage-claim')).toMatchObject({
      metadata: { labels: { a: 'b' } },
      spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
    });
    const existing = synth({ storage: { model: ModelStorage.existingClaim('models') } });
    expect(existing.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    const pod = find(existing, 'Deployment', 'pd-opt-deployment-vllm').spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'pd-storage', persistentVolumeClaim: { claimName: 'models' } }]);
    expect(vllmContainer(find(existing, 'Deployment', 'pd-opt-deployment-vllm')).volumeMounts).toEqual([
      { name: 'pd-storage', mountPath: '/data' },
    ]);
  });

  it('ChatTemplate.inline stores the text in the chat-template ConfigMap and passes --chat-template', () => {
    const objects = synth({ vllm: { chatTemplate: ChatTemplate.inline('t.jinja', '{{ x }}') } });
    expect(find(objects, 'ConfigMap', 'pd-opt-chat-templates').data).toEqual({ 't.jinja': '{{ x }}' });
    expect(vllmContainer(find(objects, 'Deployment', 'pd-opt-deployment-vllm')).command.slice(-2)).toEqual([
      '--chat-template',
      '/templates/t.jinja',
    ]);
  });

  it('renders the scheduling, shm size, env and Service options given', () => {
    const objects = synth({
      vllm: { config: { tensorParallelSize: 2 } },
      storage: { shmSize: Quantity.parse('8Gi') },
      scheduling: { runtimeClassName: '', tolerations: [{ key: 'gpu', operator: 'Exists' }], nodeName: 'n1' },
      env: { vars: [{ name: 'A', value: '1' }], fromSecret: 's' },
      service: { port: 8080, annotations: { x: 'y' } },
    });
    const deployment = find(objects, 'Deployment', 'pd-opt-deployment-vllm');
    const pod = deployment.spec.template.spec;
    expect([pod.runtimeClassName, pod.nodeName, pod.tolerations]).toEqual([
      undefined,
      'n1',
      [{ key: 'gpu', operator: 'Exists' }],
    ]);
    expect(pod.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } });
    const c = vllmContainer(deployment);
    expect(c.env.find((e: { name: string }) => e.name === 'A')).toEqual({ name: 'A', value: '1' });
    expect(c.envFrom).toEqual([{ secretRef: { name: 's' } }]);
    const service = find(objects, 'Service', 'pd-opt-engine-service');
    expect([service.spec.ports[0].port, service.metadata.annotations]).toEqual([8080, { x: 'y' }]);
  });

  it('renders the k8s objects given as they are: strategy, extra ports, emptyDir storage, env, affinity, contexts', () => {
    const objects = synth({
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%') } },
      service: {
        extraPorts: [{ name: 'grpc', port: 9000, targetPort: k8s.IntOrString.fromNumber(9001), protocol: 'TCP' }],
      },
      storage: {
        model: ModelStorage.emptyDir({ sizeLimit: k8s.Quantity.fromString('20Gi') }),
        volumes: [{ name: 'cache', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } }],
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      },
      env: {
        vars: [
          {
            name: 'MEM',
            valueFrom: {
              resourceFieldRef: { resource: 'limits.memory', divisor: k8s.Quantity.fromString('1Mi') },
            },
          },
        ],
      },
      scheduling: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] }],
      },
      podSecurityContext: { fsGroup: 1000 },
      containerSecurityContext: { runAsUser: 1000 },
    });
    const deployment = find(objects, 'Deployment', 'pd-opt-deployment-vllm');
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } });
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'pd-storage', emptyDir: { sizeLimit: '20Gi' } });
    expect(pod.volumes).toContainEqual({ name: 'cache', emptyDir: { sizeLimit: '1Gi' } });
    expect(pod.securityContext).toEqual({ fsGroup: 1000 });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] },
    ]);
    const c = vllmContainer(deployment);
    expect(c.securityContext).toEqual({ runAsUser: 1000 });
    expect(c.volumeMounts).toContainEqual({ name: 'cache', mountPath: '/cache' });
    expect(c.env.find((e: { name: string }) => e.name === 'MEM')).toEqual({
      name: 'MEM',
      valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
    });
    const service = find(objects, 'Service', 'pd-opt-engine-service');
    expect(service.spec.ports.at(-1)).toEqual({ name: 'grpc', port: 9000, targetPort: 9001, protocol: 'TCP' });
  });

  it('renders a typed init container: the model storage and more mounts, env after RELEASE_NAME, Quantity resources', () => {
    const objects = synth({
      storage: { model: ModelStorage.existingClaim('models') },
      env: { fromSecret: 's' },
      initContainer: {
        image: 'busybox',
        command: ['sh', '-c', 'true'],
        env: [{ name: 'A', value: '1' }],
        resources: { requests: { cpu: k8s.Quantity.fromString('100m') } },
        mountModelStorage: true,
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      },
    });
    const [init] = find(objects, 'Deployment', 'pd-opt-deployment-vllm').spec.template.spec.initContainers;
    expect(init).toEqual({
      name: 'init',
      image: 'busybox',
      command: ['sh', '-c', 'true'],
      env: [
        { name: 'RELEASE_NAME', value: 'pd' },
        { name: 'A', value: '1' },
      ],
      envFrom: [{ secretRef: { name: 's' } }],
      resources: { requests: { cpu: '100m' } },
      securityContext: { runAsNonRoot: false },
      volumeMounts: [
        { name: 'pd-storage', mountPath: '/data' },
        { name: 'cache', mountPath: '/cache' },
      ],
    });
  });

  it('gives the resources and the engine rules the values keys (resourceKeysOf, rulesInputOf), unset props absent', () => {
    const resources = { ...BASE.resources, gpus: Quantity.parse(1), hami: { gpuCores: { request: 30 } } };
    expect(resourceKeysOf(resources)).toEqual({
      requestCPU: 2,
      requestMemory: '8Gi',
      requestGPU: 1,
      requestGPUCores: 30,
    });
    expect(rulesInputOf({ ...BASE, replicas: 2, keda: { enabled: true } })).toEqual({
      requestCPU: 2,
      requestMemory: '8Gi',
      replicaCount: 2,
      keda: { enabled: true },
    });
  });
});
