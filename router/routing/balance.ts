/** Load measures shared by the routing logics. */
import type { Endpoint } from '../discovery/types.js';
import type { EngineStatsScraper } from '../stats/engine-stats.js';
import type { RequestStatsMonitor } from '../stats/request-stats.js';

/**
 * Drops endpoints whose `/metrics` failed several consecutive scrapes. If every candidate is failing, all are kept:
 * the router never routes nowhere on the strength of scrapes alone (the request itself then reports the failure).
 */
export function withoutFailing(candidates: readonly Endpoint[], engineStats: EngineStatsScraper): readonly Endpoint[] {
  let failing = 0;
  for (const e of candidates) if (engineStats.isFailing(e.url)) failing++;
  if (failing === 0 || failing === candidates.length) return candidates;
  return candidates.filter((e) => !engineStats.isFailing(e.url));
}

/**
 * Fewest outstanding requests (router view) plus the engine's reported queue (`vllm:num_requests_waiting`, when the
 * last scrape succeeded). Ties rotate, so equal engines share sequential traffic evenly.
 */
export class LeastLoaded {
  private turn = 0;

  constructor(
    private readonly requestStats: RequestStatsMonitor,
    private readonly engineStats: EngineStatsScraper,
  ) {}

  load(url: string): number {
    return this.requestStats.outstanding(url) + (this.engineStats.get(url)?.numQueuingRequests ?? 0);
  }

  /** Picks from `candidates` (non-empty), skipping the URLs in `exclude` when others remain. */
  pick(candidates: readonly Endpoint[], exclude?: ReadonlySet<string>): Endpoint {
    const n = candidates.length;
    const start = this.turn++ % n;
    if (this.turn > 1e9) this.turn = 0;
    let best: Endpoint | undefined;
    let bestLoad = Infinity;
    for (let k = 0; k < n; k++) {
      const e = candidates[(start + k) % n]!;
      if (exclude?.has(e.url)) continue;
      const l = this.load(e.url);
      if (l < bestLoad) {
        best = e;
        bestLoad = l;
      }
    }
    return best ?? candidates[start]!;
  }
}
