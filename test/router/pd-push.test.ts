/**
 * `--pd-dispatch concurrent` (vLLM's NixlPushConnector): the first request to a prefill engine runs serially and
 * teaches the router the engine's NIXL coordinates; from then on both legs leave at once, decode with the push-mode
 * `kv_transfer_params` (the prefill engine's id, host, side-channel port and TP size, no block ids) and both with one
 * `transfer_id` and X-Request-Id. A failed prefill cancels the decode leg; a failed decode cancels the prefill leg; a
 * decode engine that cannot be reached is replaced once by another, as in serial dispatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefillBody } from '../../router/proxy/pd.js';
import { type SimRecord, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, inference, pdArgs, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({
    p: 1,
    d: 1,
    logic: 'disaggregated_prefill_orchestrated',
    extraArgs: ['--pd-dispatch', 'concurrent', '--pd-fallback', 'error'],
  });
}, 30_000);
afterAll(stopAll, 30_000);

const prefill = () => stack.prefills[0]!;
const decode = () => stack.decodes[0]!;
const clear = () => Promise.all([prefill().clearRequests(), decode().clearRequests()]);
const kvOf = (r: SimRecord | undefined) => r?.body?.kv_transfer_params as Record<string, unknown> | undefined;
const send = (prompt: string, headers: Record<string, string> = {}) =>
  postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt, max_tokens: 3 }, headers);

describe('concurrent (push-mode) dispatch', { timeout: 30_000 }, () => {
  it('the first request is serial; it teaches the prefill engine coordinates', async () => {
    await prefill().config({ cachedTokens: 5 });
    const r = await send('first');
    expect(r.status).toBe(200);
    expect(kvOf((await inference(decode()))[0])).toMatchObject({ remote_block_ids: [0, 1, 2], tp_size: 1 });
  });

  it('then both legs leave at once: decode arrives within 5 ms of prefill, with the push-mode fields', async () => {
    await prefill().config({ ttftMs: 300 }); // serially, decode would arrive 300 ms after prefill
    // decode answers once the prefill has (as it waits for the push), reporting the transferred prompt as cached
    await decode().config({ ttftMs: 400, cachedTokens: 4000 });
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      await clear();
      const r = await send('push', { 'x-request-id': `push-${i}` });
      expect(r.status).toBe(200);
      expect((r.json() as { usage: { prompt_tokens_details?: unknown } }).usage.prompt_tokens_details).toEqual({
        cached_tokens: 5,
      });
      const [p] = await inference(prefill());
      const [d] = await inference(decode());
      gaps.push(Math.abs(d!.receivedAt - p!.receivedAt));
      const transferId = kvOf(p)!.transfer_id;
      expect(typeof transferId).toBe('string');
      // the orchestrated prefill's kv_transfer_params (pd-orchestrated.test.ts) plus the transfer id
      expect(kvOf(p)).toEqual({ ...(prefillBody({}, true).kv_transfer_params as object), transfer_id: transferId });
      expect(kvOf(d)).toEqual({
        do_remote_prefill: true,
        do_remote_decode: false,
        remote_engine_id: expect.any(String),
        remote_host: '127.0.0.1',
        remote_port: prefill().port,
        tp_size: 1,
        remote_request_id: `push-${i}`,
        transfer_id: transferId,
      });
      expect([p!.headers['x-request-id'], d!.headers['x-request-id']]).toEqual([`push-${i}`, `push-${i}`]);
      expect([p!.body?.max_tokens, d!.body?.max_tokens]).toEqual([1, 3]);
    }
    // decode never waited for the prefill's answer (300 ms); two processes on a busy machine may each be scheduled
    // late, so the 5 ms are asserted on the closest of five requests
    expect(Math.max(...gaps)).toBeLessThan(300);
    expect(Math.min(...gaps)).toBeLessThan(5);
    await Promise.all([prefill().config({ ttftMs: 0 }), decode().config({ ttftMs: 0, cachedTokens: null })]);
  });

  it('a failed prefill cancels the decode leg; the client gets the prefill error', async () => {
    await clear();
    await decode().config({ ttftMs: 5000 });
    await prefill().config({ failStatus: 500, failDelayMs: 100 });
    const r = await send('p-fails');
    expect(r.status).toBe(500);
    expect((r.json() as { error: { type: string } }).error.type).toBe('prefiller_error');
    await eventually(async () => (await inference(decode()))[0]?.aborted === true);
    const metrics = await (await fetch(`${stack.router.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`vllm:request_errors_total\\{server="${decode().url}",model="${MODEL}",error_type="cancelled"\\} 1`),
    );
    await Promise.all([decode().config({ ttftMs: 0 }), prefill().config({ failStatus: null, failDelayMs: 0 })]);
  });

  it('a failed decode cancels the prefill leg; the client gets the decode error', async () => {
    await clear();
    await prefill().config({ ttftMs: 5000 });
    await decode().config({ failStatus: 503, failDelayMs: 100 });
    const r = await send('d-fails');
    expect(r.status).toBe(503);
    expect((r.json() as { error: { type: string } }).error.type).toBe('decoder_error');
    await eventually(async () => (await inference(prefill()))[0]?.aborted === true);
    await Promise.all([prefill().config({ ttftMs: 0 }), decode().config({ failStatus: null, failDelayMs: 0 })]);
  });
});

describe('concurrent dispatch, a failed prefill with the default fallback', { timeout: 30_000 }, () => {
  it('the push decode leg is cancelled, then decode serves the request alone', async () => {
    const other = await pdStack({
      p: 1,
      d: 1,
      logic: 'disaggregated_prefill_orchestrated',
      extraArgs: ['--pd-dispatch', 'concurrent'],
    });
    const [p, d] = [other.prefills[0]!, other.decodes[0]!];
    expect((await postJson(`${other.router.url}/v1/completions`, { model: MODEL, prompt: 'learn' })).status).toBe(200);
    await Promise.all([p.clearRequests(), d.clearRequests()]);
    await d.config({ ttftMs: 300 });
    await p.config({ failStatus: 503, failDelayMs: 50 });
    const r = await postJson(`${other.router.url}/v1/completions`, { model: MODEL, prompt: 'alone', max_tokens: 2 });
    expect(r.status).toBe(200);
    const calls = await inference(d);
    expect(calls.map((c) => [kvOf(c)?.do_remote_prefill, c.aborted])).toEqual([
      [true, true],
      [undefined, false],
    ]);
    expect(calls[1]!.body).toEqual({ model: MODEL, prompt: 'alone', max_tokens: 2 });
  });
});

describe('concurrent dispatch, a decode engine that cannot be reached', { timeout: 30_000 }, () => {
  it('the decode leg goes to the other decode engine with the same transfer; the client never notices', async () => {
    const [p, d] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
    const dead = 'http://127.0.0.1:1';
    const router = await spawnRouter(
      pdArgs([p.url], [dead, d.url], ['--pd-dispatch', 'concurrent'], 'disaggregated_prefill_orchestrated'),
    );
    const post = (prompt: string) => postJson(`${router.url}/v1/completions`, { model: MODEL, prompt, max_tokens: 2 });
    // the first request is serial (it learns the prefill's coordinates); then every request is dispatched at once
    for (let i = 0; i < 5; i++) expect((await post(`r${i}`)).status).toBe(200);
    const prefilled = await inference(p);
    const decoded = await inference(d);
    expect(decoded.map((c) => c.body?.prompt)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(decoded.map((c) => c.aborted)).toEqual([false, false, false, false, false]);
    // pushed requests: decode got the transfer of its own prefill
    for (const c of decoded.slice(1)) {
      const prompt = c.body?.prompt;
      const mine = prefilled.find((x) => x.body?.prompt === prompt);
      expect(kvOf(c)?.transfer_id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
      expect(kvOf(c)?.transfer_id).toBe(kvOf(mine)?.transfer_id);
    }
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`vllm:request_errors_total\\{server="${dead}",[^}]*connection_error"\\} [1-9]`));
  });
});
