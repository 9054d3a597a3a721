/**
 * Request stats per engine URL (reference §3.10), over a sliding window of `--request-stats-window` seconds.
 *
 * Every upstream call is tracked by a `RequestTracker` handle (`begin` → `firstByte` → `end`), so in-flight counts
 * can never leak. Memory is bounded: window samples are pruned as they age, and per-URL state is dropped when
 * discovery no longer lists the URL.
 */

export interface RequestStats {
  readonly qps: number;
  /** Mean time to first byte of the window (seconds), -1 if none. */
  readonly ttft: number;
  readonly inPrefillRequests: number;
  readonly inDecodingRequests: number;
  readonly finishedRequests: number;
  /** Seconds since the first request to this engine. */
  readonly uptime: number;
  readonly avgDecodingLength: number;
  readonly avgLatency: number;
  readonly avgItl: number;
  readonly numSwappedRequests: number;
}

/**
 * Time-stamped samples with O(1) pruning: a ring buffer over two typed arrays that only grows (doubling) when the
 * window holds more samples than ever before. In steady state adding and pruning allocate nothing, so a busy engine
 * does not churn large arrays (which only a full GC reclaims and which made the RSS climb under load).
 */
class Window {
  private times = new Float64Array(64);
  private values = new Float64Array(64);
  private head = 0;
  private size = 0;

  add(t: number, v: number): void {
    if (this.size === this.times.length) this.grow();
    const i = (this.head + this.size) & (this.times.length - 1);
    this.times[i] = t;
    this.values[i] = v;
    this.size++;
  }

  private grow(): void {
    const cap = this.times.length;
    const times = new Float64Array(cap * 2);
    const values = new Float64Array(cap * 2);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (cap - 1);
      times[k] = this.times[i]!;
      values[k] = this.values[i]!;
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }

  prune(cutoff: number): void {
    const mask = this.times.length - 1;
    while (this.size > 0 && this.times[this.head]! < cutoff) {
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  count(): number {
    return this.size;
  }

  mean(): number {
    const n = this.size;
    if (n === 0) return -1;
    const mask = this.values.length - 1;
    let s = 0;
    for (let k = 0; k < n; k++) s += this.values[(this.head + k) & mask]!;
    return s / n;
  }
}

class UrlStats {
  readonly arrivals = new Window();
  readonly ttfts = new Window();
  readonly latencies = new Window();
  inPrefill = 0;
  inDecoding = 0;
  finished = 0;
  constructor(readonly firstRequestAt: number) {}
}

/** One upstream call; `firstByte` and `end` are idempotent. */
export class RequestTracker {
  private state: 0 | 1 | 2 = 0;
  constructor(
    private readonly stats: UrlStats,
    private readonly monitor: RequestStatsMonitor,
    readonly startedAt: number,
  ) {}

  firstByte(): void {
    if (this.state !== 0) return;
    this.state = 1;
    this.stats.inPrefill--;
    this.stats.inDecoding++;
    const now = performance.now();
    this.stats.ttfts.add(now, (now - this.startedAt) / 1000);
    this.monitor.prune(this.stats, now);
  }

  /** Ends the call; returns its latency in seconds. */
  end(): number {
    const now = performance.now();
    if (this.state === 2) return (now - this.startedAt) / 1000;
    if (this.state === 0) this.stats.inPrefill--;
    else this.stats.inDecoding--;
    this.state = 2;
    this.stats.finished++;
    const latency = (now - this.startedAt) / 1000;
    this.stats.latencies.add(now, latency);
    this.monitor.prune(this.stats, now);
    return latency;
  }
}

export class RequestStatsMonitor {
  private readonly byUrl = new Map<string, UrlStats>();
  private readonly windowMs: number;

  constructor(windowSeconds: number) {
    this.windowMs = windowSeconds * 1000;
  }

  begin(url: string): RequestTracker {
    const now = performance.now();
    let s = this.byUrl.get(url);
    if (!s) {
      s = new UrlStats(now);
      this.byUrl.set(url, s);
    }
    s.inPrefill++;
    s.arrivals.add(now, 1);
    this.prune(s, now);
    return new RequestTracker(s, this, now);
  }

  /** Requests sent to `url` and not finished yet. */
  outstanding(url: string): number {
    const s = this.byUrl.get(url);
    return s ? s.inPrefill + s.inDecoding : 0;
  }

  prune(s: UrlStats, now: number): void {
    const cutoff = now - this.windowMs;
    s.arrivals.prune(cutoff);
    s.ttfts.prune(cutoff);
    s.latencies.prune(cutoff);
  }

  /** Forgets URLs that discovery no longer lists (and that have nothing in flight). */
  retain(urls: ReadonlySet<string>): void {
    for (const [url, s] of this.byUrl) {
      if (!urls.has(url) && s.inPrefill + s.inDecoding === 0) this.byUrl.delete(url);
    }
  }

  /** Same value as `get(url)?.qps`, pruning only the arrivals window (routing reads it per candidate). */
  qps(url: string): number | undefined {
    const s = this.byUrl.get(url);
    if (!s) return undefined;
    s.arrivals.prune(performance.now() - this.windowMs);
    return s.arrivals.count() / (this.windowMs / 1000);
  }

  get(url: string): RequestStats | undefined {
    const s = this.byUrl.get(url);
    if (!s) return undefined;
    const now = performance.now();
    this.prune(s, now);
    return {
      qps: s.arrivals.count() / (this.windowMs / 1000),
      ttft: s.ttfts.mean(),
      inPrefillRequests: s.inPrefill,
      inDecodingRequests: s.inDecoding,
      finishedRequests: s.finished,
      uptime: (now - s.firstRequestAt) / 1000,
      avgDecodingLength: -1,
      avgLatency: s.latencies.mean(),
      avgItl: -1,
      numSwappedRequests: 0,
    };
  }
}
