import { describe, expect, it } from 'vitest';
import { Chart, Testing } from 'cdk8s';
import { RouterDiscovery, ROUTER_TERMINATION_MARGIN_SECONDS, VllmRouter } from '../../constructs/router.js';
import { SecretSource } from '../../constructs/release-secret.js';
import { FLAGS } from '../../schema/facts/router-flags.js';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject } from '../support/kube-validate.js';
import { envMap, find, ROUTER_LABELS, routerStack, synthStack } from '../support/synth.js';

const engine = { name: 'm', repository: 'r', tag: 't', modelURL: 'u', requestCPU: 1, requestMemory: '1Gi' };

function router(values: PdstackValues): {
  args: string[];
  env: Record<string, string>;
  objects: ReturnType<typeof synthStack>;
} {
  const objects = synthStack(values);
  for (const o of objects) validateKubeObject(o);
  const c = find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec.containers[0];
  return { args: c.args, env: envMap(c), objects };
}

describe('VllmRouter', () => {
  it("defaults to production-stack's router settings, with pdstack-router's image", () => {
    const { args, objects } = router({ servingEngineSpec: { modelSpec: [engine] } });
    expect(args).toEqual([
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--service-discovery',
      'k8s',
      '--k8s-namespace',
      'default',
      '--k8s-service-discovery-type',
      'pod-ip',
      '--k8s-label-selector',
      'app.kubernetes.io/instance=pd,environment=test,release=test',
      '--k8s-port',
      '8000',
      '--routing-logic',
      'roundrobin',
      '--engine-stats-interval',
      '15',
      '--request-stats-window',
      '60',
    ]);
    const c = find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec.containers[0];
    expect(c.image).toBe(`${ROUTER_IMAGE.repository}:${ROUTER_IMAGE.tag}`);
    expect(c.resources).toEqual({ requests: { cpu: '400m', memory: '1000Mi' }, limits: { memory: '1000Mi' } });
  });

  it('runs pdstack-router non-root on a read-only filesystem, unless the values set the container security context', () => {
    const pod = (routerSpec: PdstackValues['routerSpec']): Record<string, any> =>
      find(
        router({ servingEngineSpec: { modelSpec: [engine] }, routerSpec }).objects,
        'Deployment',
        'pd-deployment-router',
      ).spec.template.spec;
    expect(pod({}).containers[0].securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod({}).volumes).toBeUndefined();
    expect(pod({}).automountServiceAccountToken).toBeUndefined(); // the router watches and patches: it keeps its token
    const own = { runAsUser: 2000, readOnlyRootFilesystem: false };
    expect(pod({ containerSecurityContext: own }).containers[0].securityContext).toEqual(own);
    // production-stack's Python router: its user and writes are not pdstack's to know
    expect(pod({ repository: 'lmcache/lmstack-router', tag: 'latest' }).containers[0].securityContext).toBeUndefined();
  });

  it('gives the pod more termination grace than the router drains for (--shutdown-grace-seconds)', () => {
    const grace = (extraArgs: string[]): number =>
      find(
        router({ servingEngineSpec: { modelSpec: [engine] }, routerSpec: { extraArgs } }).objects,
        'Deployment',
        'pd-deployment-router',
      ).spec.template.spec.terminationGracePeriodSeconds;
    const flag = FLAGS.find((f) => f.name === 'shutdown-grace-seconds')!;
    expect(grace([])).toBe((flag.default as number) + ROUTER_TERMINATION_MARGIN_SECONDS);
    expect(grace(['--shutdown-grace-seconds', '90.5'])).toBe(91 + ROUTER_TERMINATION_MARGIN_SECONDS);
    expect(grace(['--shutdown_grace_seconds=0'])).toBe(ROUTER_TERMINATION_MARGIN_SECONDS);
  });

  it('passes the engine containerPort as --k8s-port in pod-ip mode (fix)', () => {
    expect(router({ servingEngineSpec: { containerPort: 9000, modelSpec: [engine] } }).args.join(' ')).toContain(
      '--k8s-port 9000',
    );
  });

  it('uses Service ports and widens RBAC only in service-name mode', () => {
    const { args, objects } = router({
      servingEngineSpec: { servicePort: 8080, modelSpec: [engine] },
      routerSpec: { k8sServiceDiscoveryType: 'service-name' },
    });
    expect(args.join(' ')).toContain(
      '--k8s-service-discovery-type service-name --k8s-label-selector app.kubernetes.io/instance=pd,environment=test,release=test --k8s-port 8080',
    );
    expect(find(objects, 'Role', 'pd-reader').rules[0].resources).toEqual(['pods', 'services', 'endpoints']);
  });

  it('renders static discovery and optional flags in production-stack order', () => {
    const { args } = router({
      servingEngineSpec: { enableEngine: false },
      routerSpec: {
        serviceDiscovery: 'static',
        staticBackends: 'http://a.example.com:8000',
        staticModels: 'm',
        routingLogic: 'prefixaware',
        prefixMinMatchLength: 256,
        sessionKey: 'x-user',
        rootPath: '/api',
        extraArgs: ['--log-stats'],
      },
    });
    expect(args).toEqual([
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--service-discovery',
      'static',
      '--static-backends',
      'http://a.example.com:8000',
      '--static-models',
      'm',
      '--routing-logic',
      'prefixaware',
      '--prefix-min-match-length',
      '256',
      '--session-key',
      'x-user',
      '--root-path',
      '/api',
      '--engine-stats-interval',
      '15',
      '--request-stats-window',
      '60',
      '--log-stats',
    ]);
  });

  it("shares the engines' API key, unless the router has its own", () => {
    expect(router({ servingEngineSpec: { vllmApiKey: 'sk', modelSpec: [engine] } }).env.VLLM_API_KEY).toBe(
      '<secret:pd-secrets/vllmApiKey>',
    );
    expect(
      router({
        servingEngineSpec: { vllmApiKey: 'sk', modelSpec: [engine] },
        routerSpec: { vllmApiKey: { secretName: 'rk', secretKey: 'k' }, hf_token: 'hf' },
      }).env,
    ).toEqual({
      HF_TOKEN: '<secret:pd-secrets/routerHfToken>',
      PYTHONHASHSEED: '123',
      LMCACHE_LOG_LEVEL: 'INFO',
      VLLM_API_KEY: '<secret:rk/k>',
    });
  });

  it("keeps its literal hf_token in the release Secret, not in the Deployment (production-stack's plain env value)", () => {
    const { objects } = router({
      servingEngineSpec: { modelSpec: [engine] },
      routerSpec: { hf_token: 'hf_ROUTER_TOKEN' },
    });
    expect(find(objects, 'Secret', 'pd-secrets').data).toEqual({
      routerHfToken: Buffer.from('hf_ROUTER_TOKEN').toString('base64'),
    });
    expect(JSON.stringify(find(objects, 'Deployment', 'pd-deployment-router'))).not.toContain('hf_ROUTER_TOKEN');
  });

  it('uses a given ServiceAccount without rendering RBAC, and a NodePort Service', () => {
    const { objects } = router({
      servingEngineSpec: { modelSpec: [engine] },
      routerSpec: { serviceAccountName: 'mine', serviceType: 'NodePort', nodePort: 30080 },
    });
    const rbac = [
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ];
    expect(objects.some((o) => rbac.includes(o.kind))).toBe(false);
    expect(find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec.serviceAccountName).toBe('mine');
    const svc = find(objects, 'Service', 'pd-router-service');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0].nodePort).toBe(30080);
  });

  it("renders production-stack's deployment-router custom values (its suite's facts)", () => {
    const objects = routerStack({
      repository: 'custom-repo/lmstack-router',
      tag: 'v1',
      imagePullPolicy: 'IfNotPresent',
      securityContext: { runAsUser: 1000 },
      containerSecurityContext: { runAsNonRoot: true },
      imagePullSecrets: [{ name: 'my-registry-secret' }],
      replicaCount: 2,
      priorityClassName: 'system-cluster-critical',
      lmcacheConfig: { logLevel: 'DEBUG' },
      resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } },
      podAnnotations: { 'custom-annotation': 'custom-value' },
      rootPath: '/llm',
      env: [{ name: 'EXTRA', value: '1' }],
      extraVolumes: [{ name: 'tmp', emptyDir: {} }],
      extraVolumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      serviceAnnotations: { 'example.com/owner': 'team-a' },
    });
    const labels = ROUTER_LABELS;
    const d = find(objects, 'Deployment', 'vllm-deployment-router');
    expect(d.metadata.labels).toEqual(labels);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector.matchLabels).toEqual(labels);
    expect(d.spec.template.metadata).toEqual({ labels, annotations: { 'custom-annotation': 'custom-value' } });
    const pod = d.spec.template.spec;
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.imagePullSecrets).toEqual([{ name: 'my-registry-secret' }]);
    expect(pod.securityContext).toEqual({ runAsUser: 1000 });
    expect(pod.serviceAccountName).toBe('vllm-router-service-account');
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    const c = pod.containers[0];
    expect(c.image).toBe('custom-repo/lmstack-router:v1');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.securityContext).toEqual({ runAsNonRoot: true });
    expect(envMap(c)).toMatchObject({ LMCACHE_LOG_LEVEL: 'DEBUG', EXTRA: '1' });
    expect(c.env.at(-1)).toEqual({ name: 'EXTRA', value: '1' });
    expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '3Gi' } });
    const health = { httpGet: { path: '/health', port: 'router-port' } };
    expect(c.livenessProbe).toEqual({ initialDelaySeconds: 30, periodSeconds: 5, failureThreshold: 3, ...health });
    expect(c.startupProbe).toEqual({ initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 3, ...health });
    expect(c.readinessProbe).toEqual({ initialDelaySeconds: 30, periodSeconds: 5, failureThreshold: 3, ...health });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(c.args.slice(c.args.indexOf('--root-path'), c.args.indexOf('--root-path') + 2)).toEqual([
      '--root-path',
      '/llm',
    ]);
    expect(find(objects, 'Service', 'vllm-router-service').metadata.annotations).toEqual({
      'example.com/owner': 'team-a',
    });
  });

  it('renders no router when disabled', () => {
    expect(synthStack({ routerSpec: { enableRouter: false } }).some((o) => o.metadata.name.includes('router'))).toBe(
      false,
    );
  });

  it('takes typed props in code: discovery factory, image, routing, tracing, a literal API key, Service options', () => {
    const chart = new Chart(Testing.app(), 't');
    new VllmRouter(chart, 'r', {
      release: 'pd',
      namespace: 'llm',
      engines: { port: 8000 },
      discovery: RouterDiscovery.staticBackends(['http://a:8000', 'http://b:8000'], ['m', 'n']),
      image: { repository: 'example.com/router', tag: 'v2', pullPolicy: 'IfNotPresent' },
      routing: { logic: 'session', sessionKey: 'x-user' },
      stats: { requestStatsWindowSeconds: 30 },
      tracing: { endpoint: 'otel:4317' },
      apiKey: SecretSource.literal('sk-1'),
      service: { type: 'NodePort', nodePort: 30080 },
      scheduling: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }] },
    });
    const objects = Testing.synth(chart);
    const pod = find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec;
    const c = pod.containers[0];
    expect([c.image, c.imagePullPolicy]).toEqual(['example.com/router:v2', 'IfNotPresent']);
    expect(c.args.join(' ')).toContain(
      '--service-discovery static --static-backends http://a:8000,http://b:8000 --static-models m,n --routing-logic session --session-key x-user --engine-stats-interval 15 --request-stats-window 30 --otel-endpoint otel:4317 --otel-service-name vllm-router',
    );
    expect(c.env.find((e: { name: string }) => e.name === 'VLLM_API_KEY').valueFrom.secretKeyRef).toEqual({
      name: 'pd-secrets',
      key: 'vllmApiKey',
    });
    expect(find(objects, 'Service', 'pd-router-service').spec.ports[0]).toMatchObject({ nodePort: 30080 });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] },
    ]);
    for (const o of objects) validateKubeObject(o);
  });

  it('refuses a release that cannot name its objects', () => {
    const build = (release: string) => () =>
      new VllmRouter(new Chart(Testing.app(), 't'), 'r', { release, namespace: 'default', engines: { port: 8000 } });
    expect(build('PD')).toThrow(/^VllmRouter: release name `PD` is not valid: /);
    expect(build('pd')).not.toThrow();
  });
});
