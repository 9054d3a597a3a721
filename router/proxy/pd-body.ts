/**
 * The engine bodies of a P/D request, from one serialization of the client's: the keys a leg sets (prefillBody) are
 * left out of the shared bytes and written after them, per leg. A large prompt is thus serialized once and its bytes
 * sent to both engines, where serializing each leg's body whole made a text and a copy of it per leg (memory: README,
 * "Memory"; `MEMORY_TERMS.perBufferedByte` in buffers.ts).
 */
import { serialize } from './shared.js';
import type { UpstreamBody } from './upstream.js';

/** The keys prefillBody sets or drops; decode gets the client's own values back (kv_transfer_params: the router's). */
const LEG_KEYS: ReadonlySet<string> = new Set([
  'max_tokens',
  'max_completion_tokens',
  'stream',
  'stream_options',
  'min_tokens',
  'min_completion_tokens',
  'kv_transfer_params',
]);

/** Shared bytes shorter than this are copied into one buffer with each leg's keys (one write, no iteration). */
const SHARE_FROM_BYTES = 64 * 1024;

export class PdBodies {
  /** The client's body minus the leg keys, serialized without its closing brace. */
  private readonly shared: Buffer;
  /** The client's values of the leg keys. */
  readonly own: Readonly<Record<string, unknown>>;

  /**
   * Throws the client's 400 for a body nested too deeply to serialize (serialize), its shared part or its leg keys,
   * before any engine is called.
   */
  constructor(body: Readonly<Record<string, unknown>>) {
    // without a prototype, a client's "__proto__" key is a key like any other (JSON.parse makes it one)
    const rest: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const own: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(body)) (LEG_KEYS.has(key) ? own : rest)[key] = body[key];
    serialize(own);
    const text = serialize(rest);
    this.shared = Buffer.from(text.slice(0, -1));
    this.own = own;
  }

  /** The shared bytes followed by `keys` (an object of leg keys) and the closing brace. */
  with(keys: Readonly<Record<string, unknown>>): UpstreamBody {
    const text = serialize(keys);
    const comma = this.shared.length > 1 && text.length > 2 ? ',' : '';
    const tail = Buffer.from(comma + text.slice(1));
    return this.shared.length < SHARE_FROM_BYTES ? Buffer.concat([this.shared, tail]) : [this.shared, tail];
  }
}
