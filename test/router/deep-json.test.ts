/**
 * A JSON body nested 100,000 deep: JSON.parse takes it, JSON.stringify would overflow the stack. Wherever the router
 * serializes a body (always in P/D, in the general path when it rewrites one) the answer is a 400, with no engine
 * called and no stack trace logged; the router keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, pdArgs, staticArgs, postJson } from './fixtures.js';

let sim: EngineSim;
let pd: Spawned;
let roundrobin: Spawned;

beforeAll(async () => {
  sim = await spawnEngineSim({ models: [MODEL] });
  [pd, roundrobin] = await Promise.all([
    spawnRouter(pdArgs([sim.url], [sim.url])),
    spawnRouter(staticArgs([sim.url], 'roundrobin')),
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const DEPTH = 100_000;
const deep = '['.repeat(DEPTH) + ']'.repeat(DEPTH);

describe('JSON nested 100k deep', { timeout: 30_000 }, () => {
  const cases = [
    ['disaggregated_prefill', () => pd, `{"model":"${MODEL}","prompt":${deep}}`],
    // the general path forwards the client's bytes unchanged, so it serializes only a body it rewrites
    [
      'roundrobin, a body the router rewrites',
      () => roundrobin,
      `{"model":"${MODEL}","kv_transfer_params":{},"prompt":${deep}}`,
    ],
  ] as const;
  for (const [name, router, body] of cases) {
    it(`${name}: 400, no engine called, no stack trace logged, still serving`, async () => {
      await sim.clearRequests();
      const r = await postJson(`${router().url}/v1/completions`, body);
      expect(r.status).toBe(400);
      expect(r.json()).toEqual({
        error: {
          message: 'Invalid request: the JSON body is nested too deeply.',
          type: 'invalid_request_error',
          code: 400,
        },
      });
      expect(await inference(sim)).toEqual([]);
      expect(router().stderr()).not.toMatch(/RangeError|\n\s+at /);
      expect(
        (await postJson(`${router().url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 })).status,
      ).toBe(200);
    });
  }
});
