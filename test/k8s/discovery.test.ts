/**
 * Kubernetes service discovery (issue 5) in-process, against the fake API server (`apiserver-sim.ts`) reached
 * through a kubeconfig, with engine stand-ins on distinct loopback addresses standing for pod IPs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createK8sDiscovery, type DiscoveryLogger, type K8sDiscoveryTuning } from '../../router/discovery/k8s/index.js';
import { uuid5 } from '../../router/discovery/k8s/uuid5.js';
import type { K8sDiscoveryOptions, ServiceDiscovery } from '../../router/discovery/types.js';
import { ApiServerSim, CHART_ROLE } from './apiserver-sim.js';
import { commonFreePort, ModelsEngine, waitFor, writeKubeconfig } from './helpers.js';

const T = 60_000;
const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const SELECTOR = 'environment=test,release=test';
const LABELS = { environment: 'test', release: 'test' };

const logLines: string[] = [];
const log: DiscoveryLogger = {
  debug: () => {},
  info: (m) => logLines.push(`INFO ${m}`),
  warn: (m) => logLines.push(`WARN ${m}`),
};

let sim: ApiServerSim;
let port: number;
let engines: ModelsEngine[];
const running: ServiceDiscovery[] = [];

function options(over: Partial<K8sDiscoveryOptions> = {}): K8sDiscoveryOptions {
  return {
    namespace: 'default',
    port,
    labelSelector: SELECTOR,
    type: 'pod-ip',
    watcherTimeoutSeconds: 0,
    healthCheckTimeoutSeconds: 2,
    apiServerLossThresholdSeconds: 30,
    maxBodyBytes: 4 << 20,
    ...over,
  };
}

const fast: K8sDiscoveryTuning = { log, reprobeIntervalSeconds: 0.2, restartDelayMs: { initial: 50, max: 400 } };

async function startDiscovery(over: Partial<K8sDiscoveryOptions> = {}, tuning: K8sDiscoveryTuning = fast) {
  const d = createK8sDiscovery(options(over), tuning);
  running.push(d);
  await d.start();
  return d;
}

const urls = (d: ServiceDiscovery) => d.endpoints().map((e) => e.url);
const listCalls = () => sim.requests.filter((r) => r.url.includes('/pods') && !/[?&]watch=/.test(r.url)).length;

function readyPod(name: string, host: string, model = 'prefill') {
  return sim.addPod({ name, ip: host, ready: true, labels: { ...LABELS, model } });
}

beforeAll(async () => {
  sim = new ApiServerSim();
  // the Role the chart grants the router in pod-ip mode (constructs/router.ts): get/list/watch/patch on pods
  sim.rbac = CHART_ROLE['pod-ip'];
  await sim.start();
  process.env.KUBECONFIG = writeKubeconfig(sim.url, 'sim-token-123');
  port = await commonFreePort(HOSTS);
  engines = HOSTS.map((h, i) => new ModelsEngine(h, port, [`model-${i === 3 ? 'b' : 'a'}`]));
  await Promise.all(engines.map((e) => e.start()));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await sim.start();
  sim.failWith = undefined;
  sim.hang = false;
  sim.goneMode = 'event';
  for (const pod of ['p1', 'p2', 'p3', 'p4', 'other']) {
    try {
      sim.deletePod(pod);
    } catch {
      // not there
    }
  }
  for (const e of engines) {
    e.modelsStatus = 200;
    e.hang = false;
  }
});

afterAll(async () => {
  // least privilege: discovery never needed more than the Role grants
  expect(sim.forbidden).toEqual([]);
  await sim.stop();
  await Promise.all(engines.map((e) => e.stop()));
});

describe('pod-ip discovery', () => {
  it(
    'lists ready pods at start: id uuid5(pod), url from pod IP and --k8s-port, models from /v1/models, label from `model`',
    async () => {
      readyPod('p1', HOSTS[0]!, 'prefill');
      readyPod('p2', HOSTS[1]!, 'decode');
      sim.addPod({ name: 'p3', ip: HOSTS[2], ready: false, labels: { ...LABELS, model: 'decode' } });
      sim.addPod({ name: 'other', ip: HOSTS[3], ready: true, labels: { environment: 'prod', model: 'x' } });
      const d = await startDiscovery({ apiKey: 'engine-key' });
      const eps = d.endpoints();
      expect(eps.map((e) => [e.podName, e.url, e.modelLabel])).toEqual([
        ['p1', `http://${HOSTS[0]}:${port}`, 'prefill'],
        ['p2', `http://${HOSTS[1]}:${port}`, 'decode'],
      ]);
      const p1 = eps[0]!;
      expect(p1.id).toBe(uuid5('p1'));
      expect(p1.modelNames).toEqual(['model-a']);
      expect(p1.namespace).toBe('default');
      expect(p1.sleep).toBe(false);
      expect(p1.modelInfo['model-a']).toMatchObject({
        id: 'model-a',
        object: 'model',
        owned_by: 'vllm',
        extra: { max_model_len: 4096 },
      });
      expect(Object.isFrozen(eps)).toBe(true);
      expect(d.hasEverSeenModel('model-a')).toBe(true);
      expect(d.hasEverSeenModel('model-b')).toBe(false);
      expect(engines[0]!.authorizations.at(-1)).toBe('Bearer engine-key');
      // the kubeconfig's token and the label selector reached the API server
      const lists = sim.requestsMatching('/api/v1/namespaces/default/pods');
      expect(lists[0]!.authorization).toBe('Bearer sim-token-123');
      expect(decodeURIComponent(lists[0]!.url)).toContain(`labelSelector=${SELECTOR}`);
      await waitFor('a watch open', () => sim.watchCount === 1);
      const watch = sim.requests.find((r) => /[?&]watch=/.test(r.url))!;
      expect(watch.url).toContain('allowWatchBookmarks=true');
    },
    T,
  );

  it(
    'follows pods being added, becoming ready, unready, terminating, relabelled and deleted',
    async () => {
      const d = await startDiscovery();
      expect(d.endpoints()).toEqual([]);
      const before = d.endpoints();
      sim.addPod({ name: 'p1', labels: { ...LABELS, model: 'prefill' } }); // pending, no IP
      sim.setPodIp('p1', HOSTS[0]!);
      sim.addPod({ name: 'p2', ip: HOSTS[1], ready: false, containers: 2, labels: { ...LABELS, model: 'decode' } });
      sim.sendBookmarks();
      sim.setPodReady('p1', true);
      await waitFor('p1 endpoint', () => urls(d).length === 1);
      expect(before).toEqual([]); // snapshots are never mutated
      sim.setPodReady('p2', true, 'default', 0); // one of two containers ready: not yet
      await new Promise((r) => setTimeout(r, 100));
      expect(d.endpoints().map((e) => e.podName)).toEqual(['p1']);
      sim.setPodReady('p2', true);
      await waitFor('p2 endpoint', () => urls(d).length === 2);
      sim.setPodReady('p1', false);
      await waitFor(
        'p1 unready removed',
        () =>
          d
            .endpoints()
            .map((e) => e.podName)
            .join() === 'p2',
      );
      sim.setPodReady('p1', true);
      await waitFor('p1 ready again', () => urls(d).length === 2);
      sim.setLabels('pods', 'p1', { ...LABELS, model: 'decode' });
      await waitFor('p1 relabelled', () => d.endpoints().find((e) => e.podName === 'p1')?.modelLabel === 'decode');
      sim.setLabels('pods', 'p1', { ...LABELS, model: 'decode', sleeping: 'true' });
      await waitFor('p1 sleeping', () => d.endpoints().find((e) => e.podName === 'p1')?.sleep === true);
      sim.markTerminating('p2');
      await waitFor(
        'terminating p2 removed',
        () =>
          d
            .endpoints()
            .map((e) => e.podName)
            .join() === 'p1',
      );
      sim.deletePod('p2');
      sim.setLabels('pods', 'p1', { environment: 'prod', model: 'decode' }); // leaves the selector
      await waitFor('p1 out of selector removed', () => d.endpoints().length === 0);
      expect(d.hasEverSeenModel('model-a')).toBe(true);
    },
    T,
  );

  it(
    'a pod that comes back with another IP is probed at its new address; no API key means no Authorization header',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery();
      expect(urls(d)).toEqual([`http://${HOSTS[0]}:${port}`]);
      expect(engines[0]!.authorizations.at(-1)).toBeUndefined();
      const calls = engines[2]!.modelCalls;
      sim.setPodIp('p1', HOSTS[2]!);
      await waitFor('p1 at its new IP', () => urls(d).join() === `http://${HOSTS[2]}:${port}`);
      expect(engines[2]!.modelCalls).toBeGreaterThan(calls);
      expect(d.endpoints()[0]!.id).toBe(uuid5('p1'));
    },
    T,
  );

  it(
    'a pod whose /v1/models fails is not an endpoint; it is retried and added once the engine answers',
    async () => {
      engines[0]!.modelsStatus = 500;
      engines[1]!.hang = true;
      readyPod('p1', HOSTS[0]!);
      readyPod('p2', HOSTS[1]!);
      readyPod('p3', HOSTS[2]!);
      const d = await startDiscovery({ healthCheckTimeoutSeconds: 1 });
      expect(d.endpoints().map((e) => e.podName)).toEqual(['p3']);
      expect(logLines.some((l) => l.includes('p1 is not used') && l.includes('HTTP 500'))).toBe(true);
      await waitFor('p2 probe timed out', () =>
        logLines.some((l) => l.includes('p2 is not used') && l.includes('timed out')),
      );
      engines[0]!.modelsStatus = 200;
      engines[1]!.hang = false;
      await waitFor('p1 and p2 added by re-probing', () => urls(d).length === 3);
      // an endpoint whose engine stops answering /v1/models is dropped at the next re-probe
      engines[2]!.modelsStatus = 503;
      await waitFor('p3 dropped', () => !d.endpoints().some((e) => e.podName === 'p3'));
      // a changed model list is picked up
      engines[0]!.models = ['model-a', 'lora-1'];
      await waitFor('p1 serves lora-1', () =>
        d
          .endpoints()
          .find((e) => e.podName === 'p1')
          ?.modelNames.includes('lora-1'),
      );
      expect(d.hasEverSeenModel('lora-1')).toBe(true);
      engines[0]!.models = ['model-a'];
    },
    T,
  );

  it(
    'a watch that drops resumes from its resourceVersion: a pod deleted meanwhile is removed',
    async () => {
      readyPod('p1', HOSTS[0]!);
      readyPod('p2', HOSTS[1]!);
      const d = await startDiscovery();
      expect(urls(d)).toHaveLength(2);
      await waitFor('watch open', () => sim.watchCount === 1);
      const lists = listCalls();
      sim.dropWatches();
      sim.deletePod('p1'); // no watch is open: only the history has it
      await waitFor(
        'p1 removed',
        () =>
          d
            .endpoints()
            .map((e) => e.podName)
            .join() === 'p2',
      );
      expect(listCalls()).toBe(lists); // replayed from the resourceVersion, no re-list needed
    },
    T,
  );

  for (const mode of ['event', 'http'] as const) {
    it(
      `a watch answered with 410 Gone (${mode === 'event' ? 'ERROR event' : 'HTTP 410'}) re-lists: a pod deleted meanwhile is removed`,
      async () => {
        sim.goneMode = mode;
        readyPod('p1', HOSTS[0]!);
        readyPod('p2', HOSTS[1]!);
        const d = await startDiscovery();
        expect(urls(d)).toHaveLength(2);
        await waitFor('watch open', () => sim.watchCount === 1);
        const lists = listCalls();
        sim.dropWatches();
        sim.deletePod('p1');
        readyPod('p3', HOSTS[2]!);
        sim.compact(); // the history is gone: resuming gets 410
        await waitFor(
          're-listed without p1, with p3',
          () =>
            d
              .endpoints()
              .map((e) => e.podName)
              .join() === 'p2,p3',
        );
        expect(listCalls()).toBeGreaterThan(lists);
        expect(d.health().healthy).toBe(true);
      },
      T,
    );
  }

  it(
    'an ERROR 410 on an open watch re-lists and keeps the endpoints right',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery();
      await waitFor('watch open', () => sim.watchCount === 1 || sim.watchCount);
      expect(sim.watchCount).toBe(1);
      const lists = listCalls();
      sim.expireWatches();
      await waitFor('re-listed', () => listCalls() > lists);
      await waitFor('watching again', () => sim.watchCount === 1);
      readyPod('p2', HOSTS[1]!);
      await waitFor('p2 seen through the new watch', () => urls(d).length === 2);
    },
    T,
  );

  it(
    'the API server restarting: pods deleted and added while it was down are reconciled, health follows the threshold',
    async () => {
      readyPod('p1', HOSTS[0]!);
      readyPod('p2', HOSTS[1]!);
      const d = await startDiscovery({ apiServerLossThresholdSeconds: 1 });
      expect(urls(d)).toHaveLength(2);
      await sim.stop();
      sim.deletePod('p1');
      readyPod('p3', HOSTS[2]!);
      await waitFor('unhealthy after the threshold', () => !d.health().healthy);
      expect(d.health().reason).toMatch(/Kubernetes API server unreachable for \d+ s \(threshold 1 s\)/);
      // while the API server is away the last known endpoints stay
      expect(d.endpoints().map((e) => e.podName)).toEqual(['p1', 'p2']);
      await sim.start();
      await waitFor(
        'reconciled after the restart',
        () =>
          d
            .endpoints()
            .map((e) => e.podName)
            .join() === 'p2,p3',
      );
      await waitFor('healthy again', () => d.health().healthy);
      sim.setPodReady('p2', false);
      await waitFor(
        'watch works after the restart',
        () =>
          d
            .endpoints()
            .map((e) => e.podName)
            .join() === 'p3',
      );
    },
    T,
  );

  it(
    'an API server failing with 5xx is unhealthy after the threshold, healthy again once it answers',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery({ apiServerLossThresholdSeconds: 1 });
      sim.failWith = 503;
      sim.dropWatches();
      await waitFor('unhealthy', () => !d.health().healthy);
      expect(d.health().reason).toContain('HTTP 503');
      expect(urls(d)).toHaveLength(1);
      sim.failWith = undefined;
      await waitFor('healthy', () => d.health().healthy);
    },
    T,
  );

  it(
    'a hung API server (connections accepted, never answered) is detected by the call timeouts, then recovered from',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery({ apiServerLossThresholdSeconds: 1 }, { ...fast, apiTimeoutMs: 300 });
      await waitFor('watch open', () => sim.watchCount === 1);
      sim.hang = true;
      sim.dropWatches();
      await waitFor('unhealthy', () => !d.health().healthy);
      expect(d.health().reason).toMatch(/no answer within 300 ms|timed out|aborted/i);
      expect(urls(d)).toHaveLength(1);
      sim.hang = false;
      await waitFor('healthy', () => d.health().healthy);
      readyPod('p2', HOSTS[1]!);
      await waitFor('p2 seen after recovery', () => urls(d).length === 2);
    },
    T,
  );

  it(
    'a watch silent for the idle timeout is closed and resumed from its resourceVersion (no re-list)',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery({}, { ...fast, watchIdleTimeoutMs: 300 });
      const watches = () => sim.requests.filter((r) => /[?&]watch=/.test(r.url)).length;
      const lists = listCalls();
      const before = watches();
      await waitFor('two more watches', () => watches() >= before + 2);
      expect(listCalls()).toBe(lists);
      expect(d.health().healthy).toBe(true);
      readyPod('p2', HOSTS[1]!);
      await waitFor('p2 seen', () => urls(d).length === 2);
    },
    T,
  );

  it(
    'a server that lists but refuses watches is retried with backoff, not in a tight loop, and endpoints stay right',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const granted = sim.rbac;
      const d = await startDiscovery();
      sim.rbac = [{ resources: ['pods'], verbs: ['list'] }]; // watch: 403
      const lists = listCalls();
      sim.dropWatches();
      sim.deletePod('p1');
      await waitFor('p1 removed by a re-list', () => urls(d).length === 0);
      await new Promise((r) => setTimeout(r, 2000)); // a window to count retries in, not an assertion on timing
      // backoff 50 ms doubling to 400 ms: at most about 8 re-lists in 2 s (a tight loop would make dozens)
      expect(listCalls() - lists).toBeLessThan(15);
      sim.rbac = granted;
      sim.forbidden.splice(0);
      await waitFor('watching again', () => sim.watchCount === 1);
    },
    T,
  );

  it(
    'short-lived healthy blips do not flip health: a restart within the threshold stays healthy',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery({ apiServerLossThresholdSeconds: 30 });
      await sim.restart();
      sim.dropWatches();
      await waitFor('watching again', () => sim.watchCount === 1);
      expect(d.health()).toEqual({ healthy: true });
    },
    T,
  );

  it(
    '--k8s-watcher-timeout-seconds asks the server to end watches, which are then resumed',
    async () => {
      readyPod('p1', HOSTS[0]!);
      const d = await startDiscovery({ watcherTimeoutSeconds: 1 });
      const watches = () =>
        sim.requests.filter((r) => /[?&]watch=/.test(r.url) && r.url.includes('timeoutSeconds=1')).length;
      await waitFor('a second watch after the server-side timeout', () => watches() >= 2);
      readyPod('p2', HOSTS[1]!);
      await waitFor('p2 seen', () => urls(d).length === 2);
    },
    T,
  );

  it(
    'start() rejects clearly when listing is forbidden (RBAC) or the API server cannot be reached',
    async () => {
      const granted = sim.rbac;
      sim.rbac = [{ resources: ['services'], verbs: ['get', 'list', 'watch'] }]; // a Role without pods
      await expect(startDiscovery()).rejects.toThrow(
        /refused \(HTTP 403: cannot list resource "pods".*get\/list\/watch.*RBAC/,
      );
      sim.rbac = granted;
      sim.forbidden.splice(0);
      await sim.stop();
      await expect(startDiscovery({ apiServerLossThresholdSeconds: 1 })).rejects.toThrow(
        /could not start: could not list pods in namespace default within 1000 ms/,
      );
    },
    T,
  );
});
