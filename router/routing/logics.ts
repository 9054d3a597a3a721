/**
 * Routing logics of the general proxy path (reference §3.4): `roundrobin`, `session`, `prefixaware`.
 * Each picks one endpoint among non-empty candidates (already filtered by model, sleep and scrape health).
 */
import { createHash } from 'node:crypto';
import type { Endpoint } from '../discovery/types.js';
import type { RequestStatsMonitor } from '../stats/request-stats.js';

export interface RoutedRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface RoutingLogic {
  route(candidates: readonly Endpoint[], request: RoutedRequest): Endpoint;
}

/** A Map used as an LRU: reads move the key to the end, inserts beyond `cap` evict the oldest. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly cap: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.cap) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}

function setKey(candidates: readonly Endpoint[]): string {
  return candidates
    .map((e) => e.url)
    .sort()
    .join('\n');
}

/** QPS routing (the fallback of `session` and `prefixaware`): an engine without stats first, else the lowest QPS. */
export function qpsRoute(candidates: readonly Endpoint[], requestStats: RequestStatsMonitor): Endpoint {
  let best = candidates[0]!;
  let bestQps = Infinity;
  for (const e of candidates) {
    const qps = requestStats.qps(e.url);
    if (qps === undefined) return e;
    if (qps < bestQps) {
      best = e;
      bestQps = qps;
    }
  }
  return best;
}

/** Round robin with one counter per set of candidate URLs (at most 1024 sets remembered). */
export class RoundRobin implements RoutingLogic {
  private readonly counters = new LruMap<string, { i: number }>(1024);

  route(candidates: readonly Endpoint[]): Endpoint {
    const sorted = [...candidates].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    // same key as setKey (both orders compare UTF-16 code units), without sorting again
    const key = sorted.map((e) => e.url).join('\n');
    let c = this.counters.get(key);
    if (!c) {
      c = { i: 0 };
      this.counters.set(key, c);
    }
    return sorted[c.i++ % sorted.length]!;
  }
}

function hash32(s: string): number {
  return createHash('md5').update(s).digest().readUInt32BE(0);
}

/** Consistent hash ring with virtual nodes. */
class HashRing {
  private readonly points: number[] = [];
  private readonly owners: string[] = [];

  constructor(urls: readonly string[], vnodes = 160) {
    const pairs: [number, string][] = [];
    for (const u of urls) for (let i = 0; i < vnodes; i++) pairs.push([hash32(`${u}-${i}`), u]);
    pairs.sort((a, b) => a[0] - b[0]);
    for (const [p, u] of pairs) {
      this.points.push(p);
      this.owners.push(u);
    }
  }

  lookup(key: string): string {
    const h = hash32(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo % this.points.length]!;
  }
}

/** Sticky sessions: header `<session-key>` or body field `<session-key>` hashed on a ring; QPS routing without one. */
export class SessionRouter implements RoutingLogic {
  private readonly rings = new LruMap<string, HashRing>(64);
  private readonly header: string;

  constructor(
    private readonly sessionKey: string,
    private readonly requestStats: RequestStatsMonitor,
  ) {
    this.header = sessionKey.toLowerCase();
  }

  sessionId(request: RoutedRequest): string | undefined {
    const h = request.headers[this.header];
    if (typeof h === 'string' && h !== '') return h;
    const b = request.body[this.sessionKey];
    return typeof b === 'string' || typeof b === 'number' ? String(b) : undefined;
  }

  route(candidates: readonly Endpoint[], request: RoutedRequest): Endpoint {
    const sid = this.sessionId(request);
    if (sid === undefined) return qpsRoute(candidates, this.requestStats);
    const key = setKey(candidates);
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new HashRing(candidates.map((e) => e.url));
      this.rings.set(key, ring);
    }
    const url = ring.lookup(sid);
    return candidates.find((e) => e.url === url)!;
  }
}

const CHUNK = 128;
/**
 * Characters of a prompt prefixaware looks at: 256 chunks (32 Ki characters). A request costs at most 256 hashes and
 * 256 table entries whatever its size, so one huge prompt neither holds the event loop nor flushes the table; prompts
 * that share their first 32 Ki characters count as one prefix.
 */
export const PREFIX_MAX_CHARS = CHUNK * 256;

/**
 * The text a prefix is matched on, at most `PREFIX_MAX_CHARS` characters: `prompt`, or every message's text joined
 * with newlines. Parts past the limit are not read.
 */
export function promptText(body: Readonly<Record<string, unknown>>): string | undefined {
  const prompt = body.prompt;
  if (typeof prompt === 'string') return prompt.slice(0, PREFIX_MAX_CHARS);
  if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')) return joinBounded(prompt as string[]);
  if (!Array.isArray(body.messages)) return undefined;
  return joinBounded(messageTexts(body.messages as unknown[]));
}

/** Every message's content text (a string content, or the `text` of each content part), in order. */
function* messageTexts(messages: readonly unknown[]): Generator<string> {
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof content === 'string') yield content;
    else if (Array.isArray(content)) {
      for (const p of content) {
        const text = (p as { text?: unknown } | null)?.text;
        if (typeof text === 'string') yield text;
      }
    }
  }
}

/**
 * `texts` joined with newlines, cut at `PREFIX_MAX_CHARS` characters; texts past the limit are not read, and a long
 * text is cut before it is joined (cutting the joined string would copy all of it).
 */
function joinBounded(texts: Iterable<string>): string {
  let out: string | undefined;
  for (const t of texts) {
    const room = out === undefined ? PREFIX_MAX_CHARS : PREFIX_MAX_CHARS - out.length - 1;
    const part = t.length > room ? t.slice(0, room) : t;
    out = out === undefined ? part : out + '\n' + part;
    if (out.length >= PREFIX_MAX_CHARS) break;
  }
  return out ?? '';
}

/**
 * Prefix-aware routing: the prompt's first `PREFIX_MAX_CHARS` characters are cut into 128-character chunks; each
 * chunk's key hashes the whole prefix up to it (a trie flattened into a map), remembering which engines saw it. The
 * longest prefix still served by a candidate wins (random among its engines); below `--prefix-min-match-length`
 * characters QPS routing is used. The map is an LRU of at most `--prefix-cache-max-entries` chunks, so memory is
 * bounded.
 */
export class PrefixAwareRouter implements RoutingLogic {
  private readonly seen: LruMap<string, Set<string>>;

  constructor(
    private readonly minMatchLength: number,
    maxEntries: number,
    private readonly requestStats: RequestStatsMonitor,
  ) {
    this.seen = new LruMap(maxEntries);
  }

  get entries(): number {
    return this.seen.size;
  }

  route(candidates: readonly Endpoint[], request: RoutedRequest): Endpoint {
    const text = promptText(request.body);
    if (text === undefined) return qpsRoute(candidates, this.requestStats);
    const keys: string[] = [];
    let prev = '';
    for (let i = 0; i < text.length; i += CHUNK) {
      prev = createHash('sha1')
        .update(prev)
        .update(text.slice(i, i + CHUNK))
        .digest('base64');
      keys.push(prev);
    }
    const urls = new Set(candidates.map((e) => e.url));
    let matched: string[] = [];
    let matchedChunks = 0;
    for (const key of keys) {
      const engines = this.seen.get(key);
      if (!engines) break;
      const inter = [...engines].filter((u) => urls.has(u));
      if (inter.length === 0) break;
      matched = inter;
      matchedChunks++;
    }
    let chosen: Endpoint;
    if (matchedChunks * CHUNK < this.minMatchLength) {
      chosen = qpsRoute(candidates, this.requestStats);
    } else {
      const pool = matched.length > 0 ? candidates.filter((e) => matched.includes(e.url)) : candidates;
      chosen = pool[Math.floor(Math.random() * pool.length)]!;
    }
    for (const key of keys) {
      const engines = this.seen.get(key);
      if (engines) engines.add(chosen.url);
      else this.seen.set(key, new Set([chosen.url]));
    }
    return chosen;
  }
}
