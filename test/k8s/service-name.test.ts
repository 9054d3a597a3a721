/**
 * `service-name` discovery against the fake API server: Services matching the selector whose Endpoints have a ready
 * address, reached as `http://<service>:<k8s-port>`. The only Service name that resolves here is `localhost`, so
 * that one stands for a real Service; others are ready in Kubernetes but unreachable (their probe fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createK8sDiscovery, type DiscoveryLogger } from '../../router/discovery/k8s/index.js';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import type { ServiceDiscovery } from '../../router/discovery/types.js';
import { ApiServerSim, CHART_ROLE } from './apiserver-sim.js';
import { ModelsEngine, waitFor, writeKubeconfig } from './helpers.js';

const T = 60_000;
const LABELS = { environment: 'test', release: 'svc' };
const quiet: DiscoveryLogger = { debug: () => {}, info: () => {}, warn: () => {} };

let sim: ApiServerSim;
let engine: ModelsEngine;
let d: ServiceDiscovery;

beforeAll(async () => {
  sim = new ApiServerSim();
  // the Role the chart grants in service-name mode: get/list/watch/patch on pods, services and endpoints
  sim.rbac = CHART_ROLE['service-name'];
  await sim.start();
  process.env.KUBECONFIG = writeKubeconfig(sim.url);
  engine = new ModelsEngine('127.0.0.1', 0, ['model-s']);
  await engine.start();
  const port = engine.port;
  sim.addService('localhost', { labels: LABELS, selector: { model: 'llama-prefill' } });
  sim.setEndpoints('localhost', { notReady: ['10.0.0.1'] }, { labels: LABELS });
  sim.addService('unreachable-svc', { labels: LABELS, selector: { model: 'llama-decode' } });
  sim.setEndpoints('unreachable-svc', { ready: ['10.0.0.2'] }, { labels: LABELS });
  sim.addService('other', { labels: { environment: 'prod' }, selector: { model: 'x' } });
  d = createK8sDiscovery(
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
    { log: quiet, reprobeIntervalSeconds: 0.2, restartDelayMs: { initial: 50, max: 400 } },
  );
  await d.start();
}, T);

afterAll(async () => {
  expect(sim.forbidden).toEqual([]);
  await d.stop();
  await sim.stop();
  await engine.stop();
}, T);

describe('service-name discovery', () => {
  it(
    'watches services and endpoints; a Service counts once its Endpoints has a ready address',
    async () => {
      expect(d.endpoints()).toEqual([]); // localhost: not ready; unreachable-svc: probe fails
      expect(sim.requestsMatching('/services').length).toBeGreaterThan(0);
      expect(sim.requestsMatching('/endpoints').length).toBeGreaterThan(0);
      sim.setEndpoints('localhost', { ready: ['10.0.0.1'] });
      await waitFor('localhost ready', () => d.endpoints().length === 1);
      const [ep] = d.endpoints();
      expect(ep).toMatchObject({
        id: uuid5('localhost'),
        url: `${engine.url.replace('127.0.0.1', 'localhost')}`,
        serviceName: 'localhost',
        modelLabel: 'llama-prefill',
        modelNames: ['model-s'],
      });
      expect(d.hasEverSeenModel('model-s')).toBe(true);
    },
    T,
  );

  it(
    'follows the Service selector, Endpoints losing their addresses, and deletions made while the API server was down',
    async () => {
      sim.addService('localhost', { labels: LABELS, selector: { model: 'llama-decode' } });
      await waitFor('label from the new selector', () => d.endpoints()[0]?.modelLabel === 'llama-decode');
      sim.setEndpoints('localhost', { notReady: ['10.0.0.1'] });
      await waitFor('no ready address: removed', () => d.endpoints().length === 0);
      sim.setEndpoints('localhost', { ready: ['10.0.0.1'] });
      await waitFor('ready again', () => d.endpoints().length === 1);
      await sim.stop();
      sim.delete('services', 'localhost');
      sim.delete('endpoints', 'localhost');
      await sim.start();
      await waitFor('deleted Service gone after the re-list', () => d.endpoints().length === 0);
    },
    T,
  );
});
