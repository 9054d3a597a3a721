/**
 * P/D load spreading: every matching prefill and decode engine is used (fewest outstanding requests plus the queue
 * the engine reports), and labels match exactly (a `llama-prefill-canary` engine is not a `llama-prefill` one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, eventually, inference, postJson } from './fixtures.js';

let p: EngineSim[];
let d: EngineSim[];
let canary: EngineSim;
/** Scrapes engine stats once at start only: the balance is decided by outstanding requests. */
let router: Spawned;
/** Scrapes every second: the balance also sees the queues engines report. */
let scraping: Spawned;

beforeAll(async () => {
  const sims = await Promise.all(Array.from({ length: 5 }, () => spawnEngineSim({ models: [MODEL], itlMs: 2 })));
  p = sims.slice(0, 2);
  d = sims.slice(2, 4);
  canary = sims[4]!;
  const all = [...p, ...d, canary];
  const args = (interval: number) => [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    all.map((s) => s.url).join(','),
    '--static-models',
    all.map(() => MODEL).join(','),
    '--static-model-labels',
    'llama-prefill,llama-prefill,llama-decode,llama-decode,llama-prefill-canary',
    '--routing-logic',
    'disaggregated_prefill',
    '--prefill-model-labels',
    'llama-prefill',
    '--decode-model-labels',
    'llama-decode',
    '--engine-stats-interval',
    String(interval),
  ];
  [router, scraping] = await Promise.all([spawnRouter(args(3600)), spawnRouter(args(1))]);
}, 30_000);
afterAll(stopAll, 30_000);

const clear = () => Promise.all([...p, ...d, canary].map((s) => s.clearRequests()));
const counts = async (sims: EngineSim[]) => Promise.all(sims.map(async (s) => (await inference(s)).length));

describe('P/D balancing over 2 prefill + 2 decode engines', { timeout: 60_000 }, () => {
  it('spreads sequential requests evenly and never uses the canary label', async () => {
    await clear();
    for (let i = 0; i < 20; i++) {
      const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `q${i}`, max_tokens: 2 });
      expect(r.status).toBe(200);
    }
    expect(await counts(p)).toEqual([10, 10]);
    expect(await counts(d)).toEqual([10, 10]);
    expect((await inference(canary)).length).toBe(0);
  });

  it('spreads concurrent streaming requests over all engines', async () => {
    await clear();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `c${i}`, max_tokens: 8, stream: true }),
      ),
    );
    expect(results.every((r) => r.status === 200 && r.text.includes('data: [DONE]'))).toBe(true);
    const pc = await counts(p);
    const dc = await counts(d);
    expect(pc[0]! + pc[1]!).toBe(40);
    expect(dc[0]! + dc[1]!).toBe(40);
    for (const c of [...pc, ...dc]) expect(c).toBeGreaterThanOrEqual(10);
  });

  it('avoids a decode engine that reports a long queue (vllm:num_requests_waiting)', async () => {
    await d[0]!.config({ extraWaiting: 50 });
    // the scraper runs every second: wait until the router's own metrics show the queue
    await eventually(async () => {
      const text = await (await fetch(`${scraping.url}/metrics`)).text();
      return text.includes(`vllm:num_requests_waiting{server="${d[0]!.url}"} 50`);
    });
    await clear();
    for (let i = 0; i < 10; i++) {
      expect(
        (await postJson(`${scraping.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 })).status,
      ).toBe(200);
    }
    expect(await counts(d)).toEqual([0, 10]);
    await d[0]!.config({ extraWaiting: 0 });
  });
});
