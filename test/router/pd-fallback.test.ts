/**
 * `--pd-fallback decode` (default): when no prefill engine can serve a P/D request (none discovered, unreachable, or
 * failing with a 5xx after the retry), a decode engine serves it whole (no `kv_transfer_params`), counted in
 * `pdstack_router_pd_decode_only_total` and warned once per model and change of its prefill engines' state.
 * `--pd-fallback error` keeps the prefill's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, pdArgs, postJson } from './fixtures.js';

const DEAD = ['http://127.0.0.1:1', 'http://127.0.0.1:2'];
let prefill: EngineSim;
let decode: EngineSim;
beforeAll(async () => {
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
}, 30_000);
afterAll(stopAll, 30_000);

const counter = async (url: string, reason: string) => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`pdstack_router_pd_decode_only_total\\{model="${MODEL}",reason="${reason}"\\} (\\d+)`).exec(
    metrics,
  );
  return Number(m?.[1] ?? 0);
};

describe('decode-only fallback', { timeout: 30_000 }, () => {
  it('every prefill engine unreachable → 200 from decode alone, counted, warned once', async () => {
    const logic = 'disaggregated_prefill_orchestrated';
    const router = await spawnRouter(pdArgs(DEAD, [decode.url], [], logic));
    await decode.clearRequests();
    for (const stream of [false, true, false]) {
      const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'fb', max_tokens: 3, stream });
      expect(r.status).toBe(200);
      expect(r.text).toContain(' t2');
    }
    const calls = await inference(decode);
    expect(calls.map((c) => c.body)).toEqual([
      { model: MODEL, prompt: 'fb', max_tokens: 3, stream: false },
      { model: MODEL, prompt: 'fb', max_tokens: 3, stream: true },
      { model: MODEL, prompt: 'fb', max_tokens: 3, stream: false },
    ]);
    expect(await counter(router.url, 'prefill_failed')).toBe(3);
    expect(router.stderr().match(/decode engines serve requests alone/g)).toHaveLength(1);
  });

  it('every prefill engine answering 500 → decode alone; once prefill serves again the next fallback is warned anew', async () => {
    const router = await spawnRouter(pdArgs([prefill.url], [decode.url]));
    await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
    await prefill.config({ failStatus: 500 });
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 });
    expect(r.status).toBe(200);
    expect((await inference(prefill)).length).toBe(1);
    expect((await inference(decode)).map((c) => c.body?.max_tokens)).toEqual([2]);
    expect(await counter(router.url, 'prefill_failed')).toBe(1);

    await prefill.config({ failStatus: null });
    expect((await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'y' })).status).toBe(200);
    expect(await counter(router.url, 'prefill_failed')).toBe(1);
    expect(router.stdout()).toContain(`Model ${MODEL}: prefill engines serve P/D requests again`);

    await prefill.config({ failStatus: 503 });
    expect((await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'z' })).status).toBe(200);
    expect(await counter(router.url, 'prefill_failed')).toBe(2);
    expect(router.stderr().match(/decode engines serve requests alone/g)).toHaveLength(2);
    await prefill.config({ failStatus: null });
  });

  it('two models falling back in turn: one warning each; one recovering says so for itself only', async () => {
    const other = await spawnEngineSim({ models: ['other'] });
    const models = ['--static-models', [MODEL, 'other', MODEL, 'other'].join(',')];
    // MODEL's prefill engine answers 500 for now; other's cannot be reached
    const router = await spawnRouter(pdArgs([prefill.url, DEAD[1]!], [decode.url, other.url], models));
    await prefill.config({ failStatus: 500 });
    const send = async (model: string) =>
      expect((await postJson(`${router.url}/v1/completions`, { model, prompt: 'm', max_tokens: 2 })).status).toBe(200);
    for (const model of [MODEL, 'other', MODEL, 'other', MODEL]) await send(model);
    const warnings = () => router.stderr().match(/Model \S+: prefill engine\(s\) [^;]+ failed; decode engines serve/g);
    expect(warnings()).toEqual([
      `Model ${MODEL}: prefill engine(s) ${prefill.url} failed; decode engines serve`,
      `Model other: prefill engine(s) ${DEAD[1]} failed; decode engines serve`,
    ]);
    await prefill.config({ failStatus: null });
    await send(MODEL);
    await send('other');
    expect(router.stdout().match(/Model \S+: prefill engines serve P\/D requests again/g)).toEqual([
      `Model ${MODEL}: prefill engines serve P/D requests again`,
    ]);
    expect(warnings()).toHaveLength(2);
  });

  it('no prefill engine discovered → decode alone, counted as no_prefill_engine', async () => {
    const router = await spawnRouter(pdArgs([], [decode.url]));
    await decode.clearRequests();
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'np', max_tokens: 2 });
    expect(r.status).toBe(200);
    expect((await inference(decode)).map((c) => c.body?.prompt)).toEqual(['np']);
    expect(await counter(router.url, 'no_prefill_engine')).toBe(1);
  });

  it('--pd-fallback error: the prefill error as before, decode never called, nothing counted', async () => {
    const router = await spawnRouter(pdArgs(DEAD, [decode.url], ['--pd-fallback', 'error']));
    await decode.clearRequests();
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'e', max_tokens: 2 });
    expect(r.status).toBe(502);
    expect((r.json() as { error: { type: string } }).error.type).toBe('prefiller_error');
    expect(await inference(decode)).toEqual([]);
    expect(await counter(router.url, 'prefill_failed')).toBe(0);

    const none = await spawnRouter(pdArgs([], [decode.url], ['--pd-fallback', 'error']));
    const n = await postJson(`${none.url}/v1/completions`, { model: MODEL, prompt: 'e' });
    expect(n.status).toBe(503);
    expect((n.json() as { error: { message: string } }).error.message).toContain('no prefill engine');
  });
});
