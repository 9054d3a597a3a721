/** `--log-stats`: one INFO record every `--log-stats-interval` seconds in vllm_router's layout (reference §3.11). */
import type { ServiceDiscovery } from '../discovery/types.js';
import type { Logger } from '../log.js';
import type { EngineStatsScraper } from './engine-stats.js';
import type { RequestStatsMonitor } from './request-stats.js';

export function formatStats(
  discovery: ServiceDiscovery,
  engineStats: EngineStatsScraper,
  requestStats: RequestStatsMonitor,
): string {
  const lines = ['', '='.repeat(50)];
  const byUrl = new Map<string, string[]>();
  for (const e of discovery.endpoints()) {
    const models = byUrl.get(e.url) ?? [];
    for (const name of e.modelNames) {
      const parent = e.modelInfo[name]?.parent;
      const line = parent ? `${name} (adapter for ${parent})` : name;
      if (!models.includes(line)) models.push(line);
    }
    byUrl.set(e.url, models);
  }
  for (const [url, models] of byUrl) {
    lines.push(`Server: ${url}`);
    if (models.length === 0) lines.push('Models: No model information available');
    else lines.push('Models:', ...models.map((m) => `  - ${m}`));
    const es = engineStats.get(url);
    lines.push(
      es
        ? ` Engine Stats: Running Requests: ${es.numRunningRequests}, Queued Requests: ${es.numQueuingRequests}, GPU Cache Hit Rate: ${es.prefixCacheHitRate.toFixed(2)}`
        : ' Engine Stats: No stats available',
    );
    const rs = requestStats.get(url);
    lines.push(
      rs
        ? ` Request Stats: QPS: ${rs.qps.toFixed(2)}, Avg Latency: ${rs.avgLatency.toFixed(2)}, Avg ITL: ${rs.avgItl}, Prefill Requests: ${rs.inPrefillRequests}, Decoding Requests: ${rs.inDecodingRequests}, Swapped Requests: ${rs.numSwappedRequests}, Finished: ${rs.finishedRequests}, Uptime: ${rs.uptime.toFixed(2)} sec`
        : ' Request Stats: No stats available',
    );
    lines.push('-'.repeat(50));
  }
  lines.push('='.repeat(50));
  return lines.join('\n');
}

export function startLogStats(
  intervalSeconds: number,
  log: Logger,
  discovery: ServiceDiscovery,
  engineStats: EngineStatsScraper,
  requestStats: RequestStatsMonitor,
): () => void {
  const timer = setInterval(() => log.info(formatStats(discovery, engineStats, requestStats)), intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
