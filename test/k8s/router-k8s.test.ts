/**
 * The router process with `--service-discovery k8s` (pod-ip), connected to the fake API server through a
 * kubeconfig, in front of engine simulators on 127.0.0.2-5 standing for pod IPs: endpoints follow the pods, a pod
 * deleted while the API server is down is gone after its restart, `/health` follows the API server, an engine
 * whose `/v1/models` fails gets no traffic, and P/D traffic shifts away from a prefill engine reporting a long queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { inference, postJson } from '../router/fixtures.js';
import { ApiServerSim, CHART_ROLE } from './apiserver-sim.js';
import { commonFreePort, waitFor, writeKubeconfig } from './helpers.js';

const T = 90_000;
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const LABELS = { environment: 'test', release: 'pd' };
const HOSTS = { p1: '127.0.0.2', p2: '127.0.0.3', d1: '127.0.0.4', d2: '127.0.0.5' } as const;

let sim: ApiServerSim;
let port: number;
let router: Spawned;
const engines = {} as Record<keyof typeof HOSTS, EngineSim>;

function addReadyPod(name: string, ip: string, role: 'prefill' | 'decode') {
  sim.addPod({ name, ip, ready: true, labels: { ...LABELS, model: `llama-${role}` } });
}

async function get(path: string): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(router.url + path);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

const engineIds = async () => ((await get('/engines')).body as { engine_id: string }[]).map((e) => e.engine_id).sort();
const ids = (...pods: string[]) => pods.map((p) => uuid5(p)).sort();

async function complete(i: number): Promise<void> {
  const res = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `request ${i}`, max_tokens: 4 });
  expect(res.status, res.text).toBe(200);
}

beforeAll(async () => {
  sim = new ApiServerSim();
  sim.rbac = CHART_ROLE['pod-ip'];
  await sim.start();
  port = await commonFreePort(Object.values(HOSTS));
  for (const [name, host] of Object.entries(HOSTS)) {
    engines[name as keyof typeof HOSTS] = await spawnEngineSim({ host: host, port, models: [MODEL] });
  }
  addReadyPod('pd-prefill-1', HOSTS.p1, 'prefill');
  addReadyPod('pd-prefill-2', HOSTS.p2, 'prefill');
  addReadyPod('pd-decode-1', HOSTS.d1, 'decode');
  // a pod of another release: filtered out by the label selector
  sim.addPod({
    name: 'other-decode',
    ip: HOSTS.d2,
    ready: true,
    labels: { environment: 'test', release: 'other', model: 'llama-decode' },
  });
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
      '--k8s-service-discovery-type',
      'pod-ip',
      '--k8s-label-selector',
      'environment=test,release=pd',
      '--k8s-port',
      String(port),
      '--k8s-api-loss-threshold-seconds',
      '2',
      '--backend-health-check-timeout-seconds',
      '2',
      '--routing-logic',
      'disaggregated_prefill',
      '--prefill-model-labels',
      'llama-prefill',
      '--decode-model-labels',
      'llama-decode',
      '--engine-stats-interval',
      '1',
    ],
    { KUBECONFIG: writeKubeconfig(sim.url) },
  );
}, T);

afterAll(async () => {
  expect(sim.forbidden).toEqual([]);
  await stopAll();
  await sim.stop();
}, T);

describe('router with Kubernetes pod-ip discovery', () => {
  it(
    'serves the ready pods of its selector from start, ids uuid5(pod name)',
    async () => {
      expect(await engineIds()).toEqual(ids('pd-prefill-1', 'pd-prefill-2', 'pd-decode-1'));
      const models = await get('/v1/models');
      expect(models.body.data.map((m: { id: string }) => m.id)).toEqual([MODEL]);
      await complete(0);
      expect((await get('/health')).status).toBe(200);
    },
    T,
  );

  it(
    'P/D traffic shifts away from a prefill engine that reports a long queue',
    async () => {
      await engines.p1.config({ extraWaiting: 50 });
      const waitingLine = new RegExp(
        `vllm:num_requests_waiting\\{server="http://${HOSTS.p1.replace(/\./g, '\\.')}:${port}"\\} 50`,
      );
      await waitFor('the router scraped the long queue', async () => waitingLine.test((await get('/metrics')).text));
      await engines.p1.clearRequests();
      await engines.p2.clearRequests();
      for (let i = 0; i < 12; i++) await complete(i);
      expect((await inference(engines.p1)).length).toBe(0);
      expect((await inference(engines.p2)).length).toBe(12);
      await engines.p1.config({ extraWaiting: 0 });
      await waitFor('queue back to 0', async () => !waitingLine.test((await get('/metrics')).text));
      await engines.p1.clearRequests();
      await engines.p2.clearRequests();
      for (let i = 0; i < 12; i++) await complete(i);
      expect((await inference(engines.p1)).length).toBeGreaterThan(0);
      expect((await inference(engines.p2)).length).toBeGreaterThan(0);
    },
    T,
  );

  it(
    'follows pods: a new ready pod gets traffic, an unready one none; an engine whose /v1/models fails is kept out',
    async () => {
      await engines.d2.config({ modelsStatus: 500 });
      addReadyPod('pd-decode-2', HOSTS.d2, 'decode');
      // pd-decode-2 is ready in Kubernetes but its engine cannot list models: not an endpoint
      sim.setPodReady('pd-prefill-2', false);
      await waitFor(
        'pd-prefill-2 removed',
        async () => (await engineIds()).join() === ids('pd-prefill-1', 'pd-decode-1').join(),
      );
      expect(await engineIds()).not.toContain(uuid5('pd-decode-2'));
      await engines.p2.clearRequests();
      for (let i = 0; i < 4; i++) await complete(i);
      expect((await inference(engines.p2)).length).toBe(0);
      await engines.d2.config({ modelsStatus: 200 });
      sim.setLabels('pods', 'pd-decode-2', { ...LABELS, model: 'llama-decode', touched: '1' }); // any event re-probes
      await waitFor('pd-decode-2 added once /v1/models answers', async () =>
        (await engineIds()).includes(uuid5('pd-decode-2')),
      );
      sim.setPodReady('pd-prefill-2', true);
      await waitFor('pd-prefill-2 back', async () => (await engineIds()).length === 4);
    },
    T,
  );

  it(
    'a pod deleted while the API server is down is gone after the restart; /health follows the API server',
    async () => {
      await sim.stop();
      sim.deletePod('pd-prefill-2');
      await waitFor(
        '/health unhealthy after the 2 s threshold',
        async () => (await get('/health')).status === 503,
        30_000,
      );
      expect((await get('/health')).body.reason).toMatch(/Kubernetes API server unreachable/);
      // the router keeps serving with what it knew
      await complete(100);
      await sim.start();
      await waitFor('/health healthy again', async () => (await get('/health')).status === 200, 30_000);
      await waitFor('no zombie: pd-prefill-2 gone', async () => !(await engineIds()).includes(uuid5('pd-prefill-2')));
      await engines.p2.clearRequests();
      for (let i = 0; i < 6; i++) await complete(i);
      expect((await inference(engines.p2)).length).toBe(0);
    },
    T,
  );
});
