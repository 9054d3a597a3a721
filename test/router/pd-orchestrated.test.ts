/** `disaggregated_prefill_orchestrated`: the vLLM NixlConnector `kv_transfer_params` hand-off from P to D. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, inference, pdStack } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({ p: 1, d: 1, logic: 'disaggregated_prefill_orchestrated' });
}, 30_000);
afterAll(stopAll, 30_000);

describe('disaggregated_prefill_orchestrated', { timeout: 30_000 }, () => {
  it('asks P for do_remote_decode and passes its kv_transfer_params to D with remote_host = P host', async () => {
    const client = new OpenAI({ baseURL: `${stack.router.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const stream = await client.completions.create({ model: MODEL, prompt: 'abc', max_tokens: 4, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe(' t0 t1 t2 t3');

    const [p] = await inference(stack.prefills[0]!);
    const [d] = await inference(stack.decodes[0]!);
    expect(p!.body).toEqual({
      model: MODEL,
      prompt: 'abc',
      max_tokens: 1,
      stream: false,
      kv_transfer_params: {
        do_remote_decode: true,
        do_remote_prefill: false,
        remote_engine_id: null,
        remote_block_ids: null,
        remote_host: null,
        remote_port: null,
      },
    });
    const kv = d!.body!.kv_transfer_params as Record<string, unknown>;
    expect(kv).toMatchObject({
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_block_ids: [0, 1, 2],
      remote_host: '127.0.0.1',
      remote_port: stack.prefills[0]!.port,
    });
    expect(typeof kv.remote_engine_id).toBe('string');
    expect({ ...d!.body, kv_transfer_params: undefined }).toEqual({
      model: MODEL,
      prompt: 'abc',
      max_tokens: 4,
      stream: true,
      kv_transfer_params: undefined,
    });
  });
});
