/**
 * In a P/D answer `usage.prompt_tokens_details.cached_tokens` is the prefill's figure (what the prompt found cached),
 * not decode's (which counts the transferred prompt as cached): JSON and event-stream answers, both P/D logics. An
 * engine that reports no figure leaves the answer as decode sent it.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, pdStack, postJson } from './fixtures.js';

const stacks: Record<string, PdStack> = {};
beforeAll(async () => {
  for (const logic of ['disaggregated_prefill', 'disaggregated_prefill_orchestrated'] as const) {
    const stack = await pdStack({ p: 1, d: 1, logic });
    await stack.prefills[0]!.config({ cachedTokens: 7 });
    await stack.decodes[0]!.config({ cachedTokens: 4000 });
    stacks[logic] = stack;
  }
}, 30_000);
afterAll(stopAll, 30_000);

type Usage = { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } };

describe.each(['disaggregated_prefill', 'disaggregated_prefill_orchestrated'])('cached_tokens (%s)', (logic) => {
  it('a JSON answer reports the prefill figure', async () => {
    const r = await postJson(`${stacks[logic]!.router.url}/v1/completions`, {
      model: MODEL,
      prompt: 'abcd',
      max_tokens: 3,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBeNull();
    const answer = r.json() as { usage: Usage; choices: { text: string }[] };
    expect(answer.usage.prompt_tokens_details).toEqual({ cached_tokens: 7 });
    expect(answer.choices[0]!.text).toBe(' t0 t1 t2');
  });

  it('an event stream (chat, include_usage) reports the prefill figure', async () => {
    const client = new OpenAI({ baseURL: `${stacks[logic]!.router.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: Usage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage as Usage;
    }
    expect(text).toBe(' t0 t1 t2 t3');
    expect(usage?.prompt_tokens_details).toEqual({ cached_tokens: 7 });
  });
});

describe('cached_tokens without a prefill figure', { timeout: 30_000 }, () => {
  it("decode's answer goes out unchanged", async () => {
    const stack = stacks.disaggregated_prefill!;
    await stack.prefills[0]!.config({ cachedTokens: null });
    const r = await postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt: 'abcd', max_tokens: 3 });
    expect((r.json() as { usage: Usage }).usage.prompt_tokens_details).toEqual({ cached_tokens: 4000 });
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(r.text)));
    await stack.prefills[0]!.config({ cachedTokens: 7 });
  });
});
