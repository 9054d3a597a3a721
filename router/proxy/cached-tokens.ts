/**
 * True cached tokens in a P/D answer. vLLM started with `--enable-prompt-tokens-details` reports
 * `usage.prompt_tokens_details.cached_tokens`; in P/D the decode engine counts the prompt it received from prefill as
 * cached, so the client would see (nearly) the whole prompt as a cache hit. What the prompt really found cached is
 * the prefill's figure: the router copies it into the decode answer (llm-d-router issue #2447 describes the same
 * rewrite in llm-d's sidecar), in a JSON answer and in every event of an event stream that carries the field.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Lease } from './buffers.js';
import type { BodyTransform } from './upstream.js';

const FIELD = '"cached_tokens"';

/** The `usage.prompt_tokens_details.cached_tokens` of an engine answer's text, if it has one. */
export function cachedTokensOf(text: string): number | undefined {
  if (!text.includes(FIELD)) return undefined; // no parse for answers without the field (the common case)
  try {
    return cachedTokensIn(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The same from a parsed answer. */
export function cachedTokensIn(answer: unknown): number | undefined {
  const usage = (answer as { usage?: { prompt_tokens_details?: { cached_tokens?: unknown } } } | null)?.usage;
  const n = usage?.prompt_tokens_details?.cached_tokens;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Sets the figure in one JSON text (an answer, or one event's data); the text unchanged when it has no such field or
 * there is no figure (yet: with concurrent dispatch the prefill may not have answered).
 */
function rewrite(json: string, figure: () => number | undefined): string {
  if (!json.includes(FIELD)) return json;
  const cached = figure();
  if (cached === undefined) return json;
  try {
    const parsed = JSON.parse(json) as { usage?: { prompt_tokens_details?: { cached_tokens?: unknown } } } | null;
    const details = parsed?.usage?.prompt_tokens_details;
    if (details === null || typeof details !== 'object' || !('cached_tokens' in details)) return json;
    details.cached_tokens = cached;
    return JSON.stringify(parsed);
  } catch {
    return json;
  }
}

/**
 * Rewrites a JSON answer whole: it is held until its end (its bytes taken from the request's buffer lease). An answer
 * longer than `limit` (`--max-upstream-body-bytes`) or over the buffer budget goes out as the engine sent it.
 */
class JsonRewrite implements BodyTransform {
  private held: Buffer[] | undefined = [];
  private bytes = 0;

  constructor(
    private readonly cached: () => number | undefined,
    private readonly lease: Lease,
    private readonly limit: number,
  ) {}

  chunk(c: Buffer): Buffer | string {
    if (!this.held) return c;
    this.bytes += c.length;
    if (this.bytes <= this.limit && this.lease.take(c.length)) {
      this.held.push(c);
      return '';
    }
    const out = Buffer.concat([...this.held, c]);
    this.held = undefined; // too long: given up, passed through from here on
    return out;
  }

  end(): Buffer | string {
    if (!this.held) return '';
    return rewrite(Buffer.concat(this.held).toString('utf8'), this.cached);
  }
}

/**
 * Rewrites an event stream event by event. Complete events (ended by a blank line) go out at once, those carrying the
 * field rewritten; the incomplete tail of a chunk waits for its end (a client cannot read a half event anyway).
 */
class SseRewrite implements BodyTransform {
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';

  constructor(private readonly cached: () => number | undefined) {}

  chunk(c: Buffer): string {
    const text = this.tail + this.decoder.write(c);
    const cut = text.lastIndexOf('\n\n');
    if (cut < 0) {
      this.tail = text;
      return '';
    }
    this.tail = text.slice(cut + 2);
    return this.events(text.slice(0, cut + 2));
  }

  end(): string {
    return this.events(this.tail + this.decoder.end());
  }

  private events(text: string): string {
    if (!text.includes(FIELD)) return text;
    return text
      .split('\n')
      .map((line) => (line.startsWith('data: ') ? `data: ${rewrite(line.slice(6), this.cached)}` : line))
      .join('\n');
  }
}

/** The transform that puts the prefill's figure into a decode answer (an event stream when `streaming`). */
export function cachedTokensTransform(
  cached: () => number | undefined,
  streaming: boolean,
  lease: Lease,
  limit: number,
): BodyTransform {
  return streaming ? new SseRewrite(cached) : new JsonRewrite(cached, lease, limit);
}
