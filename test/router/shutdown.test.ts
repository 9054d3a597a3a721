/** SIGTERM: the router stops accepting, lets in-flight streams finish, then exits 0. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, inference, pdStack } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({ p: 1, d: 1, sim: { itlMs: 50 } });
}, 30_000);
afterAll(stopAll, 30_000);

describe('graceful shutdown', { timeout: 30_000 }, () => {
  it('drains an in-flight stream, refuses new connections and exits 0', async () => {
    const res = await fetch(`${stack.router.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'x', max_tokens: 30, stream: true }),
    });
    expect(res.status).toBe(200);
    const body = res.text();
    await eventually(async () => (await inference(stack.decodes[0]!)).length === 1);
    const exit = stack.router.stop();
    const text = await body;
    expect(text.match(/"text":/g)).toHaveLength(30);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(await exit).toBe(0);
    await expect(fetch(`${stack.router.url}/health`)).rejects.toThrow();
    expect((await inference(stack.decodes[0]!))[0]!.completed).toBe(true);
  });
});
