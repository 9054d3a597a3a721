import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { LmcacheServer } from '../../constructs/cache-server.js';
import type { CacheserverSpec, ModelSpec } from '../../schema/values.generated.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { BASE_MODEL, PD_RECEIVER } from '../support/engine.js';
import { envMap, find, synthStack, vllmContainer } from '../support/synth.js';

const LMCACHE_MODEL: ModelSpec = {
  ...BASE_MODEL,
  lmcacheConfig: { enabled: true, cpuOffloadingBufferSize: '20' },
  initContainer: { name: 'wait', image: 'busybox', command: ['sh', '-c'], args: ['sleep 1'] },
};

function stack(cacheserverSpec: CacheserverSpec, models: ModelSpec[] = [LMCACHE_MODEL]): KubeObject[] {
  const objects = synthStack({
    servingEngineSpec: { modelSpec: models },
    routerSpec: { enableRouter: false },
    cacheserverSpec,
  });
  for (const o of objects) validateKubeObject(o);
  return objects;
}

const LABELS = {
  'app.kubernetes.io/name': 'cache-server',
  'app.kubernetes.io/instance': 'pd',
  'app.kubernetes.io/component': 'cache-server',
  'app.kubernetes.io/part-of': 'vllm-stack',
  'app.kubernetes.io/managed-by': 'helm',
};

describe('LmcacheServer', () => {
  it("renders production-stack's defaults: lmcache/vllm-openai:latest on 8000 behind port 80, probed by health_probe.py", () => {
    const objects = stack({ enabled: true });
    const deployment = find(objects, 'Deployment', 'pd-deployment-cache-server');
    expect(deployment.metadata).toEqual({ name: 'pd-deployment-cache-server', namespace: 'default', labels: LABELS });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(deployment.spec.selector.matchLabels).toEqual(LABELS);
    expect(deployment.spec.template.metadata.labels).toEqual(LABELS);
    expect(deployment.spec.template.spec).toEqual({
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'lmcache-server',
          image: 'lmcache/vllm-openai:latest',
          command: ['/opt/venv/bin/lmcache_server', '0.0.0.0', '8000'],
          ports: [{ name: 'caserver-cport', containerPort: 8000 }],
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: {
            initialDelaySeconds: 30,
            periodSeconds: 10,
            failureThreshold: 3,
            timeoutSeconds: 5,
            exec: {
              command: [
                '/opt/venv/bin/python3',
                '/workspace/LMCache/examples/kubernetes/health_probe.py',
                '127.0.0.1',
                '8000',
              ],
            },
          },
        },
      ],
    });
    const service = find(objects, 'Service', 'pd-cache-server-service');
    expect(service.metadata.labels).toEqual(LABELS);
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      ports: [{ name: 'cacheserver-sport', port: 80, targetPort: 8000, protocol: 'TCP' }],
      selector: LABELS,
    });
  });

  it('renders every pod and Service setting given', () => {
    const objects = stack({
      enabled: true,
      image: { repository: 'lmcache/vllm-openai', tag: 'latest-nightly' },
      replicaCount: 2,
      containerPort: 8080,
      servicePort: 81,
      serviceType: 'NodePort',
      serviceAnnotations: { lb: 'x' },
      annotations: { owner: 'ml' },
      labels: { environment: 'cacheserver' },
      strategy: { type: 'Recreate' },
      livenessProbe: { initialDelaySeconds: 60 },
      resources: { requests: { cpu: '4', memory: '8G' }, limits: { memory: '10G' } },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      runtimeClassName: 'kata',
      schedulerName: 'volcano',
      priorityClassName: 'high',
      nodeSelector: { pool: 'cpu' },
      imagePullSecrets: [{ name: 'regcred' }],
      securityContext: { fsGroup: 1000 },
      containerSecurityContext: { runAsNonRoot: true },
    });
    const deployment = find(objects, 'Deployment', 'pd-deployment-cache-server');
    const labels = { ...LABELS, environment: 'cacheserver' };
    expect(deployment.metadata.annotations).toEqual({ owner: 'ml' });
    expect([deployment.spec.replicas, deployment.spec.strategy, deployment.spec.selector.matchLabels]).toEqual([
      2,
      { type: 'Recreate' },
      labels,
    ]);
    const pod = deployment.spec.template.spec;
    expect(pod).toMatchObject({
      priorityClassName: 'high',
      runtimeClassName: 'kata',
      schedulerName: 'volcano',
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      securityContext: { fsGroup: 1000 },
      nodeSelector: { pool: 'cpu' },
      imagePullSecrets: [{ name: 'regcred' }],
    });
    const container = pod.containers[0];
    expect(container).toMatchObject({
      image: 'lmcache/vllm-openai:latest-nightly',
      command: ['/opt/venv/bin/lmcache_server', '0.0.0.0', '8080'],
      resources: { requests: { cpu: '4', memory: '8G' }, limits: { memory: '10G' } },
      ports: [{ name: 'caserver-cport', containerPort: 8080 }],
      securityContext: { runAsNonRoot: true },
    });
    // a probe key left out takes its default
    expect(container.livenessProbe).toMatchObject({ initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 5 });
    expect(container.livenessProbe.exec.command.slice(2)).toEqual(['127.0.0.1', '8080']);
    const service = find(objects, 'Service', 'pd-cache-server-service');
    expect([service.metadata.annotations, service.spec.type, service.spec.ports[0]]).toEqual([
      { lb: 'x' },
      'NodePort',
      { name: 'cacheserver-sport', port: 81, targetPort: 8080, protocol: 'TCP' },
    ]);
  });

  it('renders no liveness probe for livenessProbe: {}', () => {
    const deployment = find(stack({ enabled: true, livenessProbe: {} }), 'Deployment', 'pd-deployment-cache-server');
    expect(deployment.spec.template.spec.containers[0].livenessProbe).toBeUndefined();
  });

  it('points LMCache engines at it: LMCACHE_REMOTE_URL and LMCACHE_REMOTE_SERDE after the local sizes, the port to init containers', () => {
    const objects = stack({ enabled: true, servicePort: 81, serde: 'naive' });
    const pod = find(objects, 'Deployment', 'pd-opt-deployment-vllm').spec.template.spec;
    const names = (vllmContainer({ spec: { template: { spec: pod } } }).env as Array<{ name: string }>).map(
      (e) => e.name,
    );
    expect(names.slice(names.indexOf('LMCACHE_MAX_LOCAL_CPU_SIZE'))).toEqual([
      'LMCACHE_MAX_LOCAL_CPU_SIZE',
      'LMCACHE_REMOTE_URL',
      'LMCACHE_REMOTE_SERDE',
      'LMCACHE_LMCACHE_INSTANCE_ID',
    ]);
    expect(envMap(vllmContainer({ spec: { template: { spec: pod } } }))).toMatchObject({
      LMCACHE_REMOTE_URL: 'lm://pd-cache-server-service:81',
      LMCACHE_REMOTE_SERDE: 'naive',
    });
    expect(pod.initContainers[0].env).toEqual([
      { name: 'RELEASE_NAME', value: 'pd' },
      { name: 'LMCACHE_SERVER_SERVICE_PORT', value: '81' },
    ]);
  });

  it('sets no serde without cacheserverSpec.serde, and nothing on engines without LMCache (a pdstack difference)', () => {
    const plain: ModelSpec = { ...BASE_MODEL, name: 'plain', lmcacheConfig: { enabled: false } };
    const objects = stack({ enabled: true }, [LMCACHE_MODEL, plain]);
    const env = (model: string): Record<string, string> =>
      envMap(vllmContainer(find(objects, 'Deployment', `pd-${model}-deployment-vllm`)));
    expect(env('opt')['LMCACHE_REMOTE_URL']).toBe('lm://pd-cache-server-service:80');
    expect(env('opt')['LMCACHE_REMOTE_SERDE']).toBeUndefined();
    expect(env('plain')['LMCACHE_REMOTE_URL']).toBeUndefined();
  });

  it("gives a P/D engine one LMCACHE_REMOTE_SERDE: the cache server's (production-stack repeated the name; the last wins)", () => {
    const pd: ModelSpec = {
      ...BASE_MODEL,
      lmcacheConfig: PD_RECEIVER,
    };
    const vllm = vllmContainer(
      find(stack({ enabled: true, serde: 'naive' }, [pd]), 'Deployment', 'pd-opt-deployment-vllm'),
    );
    const serdes = (vllm.env as Array<{ name: string; value: string }>).filter(
      (e) => e.name === 'LMCACHE_REMOTE_SERDE',
    );
    expect(serdes).toEqual([{ name: 'LMCACHE_REMOTE_SERDE', value: 'naive' }]);
    const withoutSerde = vllmContainer(find(stack({ enabled: true }, [pd]), 'Deployment', 'pd-opt-deployment-vllm'));
    expect(envMap(withoutSerde)['LMCACHE_REMOTE_SERDE']).toBe('NULL');
  });

  it('is rendered without engines too, as in production-stack, and not when disabled', () => {
    const kinds = (values: Parameters<typeof synthStack>[0]): string[] =>
      synthStack(values).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(
      kinds({
        servingEngineSpec: { enableEngine: false },
        routerSpec: { enableRouter: false },
        cacheserverSpec: { enabled: true },
      }),
    ).toEqual(['Deployment/pd-deployment-cache-server', 'Service/pd-cache-server-service']);
    expect(kinds({ routerSpec: { enableRouter: false }, cacheserverSpec: { enabled: false } })).not.toContain(
      'Service/pd-cache-server-service',
    );
  });

  it('takes typed props built in code: quantities, scheduling, security contexts, no probe', () => {
    const chart = new Chart(Testing.app(), 't');
    const server = new LmcacheServer(chart, 'c', {
      release: 'pd',
      image: { tag: 'nightly', pullSecrets: [{ name: 'regcred' }] },
      service: { port: 81 },
      resources: { requests: { cpu: k8s.Quantity.fromNumber(4), memory: k8s.Quantity.fromString('8Gi') } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('50%') } },
      livenessProbe: false,
      scheduling: { tolerations: [{ key: 'cpu', operator: 'Exists' }], runtimeClassName: 'kata' },
      podSecurityContext: { fsGroup: 1000 },
      containerSecurityContext: { runAsNonRoot: true },
      serde: 'naive',
    });
    expect(server.endpoint).toEqual({ url: 'lm://pd-cache-server-service:81', servicePort: 81, serde: 'naive' });
    const deployment = find(Testing.synth(chart) as KubeObject[], 'Deployment', 'pd-deployment-cache-server');
    validateKubeObject(deployment);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%' } });
    const pod = deployment.spec.template.spec;
    expect(pod).toMatchObject({
      tolerations: [{ key: 'cpu', operator: 'Exists' }],
      runtimeClassName: 'kata',
      securityContext: { fsGroup: 1000 },
      imagePullSecrets: [{ name: 'regcred' }],
    });
    expect(pod.containers[0]).toMatchObject({
      image: 'lmcache/vllm-openai:nightly',
      resources: { requests: { cpu: 4, memory: '8Gi' } },
      securityContext: { runAsNonRoot: true },
    });
    expect(pod.containers[0].livenessProbe).toBeUndefined();
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(() => new LmcacheServer(chart, 'a', { release: 'pd', replicas: 1.5 })).toThrow(
      'LmcacheServer pd: replicas: 1.5 is not a whole number of at least 0',
    );
    expect(() => new LmcacheServer(chart, 'b', { release: 'Bad_Name' })).toThrow(/^LmcacheServer: /);
    expect(() => new LmcacheServer(chart, 'c', { release: 'pd', namespace: 'Team_A' })).toThrow(/^LmcacheServer: /);
  });
});
