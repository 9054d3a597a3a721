/**
 * A prefill or decode engine that cannot be reached is replaced once by another engine of its kind; the client never
 * notices. With no other engine of that kind left, the client gets a 502 of that side (prefill: with
 * `--pd-fallback error`; the default has decode serve alone, pd-fallback.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, pdArgs, postJson } from './fixtures.js';

const DEAD = 'http://127.0.0.1:1';
let live: EngineSim;
let decode: EngineSim;
let router: Spawned;

beforeAll(async () => {
  [live, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  router = await spawnRouter(pdArgs([DEAD, live.url], [decode.url]));
}, 30_000);
afterAll(stopAll, 30_000);

describe('prefill retry', { timeout: 30_000 }, () => {
  it('every request succeeds; the live prefill engine served all of them; the dead one counts as errors', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `p${i}`, max_tokens: 2 });
      expect(r.status).toBe(200);
    }
    expect((await inference(live)).length).toBe(6);
    expect((await inference(decode)).length).toBe(6);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    const m = new RegExp(
      `vllm:request_errors_total\\{server="${DEAD}",model="${MODEL}",error_type="connection_error"\\} (\\d+)`,
    ).exec(metrics);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('with no other prefill engine left and --pd-fallback error, the client gets 502 prefiller_error', async () => {
    const only = await spawnRouter(pdArgs([DEAD], [decode.url], ['--pd-fallback', 'error']));
    const r = await postJson(`${only.url}/v1/completions`, { model: MODEL, prompt: 'x' });
    expect(r.status).toBe(502);
    expect((r.json() as { error: { type: string } }).error.type).toBe('prefiller_error');
  });

  it('a decode engine that cannot be reached is replaced by the live one; no other left → 502 decoder_error', async () => {
    const args = (decodes: string[]) => pdArgs([live.url], decodes);
    const both = await spawnRouter(args([DEAD, decode.url]));
    await Promise.all([live.clearRequests(), decode.clearRequests()]);
    for (let i = 0; i < 6; i++) {
      const r = await postJson(`${both.url}/v1/completions`, {
        model: MODEL,
        prompt: `d${i}`,
        max_tokens: 2,
        stream: true,
      });
      expect(r.status).toBe(200);
      expect(r.text).toContain('data: [DONE]');
    }
    expect((await inference(live)).map((r) => r.body?.max_tokens)).toEqual([1, 1, 1, 1, 1, 1]);
    expect((await inference(decode)).map((r) => r.body?.prompt)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
    const metrics = await (await fetch(`${both.url}/metrics`)).text();
    const m = new RegExp(
      `vllm:request_errors_total\\{server="${DEAD}",model="${MODEL}",error_type="connection_error"\\} (\\d+)`,
    ).exec(metrics);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(1);

    const deadOnly = await spawnRouter(args([DEAD]));
    const r = await postJson(`${deadOnly.url}/v1/completions`, { model: MODEL, prompt: 'x' });
    expect(r.status).toBe(502);
    expect((r.json() as { error: { type: string } }).error.type).toBe('decoder_error');
  });
});
