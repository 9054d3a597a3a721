/**
 * Sleep mode with Kubernetes discovery against the fake API server: the router process (pod-ip) answers `/sleep` and
 * `/wake_up` by patching the pod label `sleeping=true` (merge patch, the chart's Role with `patch`), so the engine
 * leaves routing and rejoins it; without the `patch` verb the client gets a 502 saying so. In service-name mode the
 * label goes on the Service (discovery in-process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createK8sDiscovery } from '../../router/discovery/k8s/index.js';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { inference } from '../router/fixtures.js';
import { ApiServerSim } from './apiserver-sim.js';
import { commonFreePort, ModelsEngine, waitFor, writeKubeconfig } from './helpers.js';

const T = 60_000;
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const LABELS = { environment: 'test', release: 'pd' };
const HOSTS = { d1: '127.0.0.2', d2: '127.0.0.3' } as const;
const ROLE = { resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch', 'patch'] } as const;

let sim: ApiServerSim;
let router: Spawned;
const engines = {} as Record<keyof typeof HOSTS, EngineSim>;

async function call(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(router.url + path, { method });
  return { status: res.status, body: await res.json() };
}

/** Sends `n` completions; returns how many each engine received. */
async function spread(n: number): Promise<{ d1: number; d2: number }> {
  await Promise.all([engines.d1.clearRequests(), engines.d2.clearRequests()]);
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: `p${i}`, max_tokens: 1 }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
  return { d1: (await inference(engines.d1)).length, d2: (await inference(engines.d2)).length };
}

const labelsOf = (kind: 'pods' | 'services', name: string) => sim.object(kind, name)!.metadata.labels as Record<string, string>;

beforeAll(async () => {
  sim = new ApiServerSim();
  sim.rbac = ROLE;
  await sim.start();
  const port = await commonFreePort(Object.values(HOSTS));
  engines.d1 = await spawnEngineSim({ host: HOSTS.d1, port, models: [MODEL] });
  engines.d2 = await spawnEngineSim({ host: HOSTS.d2, port, models: [MODEL] });
  sim.addPod({ name: 'pd-decode-1', ip: HOSTS.d1, ready: true, labels: { ...LABELS, model: 'llama-decode' } });
  sim.addPod({ name: 'pd-decode-2', ip: HOSTS.d2, ready: true, labels: { ...LABELS, model: 'llama-decode' } });
  router = await spawnRouter(
    [
      '--host', '127.0.0.1', '--port', '0',
      '--service-discovery', 'k8s', '--k8s-namespace', 'default', '--k8s-label-selector', 'environment=test,release=pd',
      '--k8s-port', String(port), '--routing-logic', 'roundrobin',
    ],
    { KUBECONFIG: writeKubeconfig(sim.url), VLLM_API_KEY: 'sk-k8s' },
  );
}, T);

afterAll(async () => {
  await stopAll();
  await Promise.all(Object.values(engines).map((e) => e?.stop()));
  await sim.stop();
}, T);

describe('sleep mode with Kubernetes pod-ip discovery (router process)', () => {
  const d1 = uuid5('pd-decode-1');

  it('/sleep: the engine is called, the pod gets sleeping=true by merge patch, and traffic leaves it at once', async () => {
    expect(await call('POST', `/sleep?id=${d1}&level=1`)).toEqual({ status: 200, body: { status: 'success' } });
    expect((await engines.d1.requests()).at(-1)).toMatchObject({
      method: 'POST',
      path: '/sleep?level=1',
      headers: { authorization: 'Bearer sk-k8s' },
    });
    expect(labelsOf('pods', 'pd-decode-1')).toEqual({ ...LABELS, model: 'llama-decode', sleeping: 'true' });
    expect(sim.requests.filter((r) => r.method === 'PATCH').map((r) => r.url)).toEqual(['/api/v1/namespaces/default/pods/pd-decode-1']);
    // the answer came once the watch had delivered the label: no request reaches the sleeping engine
    expect(await spread(6)).toEqual({ d1: 0, d2: 6 });
    expect(await call('GET', `/is_sleeping?id=${d1}`)).toEqual({ status: 200, body: { is_sleeping: true } });
  }, T);

  it('/wake_up removes the label and the engine rejoins routing', async () => {
    expect(await call('POST', `/wake_up?id=${d1}`)).toEqual({ status: 200, body: { status: 'success' } });
    expect(labelsOf('pods', 'pd-decode-1')).toEqual({ ...LABELS, model: 'llama-decode' });
    expect(await spread(4)).toEqual({ d1: 2, d2: 2 });
  }, T);

  it('a Role without `patch` → 502 naming the refused label change, logged; the engine stays in routing', async () => {
    sim.rbac = { resources: ['pods'], verbs: ['get', 'list', 'watch'] };
    const r = await call('POST', `/sleep?id=${d1}`);
    sim.rbac = ROLE;
    expect(r.status).toBe(502);
    const message =
      `Engine ${d1} at http://${HOSTS.d1}:${new URL(engines.d1.url).port} is asleep, but the router could not record it: ` +
      'Could not add the label sleeping=true to pod default/pd-decode-1: HTTP 403: cannot patch resource "pods" in namespace "default"';
    expect(r.body).toEqual({ error: { message, type: 'service_discovery_error', code: 502 } });
    expect(sim.forbidden.map((f) => f.method)).toEqual(['PATCH']);
    expect(labelsOf('pods', 'pd-decode-1')).not.toHaveProperty('sleeping');
    await waitFor('the error logged', () => router.stderr().includes(message));
    // the engine did fall asleep: wake it up again through the router
    expect((await call('POST', `/wake_up?id=${d1}`)).status).toBe(200);
    expect(await spread(2)).toEqual({ d1: 1, d2: 1 });
  }, T);
});

describe('sleep mode with Kubernetes service-name discovery (in-process)', () => {
  it('setSleeping patches the Service label and resolves once the endpoint shows it', async () => {
    process.env.KUBECONFIG = writeKubeconfig(sim.url);
    const port = await commonFreePort(['127.0.0.1']);
    const engine = new ModelsEngine('127.0.0.1', port, ['model-s']);
    await engine.start();
    const svcLabels = { environment: 'test', release: 'svc' };
    sim.addService('localhost', { labels: svcLabels, selector: { model: 'llama-decode' } });
    sim.setEndpoints('localhost', { ready: ['10.0.0.1'] }, { labels: svcLabels });
    const d = createK8sDiscovery(
      {
        namespace: 'default', port, labelSelector: 'environment=test,release=svc', type: 'service-name',
        watcherTimeoutSeconds: 0, healthCheckTimeoutSeconds: 2, apiServerLossThresholdSeconds: 30,
      },
      { log: { debug: () => {}, info: () => {}, warn: () => {} } },
    );
    try {
      await d.start();
      const [endpoint] = d.endpoints();
      expect(endpoint).toMatchObject({ serviceName: 'localhost', sleep: false });
      await d.setSleeping(endpoint!, true);
      expect(labelsOf('services', 'localhost')).toEqual({ ...svcLabels, sleeping: 'true' });
      expect(d.endpoints()[0]!.sleep).toBe(true);
      await d.setSleeping(d.endpoints()[0]!, false);
      expect(labelsOf('services', 'localhost')).toEqual(svcLabels);
      expect(d.endpoints()[0]!.sleep).toBe(false);
    } finally {
      await d.stop();
      await engine.stop();
    }
  }, T);
});
