/**
 * The router's command line (pdstack-router, and `routerSpec.extraArgs` in the checks of meaning): the one place that owns every flag, its type and its default.
 *
 * Names, types, choices and defaults follow `vllm_router/parsers/parser.py` (production-stack reference §3.2) so that
 * the tutorial command works unchanged. Flags added by pdstack are marked `pdstack: true`. Flags of features that
 * pdstack-router does not implement are marked `unsupported`: accepted by the parser so the message is precise, and
 * rejected at start when they are actually used.
 */

import { ROUTING_LOGICS } from './routing-logic.js';
import { UsageError } from './usage-error.js';

export type FlagKind = 'string' | 'int' | 'float' | 'bool';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  readonly help: string;
  /** Set when the feature behind this flag is not built: the reason printed when the flag is used. */
  readonly unsupported?: string;
  /** Added by pdstack (not a vllm_router flag). */
  readonly pdstack?: boolean;
}

export const STATIC_MODEL_TYPES = [
  'chat',
  'completion',
  'embeddings',
  'rerank',
  'score',
  'transcription',
  'vision',
  'messages',
] as const;

export const LOG_LEVELS = ['critical', 'error', 'warning', 'info', 'debug', 'trace'] as const;

const SEMANTIC = 'the semantic cache';
const BATCH = 'the batch and files API';
const KVAWARE = 'kvaware routing (LMCache controller)';

export const FLAGS: readonly FlagSpec[] = [
  { name: 'host', kind: 'string', default: '0.0.0.0', help: 'address to listen on' },
  { name: 'port', kind: 'int', default: 8001, help: 'port to listen on (0 = any free port)' },
  { name: 'root-path', kind: 'string', default: '', help: 'path prefix stripped from incoming URLs (behind a proxy)' },
  {
    name: 'service-discovery',
    kind: 'string',
    choices: ['static', 'k8s', 'external-only'],
    help: 'service discovery type',
  },
  {
    name: 'k8s-service-discovery-type',
    kind: 'string',
    choices: ['pod-ip', 'service-name'],
    help: 'discover pods by IP or Services by name (default pod-ip)',
  },
  { name: 'static-backends', kind: 'string', help: 'comma-separated engine URLs' },
  { name: 'static-models', kind: 'string', help: 'comma-separated model names, one per backend' },
  { name: 'static-aliases', kind: 'string', help: 'comma-separated alias:model pairs' },
  {
    name: 'static-model-types',
    kind: 'string',
    help: `comma-separated model types, one per backend (${STATIC_MODEL_TYPES.join(', ')})`,
  },
  {
    name: 'static-model-labels',
    kind: 'string',
    help: 'comma-separated model labels, one per backend (default "default")',
  },
  {
    name: 'static-backend-health-checks',
    kind: 'bool',
    default: false,
    help: 'send a tiny inference request to each backend periodically and hide failing ones',
  },
  {
    name: 'static-backend-health-check-interval',
    kind: 'int',
    default: 60,
    help: 'seconds between static backend health checks',
  },
  {
    name: 'static-backend-health-check-timeout-seconds',
    kind: 'int',
    default: 10,
    help: 'timeout of one static backend health check',
  },
  { name: 'k8s-port', kind: 'int', default: 8000, help: 'engine port used in discovered URLs' },
  { name: 'k8s-namespace', kind: 'string', default: 'default', help: 'namespace watched by k8s discovery' },
  { name: 'k8s-label-selector', kind: 'string', default: '', help: 'label selector of k8s discovery' },
  {
    name: 'k8s-watcher-timeout-seconds',
    kind: 'int',
    default: 0,
    help: 'timeout of each watch request (0 = server default)',
  },
  {
    name: 'k8s-api-loss-threshold-seconds',
    kind: 'int',
    default: 60,
    pdstack: true,
    help: '/health turns unhealthy after the API server has been unreachable this long',
  },
  {
    name: 'backend-health-check-timeout-seconds',
    kind: 'int',
    default: 10,
    help: 'timeout of engine /v1/models calls in k8s discovery',
  },
  { name: 'routing-logic', kind: 'string', choices: ROUTING_LOGICS, help: 'routing logic' },
  { name: 'lmcache-controller-port', kind: 'int', default: 9000, unsupported: KVAWARE, help: 'kvaware only' },
  { name: 'lmcache-controller-reply-port', kind: 'int', unsupported: KVAWARE, help: 'kvaware only' },
  { name: 'lmcache-controller-heartbeat-port', kind: 'int', unsupported: KVAWARE, help: 'kvaware only' },
  {
    name: 'session-key',
    kind: 'string',
    help: 'header name or body field that identifies a session (session routing)',
  },
  { name: 'callbacks', kind: 'string', unsupported: 'Python callbacks', help: 'not supported' },
  { name: 'request-rewriter', kind: 'string', default: 'noop', choices: ['noop'], help: 'request rewriter' },
  { name: 'enable-batch-api', kind: 'bool', default: false, unsupported: BATCH, help: 'not supported' },
  {
    name: 'file-storage-class',
    kind: 'string',
    default: 'local_file',
    choices: ['local_file'],
    unsupported: BATCH,
    help: 'not supported',
  },
  { name: 'file-storage-path', kind: 'string', default: '/tmp/vllm_files', unsupported: BATCH, help: 'not supported' },
  {
    name: 'batch-processor',
    kind: 'string',
    default: 'local',
    choices: ['local'],
    unsupported: BATCH,
    help: 'not supported',
  },
  { name: 'engine-stats-interval', kind: 'int', default: 30, help: 'seconds between engine /metrics scrapes' },
  {
    name: 'engine-stats-timeout-seconds',
    kind: 'float',
    default: 5,
    pdstack: true,
    help: 'timeout of one engine /metrics scrape',
  },
  {
    name: 'engine-stats-failure-threshold',
    kind: 'int',
    default: 3,
    pdstack: true,
    help: 'consecutive failed scrapes after which roundrobin/session/P/D skip an engine',
  },
  { name: 'request-stats-window', kind: 'int', default: 60, help: 'sliding window of request stats (seconds)' },
  { name: 'log-stats', kind: 'bool', default: false, help: 'log engine and request stats periodically' },
  { name: 'log-stats-interval', kind: 'int', default: 10, help: 'seconds between stats logs' },
  { name: 'dynamic-config-yaml', kind: 'string', unsupported: 'dynamic configuration', help: 'not supported' },
  { name: 'dynamic-config-json', kind: 'string', unsupported: 'dynamic configuration', help: 'not supported' },
  {
    name: 'semantic-cache-model',
    kind: 'string',
    default: 'all-MiniLM-L6-v2',
    unsupported: SEMANTIC,
    help: 'not supported',
  },
  {
    name: 'semantic-cache-dir',
    kind: 'string',
    default: 'semantic_cache',
    unsupported: SEMANTIC,
    help: 'not supported',
  },
  { name: 'semantic-cache-threshold', kind: 'float', default: 0.95, unsupported: SEMANTIC, help: 'not supported' },
  {
    name: 'feature-gates',
    kind: 'string',
    default: '',
    help: 'Name=true,... (SemanticCache and PIIDetection are not supported)',
  },
  { name: 'log-level', kind: 'string', default: 'info', choices: LOG_LEVELS, help: 'log level' },
  { name: 'log-format', kind: 'string', default: 'text', choices: ['text', 'json'], help: 'log format' },
  { name: 'sentry-dsn', kind: 'string', unsupported: 'Sentry reporting', help: 'not supported' },
  { name: 'sentry-traces-sample-rate', kind: 'float', default: 0.1, help: 'accepted for compatibility, in [0, 1]' },
  {
    name: 'sentry-profile-session-sample-rate',
    kind: 'float',
    default: 1.0,
    help: 'accepted for compatibility, in [0, 1]',
  },
  { name: 'otel-endpoint', kind: 'string', unsupported: 'OpenTelemetry tracing', help: 'not supported' },
  { name: 'otel-service-name', kind: 'string', default: 'vllm-router', help: 'accepted for compatibility' },
  { name: 'otel-secure', kind: 'bool', default: false, help: 'accepted for compatibility' },
  { name: 'prefill-model-labels', kind: 'string', help: 'comma-separated labels of prefill engines' },
  { name: 'decode-model-labels', kind: 'string', help: 'comma-separated labels of decode engines' },
  { name: 'kv-aware-threshold', kind: 'int', default: 2000, unsupported: KVAWARE, help: 'kvaware only' },
  {
    name: 'prefix-min-match-length',
    kind: 'int',
    default: 0,
    help: 'prefixaware: characters of prefix match below which QPS routing is used',
  },
  {
    name: 'prefix-cache-max-entries',
    kind: 'int',
    default: 100000,
    pdstack: true,
    help: 'prefixaware: LRU cap on remembered 128-character prefix chunks',
  },
  {
    name: 'max-instance-failover-reroute-attempts',
    kind: 'int',
    default: 0,
    help: 'extra attempts on another engine when one cannot be reached',
  },
  { name: 'lmcache-health-check-interval', kind: 'int', default: 5, unsupported: KVAWARE, help: 'kvaware only' },
  { name: 'lmcache-worker-timeout', kind: 'int', default: 30, unsupported: KVAWARE, help: 'kvaware only' },
  { name: 'external-providers-config', kind: 'string', unsupported: 'external providers', help: 'not supported' },
  {
    name: 'upstream-connect-timeout-seconds',
    kind: 'float',
    default: 10,
    pdstack: true,
    help: 'timeout to connect to an engine',
  },
  {
    name: 'upstream-first-byte-timeout-seconds',
    kind: 'float',
    default: 600,
    pdstack: true,
    help: 'timeout until an engine sends its response headers',
  },
  {
    name: 'max-request-body-bytes',
    kind: 'int',
    default: 33554432,
    pdstack: true,
    help: 'larger request bodies are rejected with 413',
  },
  {
    name: 'max-buffered-bytes',
    kind: 'int',
    default: 100663296,
    pdstack: true,
    help: 'request bodies and engine answers held whole, all requests together; past it new requests get 503',
  },
  {
    name: 'max-upstream-body-bytes',
    kind: 'int',
    default: 2097152,
    pdstack: true,
    help: 'longest engine answer read whole (prefill answers, error bodies, sleep answers, /metrics, /v1/models)',
  },
  {
    name: 'max-connections',
    kind: 'int',
    default: 1024,
    pdstack: true,
    help: 'client connections at once; more are closed as they arrive',
  },
  {
    name: 'client-header-timeout-seconds',
    kind: 'float',
    default: 30,
    pdstack: true,
    help: "time allowed to receive a request's headers (408 after it)",
  },
  {
    name: 'client-body-timeout-seconds',
    kind: 'float',
    default: 300,
    pdstack: true,
    help: 'time allowed to receive a whole request, headers and body (408 after it)',
  },
  {
    name: 'client-idle-timeout-seconds',
    kind: 'float',
    default: 65,
    pdstack: true,
    help: 'a client connection without a request in progress for this long is closed',
  },
  {
    name: 'api-key-for-health-and-metrics',
    kind: 'bool',
    default: false,
    pdstack: true,
    help: 'with VLLM_API_KEY set, /health, /metrics and /version need the key too (default: open for probes and scrapers)',
  },
  {
    name: 'shutdown-grace-seconds',
    kind: 'float',
    default: 30,
    pdstack: true,
    help: 'on SIGTERM, time allowed to in-flight requests before exiting',
  },
];

export type FlagValue = string | number | boolean | undefined;

/** Parsed flags keyed by name; `given` lists the flags present on the command line. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, FlagValue>;
  readonly given: ReadonlySet<string>;
  readonly version: boolean;
  readonly help: boolean;
}

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

function convert(spec: FlagSpec, raw: string): string | number {
  if (spec.kind === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new UsageError(`argument --${spec.name}: invalid int value: '${raw}'`);
    return Number.parseInt(raw, 10);
  }
  if (spec.kind === 'float') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`argument --${spec.name}: invalid float value: '${raw}'`);
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(
      `argument --${spec.name}: invalid choice: '${raw}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`,
    );
  }
  return raw;
}

/** argparse-like parsing: `--flag value`, `--flag=value`, boolean flags without a value. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, FlagValue>();
  const given = new Set<string>();
  for (const f of FLAGS) values.set(f.name, f.default);
  let version = false;
  let help = false;
  const unrecognized: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--version') {
      version = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      unrecognized.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = BY_NAME.get(name) ?? BY_NAME.get(name.replace(/_/g, '-'));
    if (!spec) {
      unrecognized.push(arg);
      continue;
    }
    if (spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`argument --${spec.name}: ignored explicit argument '${arg.slice(eq + 1)}'`);
      values.set(spec.name, true);
      given.add(spec.name);
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`argument --${spec.name}: expected one argument`);
      }
      raw = next;
      i++;
    }
    values.set(spec.name, convert(spec, raw));
    given.add(spec.name);
  }
  if (unrecognized.length > 0 && !version && !help) {
    throw new UsageError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  }
  return { values, given, version, help };
}

export function helpText(prog: string): string {
  const lines = [`usage: ${prog} [options]`, '', 'options:'];
  lines.push('  --version                print the version and exit');
  for (const f of FLAGS) {
    const arg = f.kind === 'bool' ? '' : f.choices ? ` {${f.choices.join(',')}}` : ` ${f.kind.toUpperCase()}`;
    const def = f.default !== undefined && f.kind !== 'bool' ? ` (default: ${JSON.stringify(f.default)})` : '';
    const note = f.unsupported ? ' [not supported by pdstack-router]' : '';
    lines.push(`  --${f.name}${arg}\n      ${f.help}${def}${note}`);
  }
  return lines.join('\n');
}
