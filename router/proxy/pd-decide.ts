/**
 * Conditional disaggregation: whether a P/D request skips prefill and is served by a decode engine alone.
 *
 * - `--pd-min-prompt-tokens N` (default 0: never): a prompt of fewer than N tokens is not worth two round trips and a
 *   KV transfer. Tokens are bounded without a tokenizer (promptTokensReach), so the router never loads one and adds
 *   no round trip to the engine's `/tokenize` on the path to the first token.
 * - `--pd-max-prefill-queue Q` (default: off): when every prefill engine reports more than Q waiting requests
 *   (`vllm:num_requests_waiting` of the last engine-stats scrape), prefill stays local to decode, as Dynamo's
 *   PrefillLoad policy does. An engine without fresh stats counts as not over.
 */
import type { Endpoint } from '../discovery/types.js';
import type { EngineStatsScraper } from '../stats/engine-stats.js';

/** Why a P/D request skipped prefill (the `reason` of `pdstack_router_pd_decode_only_total`). */
export type DecodeOnlyDecision = 'short_prompt' | 'prefill_queue_full';

/**
 * Tokens allowed per prompt text besides its bytes: the BOS token, SentencePiece's dummy-prefix piece, a chat
 * template's role markers around a message.
 */
export const TOKENS_PER_TEXT = 8;

/**
 * True when the prompt of a (chat) completion request may have `limit` tokens or more. The count is an upper bound:
 * a byte-level BPE token (Llama 3, Qwen, GPT-style, Mistral Tekken) spans at least one UTF-8 byte of text and a
 * SentencePiece token (Llama 2, Gemma) at least one character or one byte, so a text has at most its UTF-8 length in
 * tokens, plus TOKENS_PER_TEXT for each text (prompt, message, tool list). Token-id prompts count exactly. A prompt
 * the router cannot bound (an image or audio part, an unknown shape) counts as long. Not counted: a chat template's
 * own text beyond the role markers (e.g. a default system prompt), so a prompt within that margin of `limit` can be
 * called short. The walk stops as soon as `limit` is reached, and a string at least `limit` characters long is not
 * measured, so a long prompt costs O(1) per text part.
 */
export function promptTokensReach(body: Readonly<Record<string, unknown>>, limit: number): boolean {
  let total = 0;
  const text = (s: string): boolean => {
    total += TOKENS_PER_TEXT + (s.length >= limit ? limit : Buffer.byteLength(s));
    return total >= limit;
  };
  const prompt = body.prompt;
  if (prompt !== undefined) {
    if (typeof prompt === 'string') return text(prompt);
    if (!Array.isArray(prompt)) return true;
    for (const p of prompt as unknown[]) {
      if (typeof p === 'string') {
        if (text(p)) return true;
      } else if (typeof p === 'number') {
        if (++total >= limit) return true;
      } else if (Array.isArray(p)) {
        total += p.length;
        if (total >= limit) return true;
      } else return true;
    }
    return false;
  }
  if (!Array.isArray(body.messages)) return true;
  for (const m of body.messages as unknown[]) {
    if (m === null || typeof m !== 'object') return true;
    const { content, tool_calls: toolCalls } = m as { content?: unknown; tool_calls?: unknown };
    if (typeof content === 'string') {
      if (text(content)) return true;
    } else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        const t = (part as { type?: unknown; text?: unknown } | null)?.text;
        if (typeof t !== 'string') return true; // image, audio, file: not bounded here
        if (text(t)) return true;
      }
    } else if (content !== undefined && content !== null) return true;
    if (toolCalls !== undefined && text(JSON.stringify(toolCalls))) return true;
  }
  return body.tools !== undefined && text(JSON.stringify(body.tools));
}

export interface PdDecideOptions {
  /** `--pd-min-prompt-tokens` (0: every prompt is disaggregated). */
  readonly minPromptTokens: number;
  /** `--pd-max-prefill-queue` (undefined: no queue gate). */
  readonly maxPrefillQueue?: number;
}

export class PdDecider {
  constructor(
    private readonly options: PdDecideOptions,
    private readonly engineStats: EngineStatsScraper,
  ) {}

  /** Whether either gate is set: with none, every request is disaggregated at no cost. */
  get active(): boolean {
    return this.options.minPromptTokens > 0 || this.options.maxPrefillQueue !== undefined;
  }

  /** Why decode should serve this request alone, or undefined to disaggregate it (`prefills` is non-empty). */
  decide(body: Readonly<Record<string, unknown>>, prefills: readonly Endpoint[]): DecodeOnlyDecision | undefined {
    const { minPromptTokens, maxPrefillQueue } = this.options;
    if (minPromptTokens > 0 && !promptTokensReach(body, minPromptTokens)) return 'short_prompt';
    if (maxPrefillQueue !== undefined && prefills.every((e) => this.queueOver(e.url, maxPrefillQueue)))
      return 'prefill_queue_full';
    return undefined;
  }

  private queueOver(url: string, max: number): boolean {
    const waiting = this.engineStats.get(url)?.numQueuingRequests;
    return waiting !== undefined && waiting > max;
  }
}
