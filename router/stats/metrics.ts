/**
 * Prometheus metrics of reference §3.11 (prom-client, one registry per router). Per-server gauges are recomputed
 * from request stats, engine stats and discovery when `/metrics` is scraped; counters and the latency histogram are
 * updated by the proxy as requests finish (general and P/D requests alike).
 */
import { statfsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServiceDiscovery } from '../discovery/types.js';
import type { EngineStatsScraper } from './engine-stats.js';
import type { RequestStatsMonitor } from './request-stats.js';

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly server = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['server'] as const, registers: [this.registry] });
  private readonly plain = (name: string, help: string) => new Gauge({ name, help, registers: [this.registry] });

  readonly currentQps = this.server('vllm:current_qps', 'Current queries per second per server');
  readonly avgDecodingLength = this.server('vllm:avg_decoding_length', 'Average decoding length per server');
  readonly numPrefill = this.server('vllm:num_prefill_requests', 'Requests waiting for their first byte per server');
  readonly numDecoding = this.server('vllm:num_decoding_requests', 'Requests streaming their answer per server');
  readonly numRunning = this.server('vllm:num_requests_running', 'Requests in flight per server (router view)');
  readonly numWaiting = this.server('vllm:num_requests_waiting', 'Requests queued in the engine (engine stats)');
  readonly avgLatency = this.server('vllm:avg_latency', 'Average end-to-end latency per server (s)');
  readonly avgItl = this.server('vllm:avg_itl', 'Average inter-token latency per server');
  readonly numSwapped = this.server('vllm:num_requests_swapped', 'Swapped requests per server');
  readonly prefixHitRate = this.server('vllm:gpu_prefix_cache_hit_rate', 'Prefix cache hit rate per server');
  readonly prefixHits = this.server('vllm:gpu_prefix_cache_hits_total', 'Prefix cache hits per server');
  readonly prefixQueries = this.server('vllm:gpu_prefix_cache_queries_total', 'Prefix cache queries per server');
  readonly healthyPods = this.server('vllm:healthy_pods_total', 'Discovered serving endpoints');
  readonly cpu = this.plain('router_cpu_usage_percent', 'Router process CPU usage (percent of one core)');
  readonly memory = this.plain('router_memory_usage_percent', 'System memory usage (percent)');
  readonly disk = this.plain('router_disk_usage_percent', 'Root file system usage (percent)');

  readonly incoming = new Counter({
    name: 'vllm:num_incoming_requests_total',
    help: 'Valid incoming requests per model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly inputTokens = new Counter({
    name: 'vllm:input_tokens_total',
    help: 'Prompt tokens (from usage of answers)',
    labelNames: ['server', 'model'] as const,
    registers: [this.registry],
  });
  readonly outputTokens = new Counter({
    name: 'vllm:output_tokens_total',
    help: 'Completion tokens (from usage of answers)',
    labelNames: ['server', 'model'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'vllm:request_errors_total',
    help: 'Failed upstream requests',
    labelNames: ['server', 'model', 'error_type'] as const,
    registers: [this.registry],
  });
  /** P/D requests a decode engine served alone, by reason (pd.ts: decisions of pd-decide.ts and fallbacks). */
  readonly pdDecodeOnly = new Counter({
    name: 'pdstack_router_pd_decode_only_total',
    help: 'P/D requests served by a decode engine alone, by reason',
    labelNames: ['model', 'reason'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'vllm:request_latency_seconds',
    help: 'End-to-end request latency',
    labelNames: ['server', 'model', 'status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  /** Histogram children by server, model and status: label hashing stays off the request path. */
  private readonly latencyChildren = new Map<string, { observe(v: number): void }>();

  observeLatency(server: string, model: string, success: boolean, seconds: number): void {
    const status = success ? 'success' : 'error';
    const key = `${server}\n${model}\n${status}`;
    let child = this.latencyChildren.get(key);
    if (!child) {
      if (this.latencyChildren.size >= 10_000) this.latencyChildren.clear();
      child = this.latency.labels({ server, model, status });
      this.latencyChildren.set(key, child);
    }
    child.observe(seconds);
  }

  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();

  constructor(
    private readonly discovery: ServiceDiscovery,
    private readonly requestStats: RequestStatsMonitor,
    private readonly engineStats: EngineStatsScraper,
  ) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Recomputes the gauges, then renders the exposition text. */
  async render(): Promise<string> {
    const perServer = [
      this.currentQps,
      this.avgDecodingLength,
      this.numPrefill,
      this.numDecoding,
      this.numRunning,
      this.numWaiting,
      this.avgLatency,
      this.avgItl,
      this.numSwapped,
      this.prefixHitRate,
      this.prefixHits,
      this.prefixQueries,
      this.healthyPods,
    ];
    for (const g of perServer) g.reset();
    const urls = new Set(this.discovery.endpoints().map((e) => e.url));
    for (const url of urls) {
      const labels = { server: url };
      this.healthyPods.set(labels, 1);
      const rs = this.requestStats.get(url);
      if (rs) {
        this.currentQps.set(labels, rs.qps);
        this.avgDecodingLength.set(labels, rs.avgDecodingLength);
        this.numPrefill.set(labels, rs.inPrefillRequests);
        this.numDecoding.set(labels, rs.inDecodingRequests);
        this.numRunning.set(labels, rs.inPrefillRequests + rs.inDecodingRequests);
        this.avgLatency.set(labels, rs.avgLatency);
        this.avgItl.set(labels, rs.avgItl);
        this.numSwapped.set(labels, rs.numSwappedRequests);
      }
      const es = this.engineStats.get(url);
      if (es) {
        this.numWaiting.set(labels, es.numQueuingRequests);
        this.prefixHitRate.set(labels, es.prefixCacheHitRate);
        this.prefixHits.set(labels, es.prefixCacheHits);
        this.prefixQueries.set(labels, es.prefixCacheQueries);
      }
    }
    const now = performance.now();
    const used = process.cpuUsage(this.lastCpu);
    const elapsedUs = (now - this.lastCpuAt) * 1000;
    this.cpu.set(elapsedUs > 0 ? ((used.user + used.system) / elapsedUs) * 100 : 0);
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    this.memory.set(((totalmem() - freemem()) / totalmem()) * 100);
    try {
      const fs = statfsSync('/');
      this.disk.set(fs.blocks > 0 ? ((fs.blocks - fs.bfree) / fs.blocks) * 100 : 0);
    } catch {
      this.disk.set(0);
    }
    return this.registry.metrics();
  }
}
