/** Unit tests of the pieces of Kubernetes discovery: credentials, uuid5 ids, readiness rules, the fake server's selectors. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { V1Endpoints, V1Pod, V1Service } from '@kubernetes/client-node';
import { loadKubeConfig, SERVICE_ACCOUNT_DIR } from '../../router/discovery/k8s/kubeconfig.js';
import { isPodReady, podTargets } from '../../router/discovery/k8s/pod-ip.js';
import { serviceTargets } from '../../router/discovery/k8s/service-name.js';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import { parseSelector } from './apiserver-sim.js';
import { writeKubeconfig } from './helpers.js';

const savedKubeconfig = process.env.KUBECONFIG;
afterEach(() => {
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
});

describe('credentials', () => {
  function serviceAccountRoot(): string {
    const root = mkdtempSync(join(tmpdir(), 'pdstack-sa-'));
    const dir = join(root, SERVICE_ACCOUNT_DIR);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'sa-token-xyz');
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'namespace'), 'pd');
    return root;
  }

  it('in a pod: the service-account token and CA, server https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT', async () => {
    delete process.env.KUBECONFIG;
    const root = serviceAccountRoot();
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const saved = { ...process.env };
    Object.assign(process.env, env); // the library reads process.env itself
    try {
      const { kc, kind, server } = loadKubeConfig({ env, rootPrefix: root, home: root });
      expect(kind).toBe('in-cluster');
      expect(server).toBe('https://10.96.0.1:443');
      expect(kc.getCurrentCluster()?.caFile).toBe(join(root, SERVICE_ACCOUNT_DIR, 'ca.crt'));
      const init = await kc.applyToFetchOptions({});
      expect(new Headers(init.headers as unknown as Record<string, string>).get('authorization')).toBe(
        'Bearer sa-token-xyz',
      );
    } finally {
      delete process.env.KUBERNETES_SERVICE_HOST;
      delete process.env.KUBERNETES_SERVICE_PORT;
      Object.assign(process.env, saved);
    }
  });

  it('KUBECONFIG wins, then ~/.kube/config; nothing at all is a clear error, not a silent localhost:8080', () => {
    const root = serviceAccountRoot();
    const kubeconfig = writeKubeconfig('http://127.0.0.1:6443', 'tok');
    const fromEnv = loadKubeConfig({
      env: { KUBECONFIG: kubeconfig, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      rootPrefix: root,
    });
    expect([fromEnv.kind, fromEnv.server]).toEqual(['kubeconfig', 'http://127.0.0.1:6443']);
    // the given env is read, not process.env; a list of files merges as kubectl does: missing files skipped, the
    // first definition of a name and the first current context win, later files fill in what is missing
    expect(process.env.KUBECONFIG).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'pdstack-kubeconfigs-'));
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(
      a,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: ctx-a',
        'clusters: [{name: c-a, cluster: {server: "http://127.0.0.1:6443", insecure-skip-tls-verify: true}}]',
        'contexts: [{name: ctx-a, context: {cluster: c-a, user: u-b}}]',
        'users: []',
        '',
      ].join('\n'),
    );
    writeFileSync(
      b,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: ctx-b',
        'clusters: [{name: c-a, cluster: {server: "http://127.0.0.1:9999"}}]',
        'contexts: [{name: ctx-b, context: {cluster: c-a, user: u-b}}]',
        'users: [{name: u-b, user: {token: tok-b}}]',
        '',
      ].join('\n'),
    );
    const merged = loadKubeConfig({ env: { KUBECONFIG: [a, join(dir, 'missing'), b].join(':') }, rootPrefix: root });
    expect([merged.server, merged.kc.getCurrentContext(), merged.kc.getCurrentUser()?.token]).toEqual([
      'http://127.0.0.1:6443',
      'ctx-a',
      'tok-b',
    ]);
    expect(() => loadKubeConfig({ env: { KUBECONFIG: `:${join(dir, 'missing')}` }, rootPrefix: root })).toThrow(
      /KUBECONFIG \(.*\) names no file that exists/,
    );

    const home = mkdtempSync(join(tmpdir(), 'pdstack-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), readFileSync(writeKubeconfig('http://127.0.0.1:7443'), 'utf8'));
    const fromHome = loadKubeConfig({ env: {}, home, rootPrefix: home });
    expect([fromHome.kind, fromHome.server]).toEqual(['kubeconfig', 'http://127.0.0.1:7443']);

    const empty = mkdtempSync(join(tmpdir(), 'pdstack-empty-'));
    expect(() => loadKubeConfig({ env: {}, home: empty, rootPrefix: empty })).toThrow(
      /needs credentials: not running in a pod .* neither KUBECONFIG nor .*\.kube\/config exists/,
    );
  });
});

describe('endpoint ids', () => {
  it('uuid5(NAMESPACE_DNS, name) equals Python uuid.uuid5', () => {
    expect(uuid5('python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuid5('pd-llama-prefill-deployment-vllm-7d9f-abc')).toBe('cd1abcc1-39e9-50e7-9dd8-ef6c56ec33ae');
  });
});

describe('readiness', () => {
  const pod = (
    over: Record<string, unknown> = {},
    statuses = [{ ready: true }],
    ip: string | null = '10.0.0.7',
  ): V1Pod =>
    ({
      metadata: { name: 'p', namespace: 'ns', resourceVersion: '5', labels: { model: 'llama-decode' }, ...over },
      status: { ...(ip ? { podIP: ip } : {}), containerStatuses: statuses },
    }) as unknown as V1Pod;

  it('a pod counts only with an IP, every container ready, and no deletionTimestamp (#619)', () => {
    expect(isPodReady(pod())).toBe(true);
    expect(isPodReady(pod({}, [{ ready: true }, { ready: false }]))).toBe(false);
    expect(isPodReady(pod({}, []))).toBe(false);
    expect(isPodReady(pod({}, [{ ready: true }], null))).toBe(false);
    expect(isPodReady(pod({ deletionTimestamp: new Date() }))).toBe(false);
  });

  it('pod targets: URL from IP (IPv6 bracketed) and --k8s-port, label `model` (default `default`), sleeping label', () => {
    const [a] = podTargets([pod()], 8000, 'ns');
    expect(a).toMatchObject({
      key: 'p',
      url: 'http://10.0.0.7:8000',
      modelLabel: 'llama-decode',
      sleep: false,
      podName: 'p',
      namespace: 'ns',
    });
    const [b] = podTargets([pod({ labels: { sleeping: 'true' } }, [{ ready: true }], 'fd00::7')], 9000, 'ns');
    expect(b).toMatchObject({ url: 'http://[fd00::7]:9000', modelLabel: 'default', sleep: true });
  });

  it('service targets: a Service whose Endpoints has a ready address; label from spec.selector.model', () => {
    const svc = (name: string) =>
      ({
        metadata: { name, namespace: 'ns', resourceVersion: '1' },
        spec: { selector: { model: 'llama-prefill' } },
      }) as V1Service;
    const eps = (name: string, ready: boolean) =>
      ({
        metadata: { name, resourceVersion: '2' },
        subsets: [ready ? { addresses: [{ ip: '10.0.0.1' }] } : { notReadyAddresses: [{ ip: '10.0.0.1' }] }],
      }) as V1Endpoints;
    const targets = serviceTargets([svc('a'), svc('b'), svc('c')], [eps('a', true), eps('b', false)], 8000, 'ns');
    expect(targets).toEqual([
      {
        key: 'a',
        url: 'http://a:8000',
        modelLabel: 'llama-prefill',
        sleep: false,
        revision: '1/2',
        namespace: 'ns',
        serviceName: 'a',
      },
    ]);
  });
});

describe('fake API server label selectors', () => {
  it('parses equality, set and existence requirements', () => {
    expect(parseSelector('environment=test, release==pd,tier!=x,app in (a, b),zone notin (z),gpu,!spot')).toEqual([
      { op: 'eq', key: 'environment', value: 'test' },
      { op: 'eq', key: 'release', value: 'pd' },
      { op: 'neq', key: 'tier', value: 'x' },
      { op: 'in', key: 'app', values: ['a', 'b'] },
      { op: 'notin', key: 'zone', values: ['z'] },
      { op: 'exists', key: 'gpu' },
      { op: 'notexists', key: 'spot' },
    ]);
  });
});
