/**
 * The router process with `--k8s-service-discovery-type service-name`: a Service (named `localhost`, the one name
 * that resolves here) whose Endpoints turn ready, an engine simulator behind it, requests routed to
 * `http://<service>:<k8s-port>`, and the Role of service-name mode (pods, services, endpoints) sufficient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { inference, postJson } from '../router/fixtures.js';
import { ApiServerSim, CHART_ROLE } from './apiserver-sim.js';
import { waitFor, writeKubeconfig } from './helpers.js';

const T = 90_000;
const MODEL = 'facebook/opt-125m';
const LABELS = { environment: 'test', release: 'svc' };

let sim: ApiServerSim;
let engine: EngineSim;
let router: Spawned;

beforeAll(async () => {
  sim = new ApiServerSim();
  sim.rbac = CHART_ROLE['service-name'];
  await sim.start();
  engine = await spawnEngineSim({ host: '127.0.0.1', models: [MODEL] });
  sim.addService('localhost', { labels: LABELS, selector: { model: 'opt' } });
  sim.setEndpoints('localhost', { notReady: ['10.0.0.9'] }, { labels: LABELS });
  router = await spawnRouter(
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'k8s',
      '--k8s-service-discovery-type',
      'service-name',
      '--k8s-label-selector',
      'environment=test,release=svc',
      '--k8s-port',
      String(engine.port),
      '--routing-logic',
      'roundrobin',
    ],
    { KUBECONFIG: writeKubeconfig(sim.url) },
  );
}, T);

afterAll(async () => {
  expect(sim.forbidden).toEqual([]);
  await stopAll();
  await sim.stop();
}, T);

describe('router with Kubernetes service-name discovery', () => {
  it(
    'routes to the Service once its Endpoints are ready, and stops when they are not',
    async () => {
      const engines = async () => (await (await fetch(`${router.url}/engines`)).json()) as { engine_id: string }[];
      expect(await engines()).toEqual([]);
      sim.setEndpoints('localhost', { ready: ['10.0.0.9'] });
      await waitFor('the Service is an endpoint', async () => (await engines()).length === 1);
      expect((await engines())[0]!.engine_id).toBe(uuid5('localhost'));
      const res = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'hi', max_tokens: 2 });
      expect(res.status, res.text).toBe(200);
      expect((await inference(engine)).map((r) => r.path)).toContain('/v1/completions');
      sim.setEndpoints('localhost', { notReady: ['10.0.0.9'] });
      await waitFor('no endpoint once not ready', async () => (await engines()).length === 0);
    },
    T,
  );
});
