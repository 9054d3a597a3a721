/**
 * P/D errors reach the client as OpenAI-style JSON with a 4xx/5xx status (never a 200 with an error inside), before
 * the stream starts; the SDK sees them as APIError with that status.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, inference, pdArgs, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  // the prefill's error itself, not decode alone (pd-fallback.test.ts)
  stack = await pdStack({ p: 1, d: 1, extraArgs: ['--pd-fallback', 'error'] });
}, 30_000);
afterAll(stopAll, 30_000);
afterEach(async () => {
  await Promise.all([...stack.prefills, ...stack.decodes].map((s) => s.config({ failStatus: null })));
});

const body = { model: MODEL, prompt: 'x', max_tokens: 3, stream: true };

describe('P/D errors', { timeout: 30_000 }, () => {
  it('prefill 500 → 500 prefiller_error, decode never called', async () => {
    await stack.prefills[0]!.config({ failStatus: 500 });
    await stack.decodes[0]!.clearRequests();
    const r = await postJson(`${stack.router.url}/v1/completions`, body, { 'x-request-id': 'err-1' });
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('x-request-id')).toBe('err-1');
    expect(r.json()).toEqual({
      error: { message: 'Prefiller error: Simulated failure 500', type: 'prefiller_error', code: 500 },
    });
    expect(await inference(stack.decodes[0]!)).toEqual([]);
  });

  it('prefill 400 keeps the engine status', async () => {
    await stack.prefills[0]!.config({ failStatus: 400 });
    const r = await postJson(`${stack.router.url}/v1/completions`, body);
    expect(r.status).toBe(400);
    expect((r.json() as { error: { type: string } }).error.type).toBe('prefiller_error');
  });

  it('decode 503 → 503 decoder_error, seen by the SDK as an APIError', async () => {
    await stack.decodes[0]!.config({ failStatus: 503 });
    const client = new OpenAI({ baseURL: `${stack.router.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const err = await client.completions.create(body as OpenAI.CompletionCreateParamsStreaming).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toEqual({
      message: 'Decoder error: Simulated failure 503',
      type: 'decoder_error',
      code: 503,
    });
  });

  it('unknown model → 404; no engine with the decode label → 503', async () => {
    const r404 = await postJson(`${stack.router.url}/v1/completions`, { ...body, model: 'other/model' });
    expect(r404.status).toBe(404);
    expect((r404.json() as { error: { message: string } }).error.message).toBe(
      "Model 'other/model' not found. Available models can be listed at /v1/models.",
    );

    const noDecode = await spawnRouter(pdArgs([stack.prefills[0]!.url], []));
    const r503 = await postJson(`${noDecode.url}/v1/completions`, body);
    expect(r503.status).toBe(503);
    expect(r503.json()).toEqual({
      error: {
        message: `Model '${MODEL}' is temporarily unavailable (no decode engine). Please try again later.`,
        type: 'service_unavailable',
        code: 503,
      },
    });
  });

  it('a decode engine that cannot be reached → 502 decoder_error', async () => {
    const dead = 'http://127.0.0.1:1';
    const router = await spawnRouter(pdArgs([stack.prefills[0]!.url], [dead]));
    const r = await postJson(`${router.url}/v1/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    expect(r.status).toBe(502);
    const e = (r.json() as { error: { message: string; type: string; code: number } }).error;
    expect(e.type).toBe('decoder_error');
    expect(e.code).toBe(502);
    expect(e.message).toContain('cannot be reached');
  });
});
