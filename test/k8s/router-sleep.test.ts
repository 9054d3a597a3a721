/**
 * Sleep mode with Kubernetes discovery against the fake API server: the router process (pod-ip) answers `/sleep` and
 * `/wake_up` by patching the pod label `sleeping=true` (merge patch, the chart's Role with `patch` on pods), so the
 * engine leaves routing and rejoins it — at once, not when the watch reports the label; without the `patch` verb the
 * client gets a 502 saying so, and no engine sleeps while routed. In service-name mode the label goes on the Service
 * (discovery in-process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createK8sDiscovery } from '../../router/discovery/k8s/index.js';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { inference, postJson } from '../router/fixtures.js';
import { ApiServerSim, CHART_ROLE } from './apiserver-sim.js';
import { commonFreePort, ModelsEngine, waitFor, writeKubeconfig } from './helpers.js';

const T = 60_000;
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const LABELS = { environment: 'test', release: 'pd' };
const HOSTS = { d1: '127.0.0.2', d2: '127.0.0.3' } as const;
const ROLE = CHART_ROLE['pod-ip'];
/** The chart's Role in pod-ip mode without its `patch` rule. */
const NO_PATCH = ROLE.filter((r) => !r.verbs.includes('patch'));
const AUTH = { authorization: 'Bearer sk-k8s' };

let sim: ApiServerSim;
let router: Spawned;
const engines = {} as Record<keyof typeof HOSTS, EngineSim>;

async function call(
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; body: any }> {
  const res = await fetch(router.url + path, { method, headers });
  return { status: res.status, body: await res.json() };
}

/** Sends `n` completions; returns how many each engine received. */
async function spread(n: number): Promise<{ d1: number; d2: number }> {
  await Promise.all([engines.d1.clearRequests(), engines.d2.clearRequests()]);
  for (let i = 0; i < n; i++) {
    const res = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `p${i}`, max_tokens: 1 }, AUTH);
    expect(res.status, res.text).toBe(200);
  }
  return { d1: (await inference(engines.d1)).length, d2: (await inference(engines.d2)).length };
}

const labelsOf = (kind: 'pods' | 'services', name: string) =>
  sim.object(kind, name)!.metadata.labels as Record<string, string>;

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
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'k8s',
      '--k8s-namespace',
      'default',
      '--k8s-label-selector',
      'environment=test,release=pd',
      '--k8s-port',
      String(port),
      '--routing-logic',
      'roundrobin',
    ],
    { KUBECONFIG: writeKubeconfig(sim.url), VLLM_API_KEY: 'sk-k8s' },
  );
}, T);

afterAll(async () => {
  await stopAll();
  await sim.stop();
}, T);

describe('sleep mode with Kubernetes pod-ip discovery (router process)', () => {
  const d1 = uuid5('pd-decode-1');

  it(
    '/sleep: the engine is called, the pod gets sleeping=true by merge patch, and traffic leaves it at once',
    async () => {
      expect(await call('POST', `/sleep?id=${d1}&level=1`)).toEqual({ status: 200, body: { status: 'success' } });
      expect((await engines.d1.requests()).at(-1)).toMatchObject({
        method: 'POST',
        path: '/sleep?level=1',
        headers: { authorization: 'Bearer sk-k8s' },
      });
      expect(labelsOf('pods', 'pd-decode-1')).toEqual({ ...LABELS, model: 'llama-decode', sleeping: 'true' });
      expect(sim.requests.filter((r) => r.method === 'PATCH').map((r) => r.url)).toEqual([
        '/api/v1/namespaces/default/pods/pd-decode-1',
      ]);
      expect(await spread(6)).toEqual({ d1: 0, d2: 6 });
      expect(await call('GET', `/is_sleeping?id=${d1}`)).toEqual({ status: 200, body: { is_sleeping: true } });
    },
    T,
  );

  it(
    '/wake_up removes the label and the engine rejoins routing',
    async () => {
      expect(await call('POST', `/wake_up?id=${d1}`)).toEqual({ status: 200, body: { status: 'success' } });
      expect(labelsOf('pods', 'pd-decode-1')).toEqual({ ...LABELS, model: 'llama-decode' });
      expect(await spread(4)).toEqual({ d1: 2, d2: 2 });
    },
    T,
  );

  it(
    '/sleep and /wake_up change routing at once, without waiting for the watch to report the label',
    async () => {
      sim.pauseWatches();
      try {
        expect(await call('POST', `/sleep?id=${d1}`)).toEqual({ status: 200, body: { status: 'success' } });
        expect(labelsOf('pods', 'pd-decode-1')).toHaveProperty('sleeping', 'true');
        expect(await spread(4)).toEqual({ d1: 0, d2: 4 });
      } finally {
        sim.resumeWatches();
      }
      sim.pauseWatches();
      try {
        expect(await call('POST', `/wake_up?id=${d1}`)).toEqual({ status: 200, body: { status: 'success' } });
        expect(await spread(4)).toEqual({ d1: 2, d2: 2 });
      } finally {
        sim.resumeWatches();
      }
    },
    T,
  );

  it(
    'without Bearer $VLLM_API_KEY → 401, nothing forwarded and no label changed',
    async () => {
      await engines.d1.clearRequests();
      const patches = sim.requests.filter((r) => r.method === 'PATCH').length;
      for (const headers of [{}, { authorization: 'Bearer other' }] as Record<string, string>[]) {
        expect(await call('POST', `/sleep?id=${d1}`, headers)).toMatchObject({
          status: 401,
          body: { error: { type: 'authentication_error', code: 401 } },
        });
      }
      expect(await engines.d1.requests()).toEqual([]);
      expect(sim.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patches);
    },
    T,
  );

  it(
    'a Role without `patch`: /sleep → 502 naming the refused label change, logged; the engine was not called and stays in routing',
    async () => {
      await engines.d1.clearRequests();
      sim.rbac = NO_PATCH;
      const r = await call('POST', `/sleep?id=${d1}`);
      sim.rbac = ROLE;
      expect(r.status).toBe(502);
      const message =
        `Engine ${d1} was not put to sleep: the router could not take it out of routing: ` +
        'Could not add the label sleeping=true to pod default/pd-decode-1: HTTP 403: cannot patch resource "pods" in namespace "default"';
      expect(r.body).toEqual({ error: { message, type: 'service_discovery_error', code: 502 } });
      expect(sim.forbidden.map((f) => f.method)).toEqual(['PATCH']);
      sim.forbidden.splice(0);
      expect(labelsOf('pods', 'pd-decode-1')).not.toHaveProperty('sleeping');
      await waitFor('the error logged', () => router.stderr().includes(message));
      expect(await engines.d1.requests()).toEqual([]);
      expect(await spread(2)).toEqual({ d1: 1, d2: 1 });
    },
    T,
  );

  it(
    'a Role without `patch`: /wake_up wakes the engine but → 502 saying it is still marked sleeping (no traffic)',
    async () => {
      expect((await call('POST', `/sleep?id=${d1}`)).status).toBe(200);
      sim.rbac = NO_PATCH;
      const r = await call('POST', `/wake_up?id=${d1}`);
      sim.rbac = ROLE;
      sim.forbidden.splice(0);
      const message =
        `Engine ${d1} is awake, but still marked sleeping, so it gets no traffic: ` +
        'Could not remove the label sleeping=true from pod default/pd-decode-1: HTTP 403: cannot patch resource "pods" in namespace "default"';
      expect(r).toEqual({ status: 502, body: { error: { message, type: 'service_discovery_error', code: 502 } } });
      expect((await engines.d1.requests()).at(-1)).toMatchObject({ method: 'POST', path: '/wake_up' });
      expect(labelsOf('pods', 'pd-decode-1')).toHaveProperty('sleeping', 'true');
      expect(await spread(2)).toEqual({ d1: 0, d2: 2 });
      // with the Role's patch back, /wake_up completes
      expect((await call('POST', `/wake_up?id=${d1}`)).status).toBe(200);
      expect(await spread(2)).toEqual({ d1: 1, d2: 1 });
    },
    T,
  );
});

describe('sleep mode with Kubernetes service-name discovery (in-process)', () => {
  it(
    'setSleeping shows the state at once, patches the Service label, and puts the state back when the patch is refused',
    async () => {
      process.env.KUBECONFIG = writeKubeconfig(sim.url);
      sim.rbac = CHART_ROLE['service-name'];
      const engine = new ModelsEngine('127.0.0.1', 0, ['model-s']);
      await engine.start();
      const port = engine.port;
      const svcLabels = { environment: 'test', release: 'svc' };
      sim.addService('localhost', { labels: svcLabels, selector: { model: 'llama-decode' } });
      sim.setEndpoints('localhost', { ready: ['10.0.0.1'] }, { labels: svcLabels });
      const d = createK8sDiscovery(
        {
          namespace: 'default',
          port,
          labelSelector: 'environment=test,release=svc',
          type: 'service-name',
          watcherTimeoutSeconds: 0,
          healthCheckTimeoutSeconds: 2,
          apiServerLossThresholdSeconds: 30,
          maxBodyBytes: 4 << 20,
        },
        { log: { debug: () => {}, info: () => {}, warn: () => {} } },
      );
      const sleep = () => d.endpoints()[0]!.sleep;
      try {
        await d.start();
        const [endpoint] = d.endpoints();
        expect(endpoint).toMatchObject({ serviceName: 'localhost', sleep: false });
        sim.pauseWatches(); // the watch has not reported the label yet
        const patched = d.setSleeping(endpoint!, true);
        expect(sleep()).toBe(true); // before the patch is even answered
        await patched;
        expect(labelsOf('services', 'localhost')).toEqual({ ...svcLabels, sleeping: 'true' });
        expect(sleep()).toBe(true);
        sim.resumeWatches();
        // let the held event arrive on its own (events of one read are coalesced, so only the last state would count)
        await new Promise((r) => setTimeout(r, 500));
        // once the watch has reported the label, the label alone decides: removed by someone else, the engine is awake
        sim.setLabels('services', 'localhost', svcLabels);
        await waitFor('the label removal seen', () => !sleep());
        sim.setLabels('services', 'localhost', { ...svcLabels, sleeping: 'true' });
        await waitFor('the label seen', () => sleep());
        // a patch that changes nothing brings no watch event, and leaves nothing behind that could outlive the label
        const patches = sim.requests.filter((r) => r.method === 'PATCH').length;
        await d.setSleeping(d.endpoints()[0]!, true);
        expect(sim.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patches + 1);
        sim.setLabels('services', 'localhost', svcLabels);
        await waitFor('the label removal seen after a no-op patch', () => !sleep());
        sim.setLabels('services', 'localhost', { ...svcLabels, sleeping: 'true' });
        await waitFor('the label seen', () => sleep());

        // a refused patch: the previous state again, and the error names the change
        sim.rbac = CHART_ROLE['service-name'].filter((r) => !r.verbs.includes('patch'));
        await expect(d.setSleeping(d.endpoints()[0]!, false)).rejects.toThrow(
          'Could not remove the label sleeping=true from service default/localhost: HTTP 403: cannot patch resource "services"',
        );
        expect(sleep()).toBe(true);
        sim.rbac = CHART_ROLE['service-name'];
        sim.forbidden.splice(0);
        await d.setSleeping(d.endpoints()[0]!, false);
        expect(sleep()).toBe(false);
        expect(labelsOf('services', 'localhost')).toEqual(svcLabels);

        // /sleep then /wake_up while the watch lags: the late report of the first patch does not undo the second
        sim.pauseWatches();
        await d.setSleeping(d.endpoints()[0]!, true);
        sim.resumeWatches(); // the `sleeping=true` event is on its way, not yet read
        sim.pauseWatches();
        const woken = d.setSleeping(d.endpoints()[0]!, false);
        expect(sleep()).toBe(false);
        await woken;
        await new Promise((r) => setTimeout(r, 500)); // the `sleeping=true` event arrives meanwhile
        expect(sleep()).toBe(false);
        sim.resumeWatches();
        await new Promise((r) => setTimeout(r, 200));
        expect(sleep()).toBe(false);
      } finally {
        sim.resumeWatches();
        sim.rbac = ROLE;
        await d.stop();
        await engine.stop();
      }
    },
    T,
  );
});
