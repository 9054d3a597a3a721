/** A client that goes away aborts the upstream requests: the engines see their connection closed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, inference, pdStack } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({ p: 1, d: 1, sim: { itlMs: 100 } });
}, 30_000);
afterAll(stopAll, 30_000);

describe('client disconnect', { timeout: 30_000 }, () => {
  it('during decode streaming: the decode request is aborted', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'long', max_tokens: 100, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: ');
    controller.abort();
    await eventually(async () => (await inference(stack.decodes[0]!))[0]?.aborted === true);
    const [d] = await inference(stack.decodes[0]!);
    expect(d!.completed).toBe(false);
    const [p] = await inference(stack.prefills[0]!);
    expect(p!.completed).toBe(true);
  });

  it('during prefill: the prefill request is aborted and decode is never called', async () => {
    await Promise.all([stack.prefills[0]!.clearRequests(), stack.decodes[0]!.clearRequests()]);
    await stack.prefills[0]!.config({ ttftMs: 5000 });
    const controller = new AbortController();
    const pending = fetch(`${stack.router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'long', max_tokens: 10, stream: true }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await eventually(async () => (await inference(stack.prefills[0]!)).length === 1);
    controller.abort();
    await pending;
    await eventually(async () => (await inference(stack.prefills[0]!))[0]?.aborted === true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await inference(stack.decodes[0]!)).toEqual([]);
    await stack.prefills[0]!.config({ ttftMs: 0 });
  });
});
