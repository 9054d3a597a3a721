/**
 * `--upstream-first-byte-timeout-seconds`: an engine that does not answer in time gives the client a 504
 * OpenAI-style error naming the engine role, and the engine sees the request abandoned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, inference, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({
    p: 1,
    d: 1,
    extraArgs: ['--upstream-first-byte-timeout-seconds', '0.5', '--pd-fallback', 'error'],
  });
}, 30_000);
afterAll(stopAll, 30_000);

describe('upstream first-byte timeout', { timeout: 30_000 }, () => {
  it('a slow prefill engine → 504 prefiller_error; decode never called', async () => {
    await stack.prefills[0]!.config({ ttftMs: 5000 });
    const r = await postJson(`${stack.router.url}/v1/completions`, {
      model: MODEL,
      prompt: 'x',
      max_tokens: 2,
      stream: true,
    });
    expect(r.status).toBe(504);
    const e = (r.json() as { error: { type: string; code: number; message: string } }).error;
    expect(e).toMatchObject({ type: 'prefiller_error', code: 504 });
    expect(e.message).toContain('timed out');
    expect(await inference(stack.decodes[0]!)).toEqual([]);
    await eventually(async () => (await inference(stack.prefills[0]!))[0]?.aborted === true);
    await stack.prefills[0]!.config({ ttftMs: 0 });
  });

  it('a slow decode engine → 504 decoder_error', async () => {
    await stack.decodes[0]!.config({ ttftMs: 5000 });
    const r = await postJson(`${stack.router.url}/v1/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(r.status).toBe(504);
    expect((r.json() as { error: { type: string } }).error.type).toBe('decoder_error');
    await stack.decodes[0]!.config({ ttftMs: 0 });
  });
});
