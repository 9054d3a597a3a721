/**
 * The router's command line: the one place that owns every flag, its type and its default, and the one parser of it
 * (on commander), used by pdstack-router and by the checks of `routerSpec.extraArgs`, so the two never disagree.
 *
 * Names, types, choices and defaults follow `vllm_router/parsers/parser.py` (production-stack reference §3.2) so that
 * the tutorial command works unchanged. Flags added by pdstack are marked `pdstack: true`. Flags of features that
 * pdstack-router does not implement are marked `unsupported`: accepted by the parser so the message is precise, and
 * rejected at start when they are actually used.
 */

import { Command, CommanderError, Option } from 'commander';
import { didYouMean } from './did-you-mean.js';
import { OTLP_HTTP_TRACES_PATH, otlpEndpoint } from './otlp-endpoint.js';
import { isPdLogic, PD_ROUTING_LOGICS, ROUTING_LOGICS } from './routing-logic.js';
import { UsageError } from './usage-error.js';

export type FlagKind = 'string' | 'int' | 'float' | 'bool';

interface FlagDef {
  readonly kind: FlagKind;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** The values a number may take: `positive` (> 0), `nonNegative` (>= 0) or an inclusive [min, max]. */
  readonly range?: 'positive' | 'nonNegative' | readonly [number, number];
  readonly help: string;
  /** Set when the feature behind this flag is not built: the reason printed when the flag is used. */
  readonly unsupported?: string;
  /** Added by pdstack (not a vllm_router flag). */
  readonly pdstack?: boolean;
}

export interface FlagSpec extends FlagDef {
  readonly name: FlagName;
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

/** The label of a static backend whose `--static-model-labels` item is empty or missing. */
export const DEFAULT_MODEL_LABEL = 'default';

/** The longest drain on SIGTERM `--shutdown-grace-seconds` allows (the pod's grace period is derived from it). */
export const MAX_SHUTDOWN_GRACE_SECONDS = 3600;

/** `--otel-service-name`'s default, also the chart's for an empty `routerSpec.otel.serviceName` (as production-stack's). */
export const DEFAULT_OTEL_SERVICE_NAME = 'vllm-router';

const SEMANTIC = 'the semantic cache';
const BATCH = 'the batch and files API';
const KVAWARE = 'kvaware routing (LMCache controller)';

const TABLE = {
  host: { kind: 'string', default: '0.0.0.0', help: 'address to listen on' },
  port: { kind: 'int', range: [0, 65535], default: 8001, help: 'port to listen on (0 = any free port)' },
  'root-path': { kind: 'string', default: '', help: 'path prefix stripped from incoming URLs (behind a proxy)' },
  'service-discovery': {
    kind: 'string',
    choices: ['static', 'k8s', 'external-only'],
    help: 'service discovery type',
  },
  'k8s-service-discovery-type': {
    kind: 'string',
    default: 'pod-ip',
    choices: ['pod-ip', 'service-name'],
    help: 'discover pods by IP or Services by name',
  },
  'static-backends': { kind: 'string', help: 'comma-separated engine URLs' },
  'static-models': { kind: 'string', help: 'comma-separated model names, one per backend' },
  'static-aliases': { kind: 'string', help: 'comma-separated alias:model pairs' },
  'static-model-types': {
    kind: 'string',
    help: `comma-separated model types, one per backend (${STATIC_MODEL_TYPES.join(', ')})`,
  },
  'static-model-labels': {
    kind: 'string',
    help: `comma-separated model labels, one per backend (an empty one is "${DEFAULT_MODEL_LABEL}")`,
  },
  'static-backend-health-checks': {
    kind: 'bool',
    default: false,
    help: 'send a tiny inference request to each backend periodically and hide failing ones',
  },
  'static-backend-health-check-interval': {
    kind: 'int',
    range: 'positive',
    default: 60,
    help: 'seconds between static backend health checks',
  },
  'static-backend-health-check-timeout-seconds': {
    kind: 'int',
    range: 'positive',
    default: 10,
    help: 'timeout of one static backend health check',
  },
  'k8s-port': { kind: 'int', default: 8000, help: 'engine port used in discovered URLs' },
  'k8s-namespace': { kind: 'string', default: 'default', help: 'namespace watched by k8s discovery' },
  'k8s-label-selector': { kind: 'string', default: '', help: 'label selector of k8s discovery' },
  'k8s-watcher-timeout-seconds': {
    kind: 'int',
    range: 'nonNegative',
    default: 0,
    help: 'timeout of each watch request (0 = server default)',
  },
  'k8s-api-loss-threshold-seconds': {
    kind: 'int',
    range: 'positive',
    default: 60,
    pdstack: true,
    help: '/health turns unhealthy after the API server has been unreachable this long',
  },
  'backend-health-check-timeout-seconds': {
    kind: 'int',
    range: 'positive',
    default: 10,
    help: 'timeout of engine /v1/models calls in k8s discovery',
  },
  'routing-logic': { kind: 'string', choices: ROUTING_LOGICS, help: 'routing logic' },
  'lmcache-controller-port': { kind: 'int', default: 9000, unsupported: KVAWARE, help: 'kvaware only' },
  'lmcache-controller-reply-port': { kind: 'int', unsupported: KVAWARE, help: 'kvaware only' },
  'lmcache-controller-heartbeat-port': { kind: 'int', unsupported: KVAWARE, help: 'kvaware only' },
  'session-key': {
    kind: 'string',
    help: 'header name or body field that identifies a session (session routing)',
  },
  callbacks: { kind: 'string', unsupported: 'Python callbacks', help: 'not supported' },
  'request-rewriter': { kind: 'string', default: 'noop', choices: ['noop'], help: 'request rewriter' },
  'enable-batch-api': { kind: 'bool', default: false, unsupported: BATCH, help: 'not supported' },
  'file-storage-class': {
    kind: 'string',
    default: 'local_file',
    choices: ['local_file'],
    unsupported: BATCH,
    help: 'not supported',
  },
  'file-storage-path': { kind: 'string', default: '/tmp/vllm_files', unsupported: BATCH, help: 'not supported' },
  'batch-processor': {
    kind: 'string',
    default: 'local',
    choices: ['local'],
    unsupported: BATCH,
    help: 'not supported',
  },
  'engine-stats-interval': {
    kind: 'int',
    range: 'positive',
    default: 30,
    help: 'seconds between engine /metrics scrapes',
  },
  'engine-stats-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 5,
    pdstack: true,
    help: 'timeout of one engine /metrics scrape',
  },
  'engine-stats-failure-threshold': {
    kind: 'int',
    range: 'positive',
    default: 3,
    pdstack: true,
    help: 'consecutive failed scrapes after which roundrobin/session/P/D skip an engine',
  },
  'request-stats-window': {
    kind: 'int',
    range: 'positive',
    default: 60,
    help: 'sliding window of request stats (seconds)',
  },
  'log-stats': { kind: 'bool', default: false, help: 'log engine and request stats periodically' },
  'log-stats-interval': { kind: 'int', range: 'positive', default: 10, help: 'seconds between stats logs' },
  'dynamic-config-yaml': { kind: 'string', unsupported: 'dynamic configuration', help: 'not supported' },
  'dynamic-config-json': { kind: 'string', unsupported: 'dynamic configuration', help: 'not supported' },
  'semantic-cache-model': {
    kind: 'string',
    default: 'all-MiniLM-L6-v2',
    unsupported: SEMANTIC,
    help: 'not supported',
  },
  'semantic-cache-dir': {
    kind: 'string',
    default: 'semantic_cache',
    unsupported: SEMANTIC,
    help: 'not supported',
  },
  'semantic-cache-threshold': { kind: 'float', default: 0.95, unsupported: SEMANTIC, help: 'not supported' },
  'feature-gates': {
    kind: 'string',
    default: '',
    help: 'Name=true,... (SemanticCache and PIIDetection are not supported)',
  },
  'log-level': { kind: 'string', default: 'info', choices: LOG_LEVELS, help: 'log level' },
  'log-format': { kind: 'string', default: 'text', choices: ['text', 'json'], help: 'log format' },
  'sentry-dsn': { kind: 'string', unsupported: 'Sentry reporting', help: 'not supported' },
  'sentry-traces-sample-rate': {
    kind: 'float',
    range: [0, 1],
    default: 0.1,
    help: 'accepted for compatibility, in [0, 1]',
  },
  'sentry-profile-session-sample-rate': {
    kind: 'float',
    range: [0, 1],
    default: 1.0,
    help: 'accepted for compatibility, in [0, 1]',
  },
  'otel-endpoint': {
    kind: 'string',
    help: `export traces over OTLP/gRPC to host:port (port 4317 if none), or over OTLP/HTTP to http(s)://host:port${OTLP_HTTP_TRACES_PATH}; empty or unset: no tracing`,
  },
  'otel-service-name': {
    kind: 'string',
    default: DEFAULT_OTEL_SERVICE_NAME,
    help: 'service.name of the exported traces',
  },
  'otel-secure': {
    kind: 'bool',
    default: false,
    help: 'TLS to an OTLP/gRPC endpoint (https:// endpoints always use TLS)',
  },
  'prefill-model-labels': { kind: 'string', help: 'comma-separated labels of prefill engines' },
  'decode-model-labels': { kind: 'string', help: 'comma-separated labels of decode engines' },
  'kv-aware-threshold': { kind: 'int', default: 2000, unsupported: KVAWARE, help: 'kvaware only' },
  'prefix-min-match-length': {
    kind: 'int',
    range: 'nonNegative',
    default: 0,
    help: 'prefixaware: characters of prefix match below which QPS routing is used',
  },
  'prefix-cache-max-entries': {
    kind: 'int',
    range: 'positive',
    default: 100000,
    pdstack: true,
    help: 'prefixaware: LRU cap on remembered 128-character prefix chunks',
  },
  'max-instance-failover-reroute-attempts': {
    kind: 'int',
    range: 'nonNegative',
    default: 0,
    help: 'extra attempts on another engine when one cannot be reached',
  },
  'pd-fallback': {
    kind: 'string',
    default: 'decode',
    choices: ['decode', 'error'],
    pdstack: true,
    help: 'P/D: when no prefill engine can serve (none, unreachable, 5xx after one retry), a decode engine serves the whole request (decode) or the client gets the error (error)',
  },
  'pd-min-prompt-tokens': {
    kind: 'int',
    range: 'nonNegative',
    default: 0,
    pdstack: true,
    help: 'P/D: a prompt of fewer tokens (an upper bound counted without a tokenizer) is served by a decode engine alone (0: every prompt is disaggregated)',
  },
  'pd-dispatch': {
    kind: 'string',
    default: 'serial',
    choices: ['serial', 'concurrent'],
    pdstack: true,
    help: "P/D orchestrated: send decode once prefill answered (serial), or both legs at once for vLLM's NixlPushConnector (concurrent)",
  },
  'pd-max-prefill-queue': {
    kind: 'int',
    range: 'nonNegative',
    pdstack: true,
    help: 'P/D: when every prefill engine reports more waiting requests (vllm:num_requests_waiting), a decode engine serves the request alone (default: off)',
  },
  'lmcache-health-check-interval': { kind: 'int', default: 5, unsupported: KVAWARE, help: 'kvaware only' },
  'lmcache-worker-timeout': { kind: 'int', default: 30, unsupported: KVAWARE, help: 'kvaware only' },
  'external-providers-config': { kind: 'string', unsupported: 'external providers', help: 'not supported' },
  'upstream-connect-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 10,
    pdstack: true,
    help: 'timeout to connect to an engine',
  },
  'upstream-first-byte-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 600,
    pdstack: true,
    help: 'timeout until an engine sends its response headers',
  },
  'max-request-body-bytes': {
    kind: 'int',
    range: 'positive',
    default: 33554432,
    pdstack: true,
    help: 'larger request bodies are rejected with 413',
  },
  'max-buffered-bytes': {
    kind: 'int',
    range: 'positive',
    default: 100663296,
    pdstack: true,
    help: 'request bodies and engine answers held whole, all requests together; past it new requests get 503',
  },
  'max-upstream-body-bytes': {
    kind: 'int',
    range: 'positive',
    default: 2097152,
    pdstack: true,
    help: 'longest engine answer read whole (prefill answers, error bodies, sleep answers, /metrics, /v1/models)',
  },
  'max-connections': {
    kind: 'int',
    range: 'positive',
    default: 1024,
    pdstack: true,
    help: 'client connections at once; more are closed as they arrive',
  },
  'client-header-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 30,
    pdstack: true,
    help: "time allowed to receive a request's headers (408 after it)",
  },
  'client-body-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 300,
    pdstack: true,
    help: 'time allowed to receive a whole request, headers and body (408 after it)',
  },
  'client-idle-timeout-seconds': {
    kind: 'float',
    range: 'positive',
    default: 65,
    pdstack: true,
    help: 'a client connection without a request in progress for this long is closed',
  },
  'api-key-for-health-and-metrics': {
    kind: 'bool',
    default: false,
    pdstack: true,
    help: 'with VLLM_API_KEY set, /health, /metrics and /version need the key too (default: open for probes and scrapers)',
  },
  'shutdown-grace-seconds': {
    kind: 'float',
    range: [0, MAX_SHUTDOWN_GRACE_SECONDS],
    default: 30,
    pdstack: true,
    help: 'on SIGTERM, time allowed to in-flight requests before exiting',
  },
} as const satisfies Record<string, FlagDef>;

type Table = typeof TABLE;
export type FlagName = keyof Table;

/** The flags of the table in order, each with its name. */
export const FLAGS: readonly FlagSpec[] = Object.entries(TABLE).map(([name, def]) => ({
  name: name as FlagName,
  ...def,
}));

/** `k8s-api-loss-threshold-seconds` → `k8sApiLossThresholdSeconds` (commander's attribute names). */
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Value<F> = F extends { readonly kind: 'bool' }
  ? boolean
  : F extends { readonly kind: 'int' | 'float' }
    ? number
    : F extends { readonly choices: readonly (infer C)[] }
      ? C
      : string;
type Parsed<F> = F extends { readonly default: unknown } ? Value<F> : Value<F> | undefined;

/** The router's flags, typed from the table: a flag without a default is `undefined` when not given. */
export type RouterArgs = { readonly [K in FlagName as Camel<K>]: Parsed<Table[K]> };

/** A parsed command line: the flags, the ones given, and where each given flag's value is in argv. */
export interface RouterArgv {
  readonly action: 'run';
  readonly args: RouterArgs;
  readonly given: ReadonlySet<FlagName>;
  /** Index in argv of the item holding each given flag's last value (the flag itself for a switch). */
  readonly positions: ReadonlyMap<FlagName, number>;
}

export type RouterCommandLine =
  RouterArgv | { readonly action: 'help'; readonly text: string } | { readonly action: 'version' };

/** A wrong router command line, with the index in argv of the item at fault. */
export class RouterArgError extends UsageError {
  constructor(
    message: string,
    readonly index: number,
    /** Set when the flag at `index` has no value. */
    readonly missingValueOf?: FlagName,
  ) {
    super(message);
  }
}

const BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.name, f]));

function convert(spec: FlagSpec, raw: string, index: number): string | number {
  const fail = (what: string) => new RouterArgError(`argument --${spec.name}: ${what}`, index);
  if (spec.kind === 'int' || spec.kind === 'float') {
    const n = spec.kind === 'int' ? Number.parseInt(raw, 10) : Number(raw);
    const valid = spec.kind === 'int' ? /^\s*[-+]?\d+\s*$/.test(raw) : raw.trim() !== '' && Number.isFinite(n);
    if (!valid) throw fail(`invalid ${spec.kind} value: '${raw}'`);
    const problem = spec.range && rangeProblem(spec.range, n);
    if (problem) throw fail(`${problem} (got ${raw.trim()})`);
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw fail(`invalid choice: '${raw}' (choose from ${spec.choices.map((c) => `'${c}'`).join(', ')})`);
  }
  return raw;
}

function rangeProblem(range: NonNullable<FlagDef['range']>, n: number): string | undefined {
  if (range === 'positive') return n > 0 ? undefined : 'must be greater than 0';
  if (range === 'nonNegative') return n >= 0 ? undefined : 'must not be negative';
  const [min, max] = range;
  return n >= min && n <= max ? undefined : `must be between ${min} and ${max}`;
}

/** Rules between two flags: the first must not be larger than the second (the second includes or holds the first). */
const NOT_LARGER_THAN: readonly (readonly [FlagName, FlagName, string])[] = [
  ['max-request-body-bytes', 'max-buffered-bytes', ''],
  ['client-header-timeout-seconds', 'client-body-timeout-seconds', ' (which includes the headers)'],
];

function checkPairs(args: RouterArgs, positions: ReadonlyMap<FlagName, number>): void {
  const value = (name: FlagName) => (args as unknown as Record<string, number>)[camel(name)]!;
  for (const [small, large, why] of NOT_LARGER_THAN) {
    if (value(small) <= value(large)) continue;
    throw new RouterArgError(
      `argument --${small}: must not be larger than --${large}${why} (${value(small)} > ${value(large)})`,
      Math.max(positions.get(small) ?? -1, positions.get(large) ?? -1),
    );
  }
}

/** `--otel-endpoint` (with `--otel-secure`) names an OTLP endpoint (otlp-endpoint.ts); with one, a service name. */
function checkOtel(args: RouterArgs, positions: ReadonlyMap<FlagName, number>): void {
  if (!args.otelEndpoint) return;
  const endpoint = otlpEndpoint(args.otelEndpoint, args.otelSecure);
  if (typeof endpoint === 'string') {
    throw new RouterArgError(`argument --otel-endpoint: ${endpoint}`, positions.get('otel-endpoint')!);
  }
  if (args.otelServiceName === '') {
    throw new RouterArgError('argument --otel-service-name: must not be empty', positions.get('otel-service-name')!);
  }
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** vllm_router (argparse) also takes `--static_models`: the underscore spelling of a known flag, as its dash spelling. */
function dashed(arg: string): string {
  if (!arg.startsWith('--') || !arg.includes('_')) return arg;
  const eq = arg.indexOf('=');
  const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/_/g, '-');
  return BY_NAME.has(name) ? `--${name}${eq >= 0 ? arg.slice(eq) : ''}` : arg;
}

function helpOf(spec: FlagSpec): string {
  return spec.unsupported ? `${spec.help} [not supported by pdstack-router]` : spec.help;
}

/**
 * Parses the router's command line as vllm_router does (`--flag value`, `--flag=value`, switches without a value,
 * underscore spellings). Throws a RouterArgError for a wrong one; `--help` and `--version` win over unknown flags.
 */
export function parseRouterArgv(argv: readonly string[], prog = 'pdstack-router'): RouterCommandLine {
  const items = argv.map(dashed);
  const given = new Set<FlagName>();
  const positions = new Map<FlagName, number>();
  const consumed = new Set<number>();
  let cursor = 0;
  let help = '';
  const command = new Command(prog)
    .description('drop-in for vllm_router (python3 -m vllm_router.app): takes its flags')
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined, outputError: () => undefined });
  command.addOption(new Option('--version', 'print the version and exit'));
  /** Records where the flag's value is: commander reads argv in order, so the next unconsumed `--flag` is it. */
  const locate = (spec: FlagSpec, value: string | undefined): number => {
    const flag = `--${spec.name}`;
    let j = cursor;
    while (j < items.length && items[j] !== flag && !items[j]!.startsWith(`${flag}=`)) j++;
    consumed.add(j);
    let at = j;
    if (items[j] === flag && value !== undefined) {
      if (value.startsWith('--') && value.length > 2)
        throw new RouterArgError(`argument ${flag}: expected one argument`, j, spec.name);
      at = j + 1;
      consumed.add(at);
    }
    cursor = at + 1;
    given.add(spec.name);
    positions.set(spec.name, at);
    return at;
  };
  for (const spec of FLAGS) {
    const flag = `--${spec.name}`;
    const option = new Option(spec.kind === 'bool' ? flag : `${flag} <${spec.kind}>`, helpOf(spec));
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.choices) option.choices(spec.choices); // listed by --help; checked by convert()
    if (spec.kind === 'bool') command.on(`option:${spec.name}`, () => locate(spec, undefined));
    else option.argParser((raw: string) => convert(spec, raw, locate(spec, raw))); // called in argv order
    command.addOption(option);
  }
  try {
    command.parse(items, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed') return { action: 'help', text: help };
    if (e.code === 'commander.optionMissingArgument') {
      const name = /'--([^ ']+)/.exec(e.message)?.[1] as FlagName;
      throw new RouterArgError(`argument --${name}: expected one argument`, items.length - 1, name);
    }
    throw new RouterArgError(e.message.replace(/^error: /, '').replace(/\n/g, ' '), cursor);
  }
  const opts = command.opts();
  if (opts['version'] === true) return { action: 'version' };
  const unknown = items.map((item, i) => ({ item, i })).filter(({ i }) => !consumed.has(i));
  if (unknown.length > 0) {
    const first = unknown[0]!;
    const bool = /^--([^=]+)=(.*)$/.exec(first.item);
    if (bool && BY_NAME.get(bool[1]!)?.kind === 'bool')
      throw new RouterArgError(`argument --${bool[1]}: ignored explicit argument '${bool[2]}'`, first.i);
    const flag = unknown.find(({ item }) => item.startsWith('--'));
    const near =
      flag &&
      didYouMean(
        flag.item.replace(/=.*/, ''),
        FLAGS.map((f) => `--${f.name}`),
      );
    throw new RouterArgError(
      `unrecognized arguments: ${unknown.map(({ item }) => item).join(' ')}${near ? ` (did you mean ${near}?)` : ''}`,
      first.i,
    );
  }
  checkPairs(opts as RouterArgs, positions);
  checkOtel(opts as RouterArgs, positions);
  return { action: 'run', args: opts as RouterArgs, given, positions };
}

/**
 * The `--pd-*` flags given with a routing logic they do not apply to (they would silently do nothing, or, for
 * `--pd-dispatch concurrent`, send decode legs without the push-mode parameters): the flag and why. Read by the
 * router at start and by the checks of `routerSpec.extraArgs` against `routerSpec.routingLogic`.
 */
export function pdFlagProblem(
  { args, given }: Pick<RouterArgv, 'args' | 'given'>,
  routingLogic: string,
): { readonly flag: FlagName; readonly message: string } | undefined {
  const pdFlag = FLAGS.find((f) => f.name.startsWith('pd-') && given.has(f.name));
  if (pdFlag && !isPdLogic(routingLogic))
    return {
      flag: pdFlag.name,
      message: `--${pdFlag.name} applies to the P/D routing logics only (${PD_ROUTING_LOGICS.join(', ')}), not ${routingLogic}`,
    };
  if (args.pdDispatch === 'concurrent' && routingLogic !== 'disaggregated_prefill_orchestrated')
    return {
      flag: 'pd-dispatch',
      message:
        "--pd-dispatch concurrent needs --routing-logic disaggregated_prefill_orchestrated (the decode leg carries vLLM's push-mode kv_transfer_params)",
    };
  return undefined;
}
