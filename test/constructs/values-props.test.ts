import { ApiObject, Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { ChatTemplate, ModelStorage, VllmEngine } from '../../constructs/engine.js';
import { SecretSource } from '../../constructs/release-secret.js';
import { RouterDiscovery } from '../../constructs/router.js';
import {
  disruptionBudget,
  engineProps,
  lmcacheServerProps,
  loraControllerProps,
  routerExposureProps,
  routerProps,
  serviceMonitorProps,
  sharedStorageProps,
} from '../../constructs/values-props.js';
import type { ModelSpec } from '../../schema/values.generated.js';
import { BASE_MODEL } from '../support/engine.js';
import { synthStack } from '../support/synth.js';

const MODEL: ModelSpec = {
  ...BASE_MODEL,
  enabled: true,
  tag: 'v0.10.0',
  requestCPU: '500m',
  requestGPU: 1,
  limitMemory: '16Gi',
  hf_token: { secretName: 'hf', secretKey: 'token' },
  vllmConfig: { maxModelLen: 4096 },
  shmSize: '2Gi',
};

describe('engineProps: a modelSpec[] entry → VllmEngine props', () => {
  it('parses the quantities (keeping their text), takes the secret factories and groups the keys by concept', () => {
    const props = engineProps('pd', 'llm', MODEL, { containerPort: 8080, vllmApiKey: 'sk-1' });
    expect(props).toMatchObject({
      release: 'pd',
      namespace: 'llm',
      name: 'opt',
      image: { repository: 'vllm/vllm-openai', tag: 'v0.10.0' },
      modelURL: 'facebook/opt-125m',
      vllm: { config: { maxModelLen: 4096 } },
      containerPort: 8080,
    });
    const { cpu, memory, gpus, memoryLimit, cpuLimit } = props.resources;
    expect([cpu.toString(), cpu.value, memory.toString(), gpus?.given, memoryLimit?.toString(), cpuLimit]).toEqual([
      '500m',
      0.5,
      '8Gi',
      1,
      '16Gi',
      undefined,
    ]);
    expect(props.storage?.shmSize?.toString()).toBe('2Gi');
    expect(props.hfToken?.ref).toEqual({ name: 'hf', key: 'token' });
    expect(props.apiKey).toEqual(SecretSource.literal('sk-1'));
  });

  it('resolves shared and model keys: the model wins, shared env first, tolerationsPolicy', () => {
    const shared = {
      runtimeClassName: 'nvidia',
      schedulerName: 'shared-scheduler',
      env: [{ name: 'A', value: '1' }],
      tolerations: [{ key: 'shared', operator: 'Exists' }],
      pdb: { enabled: true, minAvailable: 1 },
      configs: { K: 'v' },
    };
    const model: ModelSpec = {
      ...MODEL,
      runtimeClassName: '',
      env: [{ name: 'B', value: '2' }],
      tolerations: [{ key: 'model', operator: 'Exists' }],
    };
    const props = engineProps('pd', 'llm', model, shared);
    expect(props.scheduling).toMatchObject({ runtimeClassName: '', schedulerName: 'shared-scheduler' });
    expect(props.scheduling?.tolerations?.map((t) => t.key)).toEqual(['shared', 'model']);
    expect(props.env?.vars?.map((e) => e.name)).toEqual(['A', 'B']);
    expect(props.env?.fromConfigsConfigMap).toBe(true);
    expect(props.pdb).toEqual({ minAvailable: k8s.IntOrString.fromNumber(1) });
    expect(props.env?.fromSecret).toBeUndefined();
    expect(engineProps('pd', 'llm', { ...model, envFromSecret: {} }, shared).env?.fromSecret).toBeUndefined();
    expect(engineProps('pd', 'llm', { ...model, envFromSecret: { name: 's' } }, shared).env?.fromSecret).toBe('s');
    const override = engineProps('pd', 'llm', { ...model, tolerationsPolicy: 'override' }, shared);
    expect(override.scheduling?.tolerations?.map((t) => t.key)).toEqual(['model']);
  });

  it('maps the storage keys onto one ModelStorage: a claim made, an existing claim, an emptyDir', () => {
    const claim = engineProps('pd', 'llm', { ...MODEL, pvcStorage: '50Gi', storageClass: 'fast' }, {}).storage?.model;
    expect([claim?.kind, claim?.size?.toString(), claim?.claimOptions.storageClass]).toEqual(['claim', '50Gi', 'fast']);
    const existing = engineProps('pd', 'llm', { ...MODEL, pvcStorage: '50Gi', pvcExistingClaimName: 'models' }, {});
    expect(existing.storage?.model).toEqual(ModelStorage.existingClaim('models'));
    const emptyDir = engineProps('pd', 'llm', { ...MODEL, pvcStorage: { emptyDir: { medium: 'Memory' } } }, {});
    expect(emptyDir.storage?.model).toEqual(ModelStorage.emptyDir({ medium: 'Memory' }));
    const sized = engineProps('pd', 'llm', { ...MODEL, pvcStorage: { emptyDir: { sizeLimit: '20Gi' } } }, {});
    expect(sized.storage?.model?.emptyDirSource?.sizeLimit?.value).toBe('20Gi');
    expect(engineProps('pd', 'llm', { ...MODEL, chatTemplate: 't.jinja' }, {}).vllm?.chatTemplate).toEqual(
      ChatTemplate.fromTemplatesClaim('t.jinja'),
    );
  });

  it("maps production-stack's initContainer onto EngineInitContainer, its verbatim objects converted", () => {
    const init = engineProps(
      'pd',
      'llm',
      {
        ...MODEL,
        initContainer: {
          name: 'fetch',
          image: 'busybox',
          args: ['x'],
          mountPvcStorage: true,
          extraVolumeMounts: [{ name: 'v', mountPath: '/v' }],
          resources: { limits: { memory: '1Gi' } },
          env: [{ name: 'A', value: '1' }],
        },
      },
      {},
    ).initContainer;
    expect(init).toMatchObject({
      name: 'fetch',
      image: 'busybox',
      args: ['x'],
      mountModelStorage: true,
      volumeMounts: [{ name: 'v', mountPath: '/v' }],
      env: [{ name: 'A', value: '1' }],
    });
    expect((init?.resources?.limits as Record<string, { value: unknown }>).memory?.value).toBe('1Gi');
    expect(engineProps('pd', 'llm', { ...MODEL, initContainer: { resources: {} } }, {}).initContainer?.resources).toBe(
      undefined,
    );
  });

  it('gives a VllmEngine the objects PdStack renders for the same model', () => {
    const chart = new Chart(Testing.app(), 'pdstack', { disableResourceNameHashes: true });
    new VllmEngine(chart, 'e', engineProps('pd', 'default', MODEL, {}));
    const fromStack = synthStack({ servingEngineSpec: { modelSpec: [MODEL] }, routerSpec: { enableRouter: false } });
    // the stack also renders the release Secret, empty here (the token is a reference)
    expect(Testing.synth(chart)).toEqual(fromStack.filter((o) => o.kind !== 'Secret'));
  });
});

describe('routerProps: routerSpec → VllmRouter props', () => {
  const engines = { port: 8000 };

  it('takes the secret factory for hf_token and groups the keys by concept', () => {
    const props = routerProps(
      'pd',
      'llm',
      {
        enableRouter: true,
        hf_token: 'hf_abc',
        routingLogic: 'session',
        sessionKey: 'x-user',
        tag: 2,
        k8sServiceDiscoveryType: 'service-name',
        engineScrapeInterval: 5,
        priorityClassName: '',
        serviceType: 'NodePort',
        nodePort: 30080,
        vllmApiKey: { secretName: 'api', secretKey: 'key' },
        lmcacheConfig: { logLevel: 'DEBUG' },
      },
      engines,
    );
    expect(props).toMatchObject({
      release: 'pd',
      namespace: 'llm',
      engines,
      discovery: RouterDiscovery.kubernetes('service-name'),
      image: { tag: '2' },
      routing: { logic: 'session', sessionKey: 'x-user' },
      stats: { engineScrapeIntervalSeconds: 5 },
      hfToken: SecretSource.literal('hf_abc'),
      apiKey: SecretSource.fromSecret('api', 'key'),
      lmcacheLogLevel: 'DEBUG',
      service: { type: 'NodePort', nodePort: 30080 },
    });
    expect(props.scheduling?.priorityClassName).toBeUndefined();
    expect(props.tracing).toBeUndefined();
  });

  it('maps static discovery to its backend and model lists, and empty verbatim objects to unset props', () => {
    const props = routerProps(
      'pd',
      'llm',
      {
        serviceDiscovery: 'static',
        staticBackends: 'http://a:8000,http://b:8000',
        staticModels: 'm,n',
        affinity: {},
        extraVolumes: [],
        otel: { endpoint: 'otel:4317', secure: true },
      },
      engines,
    );
    expect(props.discovery).toEqual(RouterDiscovery.staticBackends(['http://a:8000', 'http://b:8000'], ['m', 'n']));
    expect([props.scheduling?.affinity, props.volumes]).toEqual([undefined, undefined]);
    expect(props.tracing).toEqual({ endpoint: 'otel:4317', secure: true });
  });
});

describe('routerExposureProps: routerSpec → the props of the objects around the router', () => {
  const chart = Testing.chart();
  const router = {
    serviceName: 'pd-router-service',
    deployment: new ApiObject(chart, 'D', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }),
  };
  const ctx = { release: 'pd', namespace: 'llm' };

  it('maps only the enabled keys, with the router labels, Service and Deployment; routes enabled, in key order', () => {
    const props = routerExposureProps(
      ctx,
      {
        labels: { team: 'a' },
        servicePort: 8080,
        pdb: { enabled: true, minAvailable: 1 },
        autoscaling: { enabled: true, maxReplicas: 4 },
        ingress: { enabled: false },
        route: {
          main: { enabled: true, labels: { r: '1' }, hostnames: ['{{ .Release.Name }}.example.com'] },
          api: { enabled: true, httpsRedirect: true, matches: [{ path: { value: '/' } }] },
          off: { enabled: false },
        },
      },
      router,
    );
    expect(props.pdb).toEqual({ ...ctx, labels: { team: 'a' }, pdb: { minAvailable: k8s.IntOrString.fromNumber(1) } });
    expect(props.autoscaler).toMatchObject({ ...ctx, deployment: router.deployment, maxReplicas: 4 });
    expect([props.ingress, props.serviceMonitor]).toEqual([undefined, undefined]);
    expect(props.routes.map((r) => r.route)).toEqual(['api', 'main']);
    const service = { name: 'pd-router-service', port: 8080 };
    expect(props.routes[0]).toMatchObject({ service, httpsRedirect: true, matches: undefined });
    expect(props.routes[1]).toMatchObject({
      service,
      labels: { team: 'a', r: '1' },
      hostnames: ['pd.example.com'],
    });
  });

  it('throws for a route kind or apiVersion the compiler refuses', () => {
    expect(() => routerExposureProps(ctx, { route: { g: { enabled: true, kind: 'GRPCRoute' } } }, router)).toThrow(
      'routerSpec.route.g.kind GRPCRoute is not rendered',
    );
    expect(() =>
      routerExposureProps(
        ctx,
        { route: { g: { enabled: true, apiVersion: 'gateway.networking.k8s.io/v1alpha2' } } },
        router,
      ),
    ).toThrow('does not serve HTTPRoute');
  });
});

describe('loraControllerProps: loraController → LoraController props', () => {
  it('converts the verbatim objects to k8s types (quantities), an empty one unset, an empty security context kept', () => {
    const props = loraControllerProps('pd', 'llm', {
      enableLoraController: true,
      resources: { requests: { cpu: '100m' }, limits: { memory: 128974848 } },
      tolerations: [],
      affinity: {},
      containerSecurityContext: {},
      env: [{ name: 'A', value: '1' }],
    });
    const requests = props.pod?.resources?.requests as Record<string, { value: unknown }>;
    const limits = props.pod?.resources?.limits as Record<string, { value: unknown }>;
    expect([requests.cpu?.value, limits.memory?.value]).toEqual(['100m', '128974848']);
    expect([props.pod?.tolerations, props.pod?.affinity, props.pod?.podSecurityContext]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(props.pod?.containerSecurityContext).toEqual({});
    expect(props.pod?.env).toEqual([{ name: 'A', value: '1' }]);
  });
});

describe('lmcacheServerProps: cacheserverSpec → LmcacheServer props', () => {
  it('groups the keys, converts the verbatim objects (quantities, int-or-string), maps livenessProbe {} to false', () => {
    const props = lmcacheServerProps('pd', 'llm', {
      enabled: true,
      image: { tag: 'nightly' },
      imagePullSecrets: [{ name: 'regcred' }],
      serviceType: 'NodePort',
      servicePort: 81,
      resources: { requests: { cpu: 4 } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '50%' } },
      livenessProbe: {},
      tolerations: [],
      runtimeClassName: 'kata',
    });
    expect(props).toMatchObject({
      release: 'pd',
      namespace: 'llm',
      image: { repository: undefined, tag: 'nightly', pullSecrets: [{ name: 'regcred' }] },
      service: { type: 'NodePort', port: 81 },
      livenessProbe: false,
      scheduling: { tolerations: undefined, runtimeClassName: 'kata' },
    });
    const cpu = (props.resources?.requests as Record<string, { value: unknown }>).cpu;
    expect(cpu?.value).toBe('4');
    expect(props.strategy?.rollingUpdate?.maxSurge?.value).toBe('50%');
    expect(
      lmcacheServerProps('pd', 'llm', { enabled: true, livenessProbe: { periodSeconds: 5 } }).livenessProbe,
    ).toEqual({ periodSeconds: 5 });
    expect(lmcacheServerProps('pd', 'llm', { enabled: true }).livenessProbe).toBeUndefined();
  });
});

describe('disruptionBudget: a pdb → the DisruptionBudget prop', () => {
  it("is undefined unless enabled; production-stack's null is not set; labels, annotations and values as given", () => {
    expect(disruptionBudget(undefined)).toBeUndefined();
    expect(disruptionBudget({ enabled: false, minAvailable: 1 })).toBeUndefined();
    expect(disruptionBudget({ enabled: true, minAvailable: null, maxUnavailable: null })).toEqual({
      minAvailable: undefined,
      maxUnavailable: undefined,
    });
    const pdb = disruptionBudget({
      enabled: true,
      labels: { a: 'b' },
      annotations: { c: 'd' },
      minAvailable: '50%',
      maxUnavailable: 0,
    });
    expect([pdb?.labels, pdb?.annotations, pdb?.minAvailable?.value, pdb?.maxUnavailable?.value]).toEqual([
      { a: 'b' },
      { c: 'd' },
      '50%',
      0,
    ]);
  });
});

describe('sharedStorageProps: sharedPvcStorage → SharedStorage props', () => {
  it('parses the size (keeping its text); "" hostPath and an NFS export without server or path back no volume', () => {
    const props = sharedStorageProps('pd', 'llm', { enabled: true, size: '50Gi', hostPath: '', nfs: { server: 'n' } });
    expect([props.size?.toString(), props.hostPath, props.nfs]).toEqual(['50Gi', undefined, undefined]);
    const nfs = sharedStorageProps('pd', 'llm', { enabled: true, nfs: { server: 'n', path: '/p' } });
    expect([nfs.size, nfs.nfs]).toEqual([undefined, { server: 'n', path: '/p' }]);
  });
});

describe("serviceMonitorProps: a serviceMonitor → a ServiceMonitor construct's scrape and additionalLabels", () => {
  it('groups the scrape settings and keeps the relabelings as given', () => {
    const relabelings = [{ action: 'drop', regex: 'go_.*', sourceLabels: ['__name__'] }];
    expect(
      serviceMonitorProps({ enabled: true, interval: '15s', relabelings, additionalLabels: { prometheus: 'main' } }),
    ).toEqual({ scrape: { interval: '15s', relabelings }, additionalLabels: { prometheus: 'main' } });
  });
});
