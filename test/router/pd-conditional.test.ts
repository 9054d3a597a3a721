/**
 * Conditional disaggregation: with `--pd-min-prompt-tokens 256` a 5-word prompt reaches decode only (no
 * `kv_transfer_params`, the client's own `max_tokens`), a 2,000-word prompt reaches both engines; with
 * `--pd-max-prefill-queue` a request goes to decode alone while every prefill engine reports more waiting requests.
 * Each decision counts in `pdstack_router_pd_decode_only_total` by reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, inference, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({
    p: 1,
    d: 1,
    logic: 'disaggregated_prefill_orchestrated',
    extraArgs: ['--pd-min-prompt-tokens', '256', '--pd-max-prefill-queue', '3', '--engine-stats-interval', '1'],
  });
}, 30_000);
afterAll(stopAll, 30_000);

const clear = () => Promise.all([...stack.prefills, ...stack.decodes].map((s) => s.clearRequests()));
const metrics = async () => (await fetch(`${stack.router.url}/metrics`)).text();
const counter = async (reason: string) =>
  Number(
    new RegExp(`pdstack_router_pd_decode_only_total\\{model="${MODEL}",reason="${reason}"\\} (\\d+)`).exec(
      await metrics(),
    )?.[1] ?? 0,
  );
const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

describe('conditional disaggregation', { timeout: 30_000 }, () => {
  it('a 5-word prompt reaches decode only, unchanged', async () => {
    await clear();
    const r = await postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt: words(5), max_tokens: 3 });
    expect(r.status).toBe(200);
    expect(await inference(stack.prefills[0]!)).toEqual([]);
    expect((await inference(stack.decodes[0]!)).map((d) => d.body)).toEqual([
      { model: MODEL, prompt: words(5), max_tokens: 3 },
    ]);
    expect(await counter('short_prompt')).toBe(1);
  });

  it('a short chat reaches decode only; a 2,000-word prompt and a long chat reach both', async () => {
    await clear();
    const short = { model: MODEL, messages: [{ role: 'user', content: words(5) }], max_tokens: 2 };
    expect((await postJson(`${stack.router.url}/v1/chat/completions`, short)).status).toBe(200);
    expect(await inference(stack.prefills[0]!)).toEqual([]);

    const long = { model: MODEL, prompt: words(2000), max_tokens: 2 };
    expect((await postJson(`${stack.router.url}/v1/completions`, long)).status).toBe(200);
    const chat = { model: MODEL, messages: [{ role: 'user', content: words(2000) }], max_tokens: 2 };
    expect((await postJson(`${stack.router.url}/v1/chat/completions`, chat)).status).toBe(200);
    expect((await inference(stack.prefills[0]!)).map((p) => p.body?.max_tokens)).toEqual([1, 1]);
    const decoded = await inference(stack.decodes[0]!);
    expect(
      decoded.map(
        (d) => (d.body?.kv_transfer_params as { do_remote_prefill?: boolean } | undefined)?.do_remote_prefill,
      ),
    ).toEqual([undefined, true, true]);
    expect(await counter('short_prompt')).toBe(2);
  });

  it('every prefill engine over --pd-max-prefill-queue → decode alone; below it again → both', async () => {
    const prefill = stack.prefills[0]!;
    const long = { model: MODEL, prompt: words(2000), max_tokens: 2 };
    const waiting = new RegExp(`vllm:num_requests_waiting\\{server="${prefill.url}"\\} (\\d+)`);
    await prefill.config({ extraWaiting: 4 });
    await eventually(async () => waiting.exec(await metrics())?.[1] === '4');
    await clear();
    expect((await postJson(`${stack.router.url}/v1/completions`, long)).status).toBe(200);
    expect(await inference(prefill)).toEqual([]);
    expect(await counter('prefill_queue_full')).toBe(1);

    await prefill.config({ extraWaiting: 3 }); // not over 3
    await eventually(async () => waiting.exec(await metrics())?.[1] === '3');
    expect((await postJson(`${stack.router.url}/v1/completions`, long)).status).toBe(200);
    expect((await inference(prefill)).length).toBe(1);
    expect(await counter('prefill_queue_full')).toBe(1);
    await prefill.config({ extraWaiting: 0 });
  });
});
