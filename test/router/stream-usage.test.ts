/**
 * With tracing on, the request's span gets the `usage` of the last event of an event stream that carries one as an
 * object (router/proxy/shared.ts watchStreamUsage): found in the stream's last 1 KiB, across chunks, with JSON
 * whitespace after `"usage":`; a later `"usage": null` does not hide it; a stream without usage records none. The
 * stream passes through unchanged.
 */
import { describe, expect, it } from 'vitest';
import { watchStreamUsage } from '../../router/proxy/shared.js';
import type { RequestTrace } from '../../router/tracing.js';

/** The usages recorded and the bytes passed on for `chunks` of a stream. */
function run(chunks: readonly string[]) {
  const usages: unknown[][] = [];
  const trace = { usage: (input, output) => usages.push([input, output]) } as Pick<RequestTrace, 'usage'>;
  const watch = watchStreamUsage(trace as RequestTrace, undefined);
  let out = '';
  for (const c of chunks) out += String(watch.chunk(Buffer.from(c)));
  out += String(watch.end());
  return { usages, out };
}

const event = (data: object | string) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const MODEL_NAME = 'meta-llama/Llama-3.1-8B-Instruct';
const token = (i: number) => event({ id: 'c', choices: [{ index: 0, delta: { content: `t${i}` } }] });

describe('the usage of an event stream', () => {
  it('is the last usage event, split across chunks, and the stream passes through unchanged', () => {
    const usage = event({ id: 'c', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const chunks = [token(1), token(2), usage.slice(0, 30), usage.slice(30), event('[DONE]')];
    const { usages, out } = run(chunks);
    expect(usages).toEqual([[7, 3]]);
    expect(out).toBe(chunks.join(''));
  });

  it('is found at the end of a long stream, an OpenAI-size usage event in small chunks (the last 1 KiB is searched)', () => {
    const tokens = Array.from({ length: 60 }, (_, i) => token(i)); // about 4 KB
    const usage = event({
      id: 'chatcmpl-0123456789abcdef0123456789abcdef',
      object: 'chat.completion.chunk',
      created: 1764000000,
      model: MODEL_NAME,
      system_fingerprint: 'fp_0123456789',
      choices: [],
      usage: {
        prompt_tokens: 900,
        completion_tokens: 60,
        total_tokens: 960,
        prompt_tokens_details: { cached_tokens: 512, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    });
    expect(usage.length).toBeGreaterThan(450);
    const pieces = usage.match(/[^]{1,64}/g)!;
    expect(run([...tokens, ...pieces, event('[DONE]')]).usages).toEqual([[900, 60]]);
  });

  it('is found with whitespace after "usage":, and not hidden by a later "usage": null', () => {
    const spaced = 'data: {"id":"c","choices":[],"usage" :  \t{"prompt_tokens":5,"completion_tokens":2}}\n\n';
    const { usages } = run([token(1), spaced.replace('"usage" :', '"usage":'), token(2), event({ usage: null })]);
    expect(usages).toEqual([[5, 2]]);
  });

  it('is none for a stream without usage, or one whose content only mentions it', () => {
    expect(run([token(1), token(2), event('[DONE]')]).usages).toEqual([]);
    const mention = event({ choices: [{ delta: { content: 'the "usage": {"prompt_tokens": 1} field' } }] });
    expect(run([mention, event('[DONE]')]).usages).toEqual([]);
  });
});
