/**
 * Typed router configuration built from the parsed flags, with the validation of `validate_args` (reference §3.2)
 * plus pdstack's own checks (well-formed URLs, list lengths) and the rejection of unsupported features.
 */
import { commaList } from '../../schema/facts/comma-list.js';
import {
  DEFAULT_MODEL_LABEL,
  FLAGS,
  type RouterArgs,
  type RouterArgv,
  pdFlagProblem,
  STATIC_MODEL_TYPES,
} from '../../schema/facts/router-flags.js';
import { isPdLogic, type SupportedRoutingLogic } from '../../schema/facts/routing-logic.js';
import { type OtlpEndpoint, otlpEndpoint } from '../../schema/facts/otlp-endpoint.js';
import { UsageError } from '../../schema/facts/usage-error.js';
import type { K8sDiscoveryOptions } from '../discovery/types.js';

export interface StaticBackend {
  readonly url: string;
  readonly model: string;
  readonly label: string;
  readonly modelType?: string;
}

export interface StaticDiscoveryOptions {
  readonly backends: readonly StaticBackend[];
  /** alias → target model. */
  readonly aliases: ReadonlyMap<string, string>;
  readonly healthChecks: boolean;
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckTimeoutSeconds: number;
}

/** `--otel-*`: OpenTelemetry tracing (tracing.ts). */
export interface OtelConfig {
  /** `--otel-endpoint` as given (logged). */
  readonly given: string;
  readonly endpoint: OtlpEndpoint;
  readonly serviceName: string;
}

export interface RouterConfig {
  readonly host: string;
  readonly port: number;
  readonly rootPath: string;
  readonly discovery:
    | { readonly kind: 'static'; readonly options: StaticDiscoveryOptions }
    | { readonly kind: 'k8s'; readonly options: K8sDiscoveryOptions };
  readonly aliases: ReadonlyMap<string, string>;
  /**
   * `VLLM_API_KEY`: the bearer token clients must present (api-key.ts), also sent on the router's own calls to
   * engines (model probes).
   */
  readonly engineApiKey?: string;
  /** `--api-key-for-health-and-metrics`: the key is needed on the probe and scrape paths too. */
  readonly apiKeyForHealthAndMetrics: boolean;
  readonly routingLogic: SupportedRoutingLogic;
  readonly sessionKey?: string;
  readonly prefillLabels: readonly string[];
  readonly decodeLabels: readonly string[];
  /** `--pd-fallback`. */
  readonly pdFallback: RouterArgs['pdFallback'];
  /** `--pd-min-prompt-tokens`. */
  readonly pdMinPromptTokens: number;
  /** `--pd-max-prefill-queue` (undefined: off). */
  readonly pdMaxPrefillQueue?: number;
  /** `--pd-dispatch`. */
  readonly pdDispatch: RouterArgs['pdDispatch'];
  readonly prefixMinMatchLength: number;
  readonly prefixCacheMaxEntries: number;
  readonly failoverAttempts: number;
  readonly engineStatsIntervalSeconds: number;
  readonly engineStatsTimeoutSeconds: number;
  readonly engineStatsFailureThreshold: number;
  readonly requestStatsWindowSeconds: number;
  readonly logStats: boolean;
  readonly logStatsIntervalSeconds: number;
  readonly logLevel: RouterArgs['logLevel'];
  readonly logFormat: RouterArgs['logFormat'];
  readonly connectTimeoutMs: number;
  readonly firstByteTimeoutMs: number;
  readonly maxRequestBodyBytes: number;
  readonly maxBufferedBytes: number;
  readonly maxUpstreamBodyBytes: number;
  readonly maxConnections: number;
  readonly clientHeaderTimeoutMs: number;
  readonly clientBodyTimeoutMs: number;
  readonly clientIdleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Set when `--otel-endpoint` is given and not empty. */
  readonly otel?: OtelConfig;
}

/** The tracing settings (the parser checked the endpoint and the service name). */
function otelConfig(args: RouterArgs): OtelConfig | undefined {
  const given = args.otelEndpoint;
  if (!given) return undefined;
  const endpoint = otlpEndpoint(given, args.otelSecure);
  if (typeof endpoint === 'string') throw new UsageError(`argument --otel-endpoint: ${endpoint}`);
  return { given, endpoint, serviceName: args.otelServiceName };
}

/**
 * A backend URL as the router uses it. Credentials in it (`http://user:pw@host`) are refused: undici would not send
 * them, and the URL names the engine in metrics labels, logs and errors. Messages show a URL with its user part
 * masked, so not even a malformed one is echoed with its password.
 */
function checkUrl(raw: string): string {
  const shown = raw.replace(/\/\/[^/]*@/, '//***@');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--static-backends: invalid URL '${shown}'`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
    throw new UsageError(`--static-backends: invalid URL '${shown}' (expected http(s)://host[:port])`);
  }
  if (u.username !== '' || u.password !== '') {
    throw new UsageError(
      `--static-backends: '${shown}' carries credentials; remove them (the router does not send them, and engines ` +
        'authenticate clients with VLLM_API_KEY)',
    );
  }
  return raw.replace(/\/+$/, '');
}

/** Flags and feature gates of features that pdstack-router does not build. */
function rejectUnsupported({ args, given }: RouterArgv): void {
  for (const spec of FLAGS) {
    if (spec.unsupported && given.has(spec.name)) {
      throw new UsageError(`--${spec.name}: ${spec.unsupported} is not supported by pdstack-router`);
    }
  }
  for (const gate of commaList(args.featureGates)) {
    const [name, value] = gate.split('=');
    if (value?.toLowerCase() === 'true') {
      throw new UsageError(`--feature-gates: feature ${name} is not supported by pdstack-router`);
    }
  }
}

function parseAliases(value: string | undefined): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const pair of commaList(value)) {
    const idx = pair.indexOf(':');
    if (idx <= 0 || idx === pair.length - 1) {
      throw new UsageError(`--static-aliases: expected alias:model, got '${pair}'`);
    }
    aliases.set(pair.slice(0, idx), pair.slice(idx + 1));
  }
  return aliases;
}

function staticOptions(args: RouterArgs, aliases: Map<string, string>): StaticDiscoveryOptions {
  const urls = commaList(args.staticBackends);
  const models = commaList(args.staticModels);
  if (urls.length === 0) throw new UsageError('--static-backends is required with --service-discovery static');
  if (models.length === 0) throw new UsageError('--static-models is required with --service-discovery static');
  if (urls.length !== models.length) {
    throw new UsageError(
      `--static-models must list one model per backend (${urls.length} backends, ${models.length} models)`,
    );
  }
  const labels = commaList(args.staticModelLabels);
  if (labels.length > 0 && labels.length !== urls.length) {
    throw new UsageError(
      `--static-model-labels must list one label per backend (${urls.length} backends, ${labels.length} labels)`,
    );
  }
  const types = commaList(args.staticModelTypes);
  const healthChecks = args.staticBackendHealthChecks;
  if (healthChecks && types.length === 0) {
    throw new UsageError('--static-model-types is required with --static-backend-health-checks');
  }
  if (types.length > 0 && types.length !== urls.length) {
    throw new UsageError(
      `--static-model-types must list one type per backend (${urls.length} backends, ${types.length} types)`,
    );
  }
  for (const t of types) {
    if (!(STATIC_MODEL_TYPES as readonly string[]).includes(t)) {
      throw new UsageError(`--static-model-types: invalid type '${t}' (choose from ${STATIC_MODEL_TYPES.join(', ')})`);
    }
  }
  return {
    backends: urls.map((u, i) => ({
      url: checkUrl(u),
      model: models[i]!,
      label: labels[i] || DEFAULT_MODEL_LABEL,
      ...(types[i] ? { modelType: types[i] } : {}),
    })),
    aliases,
    healthChecks,
    healthCheckIntervalSeconds: args.staticBackendHealthCheckInterval,
    healthCheckTimeoutSeconds: args.staticBackendHealthCheckTimeoutSeconds,
  };
}

export function buildConfig(argv: RouterArgv, env: NodeJS.ProcessEnv): RouterConfig {
  rejectUnsupported(argv);
  const a = argv.args;
  const { routingLogic, serviceDiscovery: sd } = a;
  if (routingLogic === 'kvaware') {
    throw new UsageError(
      '--routing-logic kvaware: kvaware routing (LMCache controller) is not supported by pdstack-router',
    );
  }
  if (sd === 'external-only') {
    throw new UsageError('--service-discovery external-only: external providers are not supported by pdstack-router');
  }
  if (!routingLogic) throw new UsageError('--routing-logic is required');
  if (!sd) throw new UsageError('--service-discovery is required');
  const sessionKey = a.sessionKey;
  if (routingLogic === 'session' && !sessionKey)
    throw new UsageError('--session-key is required with --routing-logic session');
  const prefillLabels = commaList(a.prefillModelLabels, { skipEmpty: true });
  const decodeLabels = commaList(a.decodeModelLabels, { skipEmpty: true });
  if (isPdLogic(routingLogic) && (prefillLabels.length === 0 || decodeLabels.length === 0)) {
    throw new UsageError(
      `--prefill-model-labels and --decode-model-labels are required with --routing-logic ${routingLogic}`,
    );
  }
  const pdProblem = pdFlagProblem(argv, routingLogic);
  if (pdProblem) throw new UsageError(pdProblem.message);
  const aliases = parseAliases(a.staticAliases);
  const engineApiKey = env.VLLM_API_KEY || undefined;
  const discovery: RouterConfig['discovery'] =
    sd === 'static'
      ? { kind: 'static', options: staticOptions(a, aliases) }
      : {
          kind: 'k8s',
          options: {
            namespace: a.k8sNamespace,
            port: a.k8sPort,
            labelSelector: a.k8sLabelSelector,
            type: a.k8sServiceDiscoveryType,
            watcherTimeoutSeconds: a.k8sWatcherTimeoutSeconds,
            healthCheckTimeoutSeconds: a.backendHealthCheckTimeoutSeconds,
            ...(engineApiKey ? { apiKey: engineApiKey } : {}),
            apiServerLossThresholdSeconds: a.k8sApiLossThresholdSeconds,
            maxBodyBytes: a.maxUpstreamBodyBytes,
          },
        };
  const otel = otelConfig(a);
  const rootPath = a.rootPath.replace(/\/+$/, '');
  if (rootPath !== '' && !rootPath.startsWith('/'))
    throw new UsageError(`--root-path must start with '/' (got '${rootPath}')`);
  return {
    host: a.host,
    port: a.port,
    rootPath,
    discovery,
    aliases,
    ...(engineApiKey ? { engineApiKey } : {}),
    apiKeyForHealthAndMetrics: a.apiKeyForHealthAndMetrics,
    routingLogic,
    ...(sessionKey ? { sessionKey } : {}),
    prefillLabels,
    decodeLabels,
    pdFallback: a.pdFallback,
    pdMinPromptTokens: a.pdMinPromptTokens,
    pdDispatch: a.pdDispatch,
    ...(a.pdMaxPrefillQueue !== undefined ? { pdMaxPrefillQueue: a.pdMaxPrefillQueue } : {}),
    prefixMinMatchLength: a.prefixMinMatchLength,
    prefixCacheMaxEntries: a.prefixCacheMaxEntries,
    failoverAttempts: a.maxInstanceFailoverRerouteAttempts,
    engineStatsIntervalSeconds: a.engineStatsInterval,
    engineStatsTimeoutSeconds: a.engineStatsTimeoutSeconds,
    engineStatsFailureThreshold: a.engineStatsFailureThreshold,
    requestStatsWindowSeconds: a.requestStatsWindow,
    logStats: a.logStats,
    logStatsIntervalSeconds: a.logStatsInterval,
    logLevel: a.logLevel,
    logFormat: a.logFormat,
    connectTimeoutMs: a.upstreamConnectTimeoutSeconds * 1000,
    firstByteTimeoutMs: a.upstreamFirstByteTimeoutSeconds * 1000,
    maxRequestBodyBytes: a.maxRequestBodyBytes,
    maxBufferedBytes: a.maxBufferedBytes,
    maxUpstreamBodyBytes: a.maxUpstreamBodyBytes,
    maxConnections: a.maxConnections,
    clientHeaderTimeoutMs: a.clientHeaderTimeoutSeconds * 1000,
    clientBodyTimeoutMs: a.clientBodyTimeoutSeconds * 1000,
    clientIdleTimeoutMs: a.clientIdleTimeoutSeconds * 1000,
    shutdownGraceMs: a.shutdownGraceSeconds * 1000,
    ...(otel ? { otel } : {}),
  };
}
