/**
 * `disaggregated_prefill` with the tutorial's exact arguments: what the prefill and decode engines received and what
 * an OpenAI SDK client gets back, streaming and not, completions and chat.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll, tutorialArgs } from '../sim/processes.js';
import { MODEL, inference, postJson } from './fixtures.js';

let prefill: EngineSim;
let decode: EngineSim;
let router: Spawned;
let client: OpenAI;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  router = await spawnRouter(tutorialArgs(prefill.url, decode.url));
  client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'sk-client-key', maxRetries: 0 });
}, 30_000);
afterAll(stopAll, 30_000);
beforeEach(async () => {
  await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
});

describe('disaggregated_prefill (tutorial arguments)', { timeout: 30_000 }, () => {
  it('streams a completion: P gets max_tokens=1, stream=false, no min_tokens/stream_options; D the original', async () => {
    const request = {
      model: MODEL,
      prompt: 'The capital of France is',
      max_tokens: 7,
      stream: true as const,
      stream_options: { include_usage: true },
      min_tokens: 2,
    };
    const stream = await client.completions.create(request as OpenAI.CompletionCreateParamsStreaming, {
      headers: { 'X-Request-Id': 'req-tutorial-1' },
    });
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]) texts.push(chunk.choices[0].text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts.join('')).toBe(' t0 t1 t2 t3 t4 t5 t6');
    expect(usage?.completion_tokens).toBe(7);

    const [p] = await inference(prefill);
    const [d] = await inference(decode);
    expect(p!.path).toBe('/v1/completions');
    expect(p!.body).toEqual({ model: MODEL, prompt: 'The capital of France is', max_tokens: 1, stream: false });
    expect(d!.path).toBe('/v1/completions');
    expect(d!.body).toEqual(request);
    for (const r of [p!, d!]) {
      expect(r.headers['authorization']).toBe('Bearer sk-client-key');
      expect(r.headers['x-request-id']).toBe('req-tutorial-1');
    }
    expect(p!.receivedAt).toBeLessThanOrEqual(d!.receivedAt);
  });

  it('answers SSE with text/event-stream and echoes X-Request-Id', async () => {
    const res = await postJson(
      `${router.url}/v1/chat/completions`,
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, stream: true },
      { 'x-request-id': 'req-sse' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBe('req-sse');
    const text = res.text;
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('non-streaming completion: the client gets the decode JSON with usage', async () => {
    const out = await client.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 3 });
    expect(out.choices[0]!.text).toBe(' t0 t1 t2');
    expect(out.usage?.completion_tokens).toBe(3);
    const [p] = await inference(prefill);
    const [d] = await inference(decode);
    expect(p!.body).toMatchObject({ max_tokens: 1, stream: false });
    expect(d!.body).toEqual({ model: MODEL, prompt: 'Hello', max_tokens: 3 });
    expect(p!.headers['x-request-id']).toBe(d!.headers['x-request-id']);
    expect(p!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('chat, non-streaming: max_completion_tokens is set to 1 for P only', async () => {
    const out = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hi' }],
      max_completion_tokens: 4,
    });
    expect(out.choices[0]!.message.content).toBe(' t0 t1 t2 t3');
    const [p] = await inference(prefill);
    const [d] = await inference(decode);
    expect(p!.path).toBe('/v1/chat/completions');
    expect(p!.body).toMatchObject({ max_tokens: 1, max_completion_tokens: 1, stream: false });
    expect(d!.body).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hi' }],
      max_completion_tokens: 4,
    });
  });

  it('chat, streaming through the SDK', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hi' }],
      max_tokens: 3,
      stream: true,
    });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toBe(' t0 t1 t2');
    const [d] = await inference(decode);
    expect(d!.body).toMatchObject({ stream: true, max_tokens: 3 });
    expect((await inference(prefill)).length).toBe(1);
  });
});
