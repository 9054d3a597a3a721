/**
 * The prompt-token bound of conditional disaggregation (pd-decide.ts), in process: UTF-8 bytes plus a small
 * allowance per text, exact for token ids, "long" for what it cannot bound.
 */
import { describe, expect, it } from 'vitest';
import { TOKENS_PER_TEXT, promptTokensReach } from '../../router/proxy/pd-decide.js';

/** The smallest limit the prompt does not reach: its bound + 1 (searched, as the function answers reach or not). */
function bound(body: Record<string, unknown>): number {
  let n = 1;
  while (promptTokensReach(body, n)) n++;
  return n - 1;
}

describe('promptTokensReach', () => {
  it('a string prompt: its UTF-8 bytes (an upper bound of its tokens) plus the allowance', () => {
    expect(bound({ prompt: 'hello world' })).toBe(11 + TOKENS_PER_TEXT);
    // 'é' is 2 bytes, '漢' 3, an emoji 4: byte-level BPE needs at most one token per byte
    expect(bound({ prompt: 'é漢😀' })).toBe(9 + TOKENS_PER_TEXT);
  });

  it('token ids count exactly; a list of prompts adds up', () => {
    expect(bound({ prompt: Array.from({ length: 300 }, (_, i) => i) })).toBe(300);
    expect(bound({ prompt: [[1, 2, 3], [4]] })).toBe(4);
    expect(bound({ prompt: ['ab', 'cd'] })).toBe(4 + 2 * TOKENS_PER_TEXT);
  });

  it('chat: every message text, tool calls and tools count', () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a' }] },
    ];
    const calls = JSON.stringify([{ id: 'a' }]).length;
    expect(bound({ messages })).toBe(8 + 2 + calls + 3 * TOKENS_PER_TEXT);
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(bound({ messages, tools })).toBe(8 + 2 + calls + JSON.stringify(tools).length + 4 * TOKENS_PER_TEXT);
  });

  it('what it cannot bound counts as long: an image part, an unknown prompt shape, no prompt at all', () => {
    const image = { type: 'image_url', image_url: { url: 'data:' } };
    expect(promptTokensReach({ messages: [{ role: 'user', content: [image] }] }, 1_000_000)).toBe(true);
    expect(promptTokensReach({ prompt: { text: 'x' } }, 1_000_000)).toBe(true);
    expect(promptTokensReach({ model: 'm' }, 1_000_000)).toBe(true);
  });

  it('stops at the limit: one character under it is short, a long text is long', () => {
    expect(promptTokensReach({ prompt: 'x'.repeat(255 - TOKENS_PER_TEXT) }, 256)).toBe(false);
    expect(promptTokensReach({ prompt: 'x'.repeat(256 - TOKENS_PER_TEXT) }, 256)).toBe(true);
    expect(promptTokensReach({ prompt: 'x'.repeat(10_000_000) }, 256)).toBe(true);
  });
});
