/**
 * Engine stats scraper (reference §3.9, fixed): every `--engine-stats-interval` seconds all endpoints' `/metrics`
 * are scraped concurrently, each with a timeout, off the request path. A failed scrape marks that engine's stats
 * stale (the previous numbers are dropped, never waited for); after `--engine-stats-failure-threshold` consecutive
 * failures the engine counts as failing and routing skips it until a scrape succeeds again.
 */
import { request } from 'undici';
import type { Logger } from '../log.js';
import type { ServiceDiscovery } from '../discovery/types.js';
import { readLimited } from '../proxy/upstream.js';

export interface EngineStats {
  readonly numRunningRequests: number;
  readonly numQueuingRequests: number;
  /** `vllm:kv_cache_usage_perc`, or the older `vllm:gpu_cache_usage_perc`. */
  readonly kvCacheUsagePerc: number;
  readonly prefixCacheHitRate: number;
  readonly prefixCacheHits: number;
  readonly prefixCacheQueries: number;
  /** Unix ms of the scrape that produced these numbers. */
  readonly scrapedAt: number;
}

interface Entry {
  stats?: EngineStats;
  consecutiveFailures: number;
}

/** Sums every series of the sample names we read (an engine serving several models reports one series each). */
export function parseEngineMetrics(text: string, now: number): EngineStats {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('vllm:')) continue;
    const brace = line.indexOf('{');
    const space = brace >= 0 ? line.indexOf(' ', line.lastIndexOf('}')) : line.indexOf(' ');
    if (space < 0) continue;
    const name = line.slice(0, brace >= 0 && brace < space ? brace : space);
    const value = Number.parseFloat(line.slice(space + 1));
    if (Number.isNaN(value)) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  const get = (n: string) => sums.get(n);
  const hits = get('vllm:prefix_cache_hits_total') ?? get('vllm:gpu_prefix_cache_hits_total') ?? 0;
  const queries = get('vllm:prefix_cache_queries_total') ?? get('vllm:gpu_prefix_cache_queries_total') ?? 0;
  return {
    numRunningRequests: get('vllm:num_requests_running') ?? 0,
    numQueuingRequests: get('vllm:num_requests_waiting') ?? 0,
    kvCacheUsagePerc: get('vllm:kv_cache_usage_perc') ?? get('vllm:gpu_cache_usage_perc') ?? 0,
    prefixCacheHitRate: get('vllm:gpu_prefix_cache_hit_rate') ?? (queries > 0 ? hits / queries : 0),
    prefixCacheHits: hits,
    prefixCacheQueries: queries,
    scrapedAt: now,
  };
}

export class EngineStatsScraper {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly discovery: ServiceDiscovery,
    private readonly intervalSeconds: number,
    private readonly timeoutSeconds: number,
    private readonly failureThreshold: number,
    /** The longest `/metrics` answer read (`--max-upstream-body-bytes`); a longer one is a failed scrape. */
    private readonly maxBodyBytes: number,
    private readonly log: Logger,
    /** Called each interval with the URLs discovery lists, so other per-URL state can be pruned alongside. */
    private readonly onUrls?: (urls: ReadonlySet<string>) => void,
  ) {}

  /** Starts the first scrape without waiting for it, then one every interval. */
  start(): void {
    void this.scrapeAll();
    this.timer = setInterval(() => void this.scrapeAll(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Fresh stats of an engine, or undefined when unknown or its last scrape failed. */
  get(url: string): EngineStats | undefined {
    return this.entries.get(url)?.stats;
  }

  /** True once an engine failed `failureThreshold` consecutive scrapes (and none succeeded since). */
  isFailing(url: string): boolean {
    const e = this.entries.get(url);
    return e !== undefined && e.consecutiveFailures >= this.failureThreshold;
  }

  scrapeAll(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const run = async () => {
      const urls = new Set(this.discovery.endpoints().map((e) => e.url));
      this.log.debug(`Scraping metrics from ${urls.size} serving engine(s)`);
      for (const url of this.entries.keys()) if (!urls.has(url)) this.entries.delete(url);
      this.onUrls?.(urls);
      await Promise.all([...urls].map((u) => this.scrape(u)));
    };
    this.inFlight = run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async scrape(url: string): Promise<void> {
    let entry = this.entries.get(url);
    if (!entry) {
      entry = { consecutiveFailures: 0 };
      this.entries.set(url, entry);
    }
    try {
      const res = await request(`${url}/metrics`, { signal: AbortSignal.timeout(this.timeoutSeconds * 1000) });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`HTTP ${res.statusCode}`);
      }
      entry.stats = parseEngineMetrics(await readLimited(res.body, this.maxBodyBytes), Date.now());
      entry.consecutiveFailures = 0;
    } catch (err) {
      entry.stats = undefined;
      entry.consecutiveFailures++;
      this.log.warn(`Failed to scrape metrics from ${url}: ${(err as Error).message}`);
    }
  }
}
