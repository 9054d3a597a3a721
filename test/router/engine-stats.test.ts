/**
 * Engine stats: parsing of vLLM's `/metrics` (old and new names), and roundrobin skipping an engine whose scrapes
 * keep failing until it recovers — while never routing nowhere when every engine fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEngineMetrics } from '../../router/stats/engine-stats.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, eventually, inference, postJson } from './fixtures.js';

describe('parseEngineMetrics', () => {
  it('reads running, waiting, KV usage (new name first) and the prefix cache hit rate, summing series', () => {
    const s = parseEngineMetrics(
      [
        '# HELP vllm:num_requests_running x',
        'vllm:num_requests_running{engine="0",model_name="a"} 2',
        'vllm:num_requests_running{engine="0",model_name="b"} 1',
        'vllm:num_requests_waiting{model_name="a"} 4.0',
        'vllm:kv_cache_usage_perc{model_name="a"} 0.25',
        'vllm:gpu_cache_usage_perc{model_name="a"} 0.9',
        'vllm:prefix_cache_queries_total{model_name="a"} 200',
        'vllm:prefix_cache_hits_total{model_name="a"} 50',
      ].join('\n'),
      1,
    );
    expect(s).toEqual({
      numRunningRequests: 3,
      numQueuingRequests: 4,
      kvCacheUsagePerc: 0.25,
      prefixCacheHitRate: 0.25,
      prefixCacheHits: 50,
      prefixCacheQueries: 200,
      scrapedAt: 1,
    });
    expect(parseEngineMetrics('vllm:gpu_cache_usage_perc 0.5\nvllm:gpu_prefix_cache_hit_rate 0.7\n', 2)).toMatchObject({
      kvCacheUsagePerc: 0.5,
      prefixCacheHitRate: 0.7,
    });
  });
});

let a: EngineSim;
let b: EngineSim;
let router: Spawned;

beforeAll(async () => {
  [a, b] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  router = await spawnRouter([
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    `${a.url},${b.url}`,
    '--static-models',
    `${MODEL},${MODEL}`,
    '--routing-logic',
    'roundrobin',
    '--engine-stats-interval',
    '1',
    '--engine-stats-failure-threshold',
    '2',
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const send = async (n: number) => {
  for (let i = 0; i < n; i++) {
    expect((await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 })).status).toBe(
      200,
    );
  }
};

describe('scrape failures', { timeout: 60_000 }, () => {
  it('roundrobin skips an engine after consecutive failed scrapes and uses it again once it recovers', async () => {
    await a.config({ metricsStatus: 500 });
    await eventually(async () => router.stderr().split(`Failed to scrape metrics from ${a.url}`).length > 2);
    await Promise.all([a.clearRequests(), b.clearRequests()]);
    await send(6);
    expect((await inference(a)).length).toBe(0);
    expect((await inference(b)).length).toBe(6);

    await a.config({ metricsStatus: 200 });
    // engine stats of `a` show up in the router's metrics again once a scrape succeeded
    await eventually(async () =>
      (await (await fetch(`${router.url}/metrics`)).text()).includes(
        `vllm:gpu_prefix_cache_hit_rate{server="${a.url}"}`,
      ),
    );
    await Promise.all([a.clearRequests(), b.clearRequests()]);
    await send(6);
    expect((await inference(a)).length).toBe(3);
  });

  it('when every engine fails its scrapes, requests are still routed', async () => {
    await Promise.all([a.config({ metricsStatus: 500 }), b.config({ metricsStatus: 500 })]);
    await eventually(async () => router.stderr().split(`Failed to scrape metrics from ${b.url}`).length > 2);
    await Promise.all([a.clearRequests(), b.clearRequests()]);
    await send(4);
    expect((await inference(a)).length + (await inference(b)).length).toBe(4);
    await Promise.all([a.config({ metricsStatus: 200 }), b.config({ metricsStatus: 200 })]);
  });
});
