/**
 * Typed router configuration built from the parsed flags, with the validation of `validate_args` (reference §3.2)
 * plus pdstack's own checks (well-formed URLs, list lengths) and the rejection of unsupported features.
 */
import { commaList } from '../../schema/facts/comma-list.js';
import { FLAGS, type FlagValue, type ParsedFlags, STATIC_MODEL_TYPES } from '../../schema/facts/router-flags.js';
import { isPdLogic, type RoutingLogic } from '../../schema/facts/routing-logic.js';
import { UsageError } from '../../schema/facts/usage-error.js';
import type { K8sDiscoveryOptions } from '../discovery/types.js';

/** The logics pdstack-router runs (kvaware is rejected at start). */
export type RoutingLogicName = Exclude<RoutingLogic, 'kvaware'>;

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
  readonly routingLogic: RoutingLogicName;
  readonly sessionKey?: string;
  readonly prefillLabels: readonly string[];
  readonly decodeLabels: readonly string[];
  readonly prefixMinMatchLength: number;
  readonly prefixCacheMaxEntries: number;
  readonly failoverAttempts: number;
  readonly engineStatsIntervalSeconds: number;
  readonly engineStatsTimeoutSeconds: number;
  readonly engineStatsFailureThreshold: number;
  readonly requestStatsWindowSeconds: number;
  readonly logStats: boolean;
  readonly logStatsIntervalSeconds: number;
  readonly logLevel: string;
  readonly logFormat: 'text' | 'json';
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
}

function list(value: FlagValue): string[] {
  return commaList(typeof value === 'string' ? value : undefined);
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

function rejectUnsupported(flags: ParsedFlags): void {
  for (const spec of FLAGS) {
    if (spec.unsupported && flags.given.has(spec.name)) {
      throw new UsageError(`--${spec.name}: ${spec.unsupported} is not supported by pdstack-router`);
    }
  }
  for (const gate of list(flags.values.get('feature-gates'))) {
    const [name, value] = gate.split('=');
    if (value?.toLowerCase() === 'true') {
      throw new UsageError(`--feature-gates: feature ${name} is not supported by pdstack-router`);
    }
  }
  if (flags.values.get('routing-logic') === 'kvaware') {
    throw new UsageError(
      '--routing-logic kvaware: kvaware routing (LMCache controller) is not supported by pdstack-router',
    );
  }
  if (flags.values.get('service-discovery') === 'external-only') {
    throw new UsageError('--service-discovery external-only: external providers are not supported by pdstack-router');
  }
}

function positive(flags: ParsedFlags, name: string): number {
  const v = flags.values.get(name) as number;
  if (!(v > 0)) throw new UsageError(`--${name} must be greater than 0 (got ${v})`);
  return v;
}

function nonNegative(flags: ParsedFlags, name: string): number {
  const v = flags.values.get(name) as number;
  if (v < 0) throw new UsageError(`--${name} must not be negative (got ${v})`);
  return v;
}

function parseAliases(value: FlagValue): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const pair of list(value)) {
    const idx = pair.indexOf(':');
    if (idx <= 0 || idx === pair.length - 1) {
      throw new UsageError(`--static-aliases: expected alias:model, got '${pair}'`);
    }
    aliases.set(pair.slice(0, idx), pair.slice(idx + 1));
  }
  return aliases;
}

function staticOptions(flags: ParsedFlags, aliases: Map<string, string>): StaticDiscoveryOptions {
  const urls = list(flags.values.get('static-backends'));
  const models = list(flags.values.get('static-models'));
  if (urls.length === 0) throw new UsageError('--static-backends is required with --service-discovery static');
  if (models.length === 0) throw new UsageError('--static-models is required with --service-discovery static');
  if (urls.length !== models.length) {
    throw new UsageError(
      `--static-models must list one model per backend (${urls.length} backends, ${models.length} models)`,
    );
  }
  const labels = list(flags.values.get('static-model-labels'));
  if (labels.length > 0 && labels.length !== urls.length) {
    throw new UsageError(
      `--static-model-labels must list one label per backend (${urls.length} backends, ${labels.length} labels)`,
    );
  }
  const types = list(flags.values.get('static-model-types'));
  const healthChecks = flags.values.get('static-backend-health-checks') === true;
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
      label: labels[i] || 'default',
      ...(types[i] ? { modelType: types[i] } : {}),
    })),
    aliases,
    healthChecks,
    healthCheckIntervalSeconds: positive(flags, 'static-backend-health-check-interval'),
    healthCheckTimeoutSeconds: positive(flags, 'static-backend-health-check-timeout-seconds'),
  };
}

export function buildConfig(flags: ParsedFlags, env: NodeJS.ProcessEnv): RouterConfig {
  rejectUnsupported(flags);
  const v = flags.values;
  const routingLogic = v.get('routing-logic') as RoutingLogicName | undefined;
  if (!routingLogic) throw new UsageError('--routing-logic is required');
  const sd = v.get('service-discovery');
  if (!sd) throw new UsageError('--service-discovery is required');
  const port = v.get('port') as number;
  if (port < 0 || port > 65535) throw new UsageError(`--port must be between 0 and 65535 (got ${port})`);
  for (const rate of ['sentry-traces-sample-rate', 'sentry-profile-session-sample-rate']) {
    const r = v.get(rate) as number;
    if (r < 0 || r > 1) throw new UsageError(`--${rate} must be between 0 and 1 (got ${r})`);
  }
  const sessionKey = v.get('session-key') as string | undefined;
  if (routingLogic === 'session' && !sessionKey)
    throw new UsageError('--session-key is required with --routing-logic session');
  const prefillLabels = commaList(v.get('prefill-model-labels') as string | undefined, { skipEmpty: true });
  const decodeLabels = commaList(v.get('decode-model-labels') as string | undefined, { skipEmpty: true });
  if (isPdLogic(routingLogic) && (prefillLabels.length === 0 || decodeLabels.length === 0)) {
    throw new UsageError(
      `--prefill-model-labels and --decode-model-labels are required with --routing-logic ${routingLogic}`,
    );
  }
  const aliases = parseAliases(v.get('static-aliases'));
  const engineApiKey = env.VLLM_API_KEY || undefined;
  const discovery: RouterConfig['discovery'] =
    sd === 'static'
      ? { kind: 'static', options: staticOptions(flags, aliases) }
      : {
          kind: 'k8s',
          options: {
            namespace: v.get('k8s-namespace') as string,
            port: v.get('k8s-port') as number,
            labelSelector: v.get('k8s-label-selector') as string,
            type: ((v.get('k8s-service-discovery-type') as string | undefined) ?? 'pod-ip') as
              'pod-ip' | 'service-name',
            watcherTimeoutSeconds: nonNegative(flags, 'k8s-watcher-timeout-seconds'),
            healthCheckTimeoutSeconds: positive(flags, 'backend-health-check-timeout-seconds'),
            ...(engineApiKey ? { apiKey: engineApiKey } : {}),
            apiServerLossThresholdSeconds: positive(flags, 'k8s-api-loss-threshold-seconds'),
            maxBodyBytes: positive(flags, 'max-upstream-body-bytes'),
          },
        };
  const maxRequestBodyBytes = positive(flags, 'max-request-body-bytes');
  const maxBufferedBytes = positive(flags, 'max-buffered-bytes');
  if (maxRequestBodyBytes > maxBufferedBytes) {
    throw new UsageError(
      `--max-request-body-bytes (${maxRequestBodyBytes}) must not be larger than --max-buffered-bytes (${maxBufferedBytes})`,
    );
  }
  const clientHeaderTimeoutMs = positive(flags, 'client-header-timeout-seconds') * 1000;
  const clientBodyTimeoutMs = positive(flags, 'client-body-timeout-seconds') * 1000;
  if (clientHeaderTimeoutMs > clientBodyTimeoutMs) {
    throw new UsageError(
      '--client-header-timeout-seconds must not be larger than --client-body-timeout-seconds (which includes the headers)',
    );
  }
  const rootPath = (v.get('root-path') as string).replace(/\/+$/, '');
  if (rootPath !== '' && !rootPath.startsWith('/'))
    throw new UsageError(`--root-path must start with '/' (got '${rootPath}')`);
  return {
    host: v.get('host') as string,
    port,
    rootPath,
    discovery,
    aliases,
    ...(engineApiKey ? { engineApiKey } : {}),
    apiKeyForHealthAndMetrics: v.get('api-key-for-health-and-metrics') === true,
    routingLogic,
    ...(sessionKey ? { sessionKey } : {}),
    prefillLabels,
    decodeLabels,
    prefixMinMatchLength: nonNegative(flags, 'prefix-min-match-length'),
    prefixCacheMaxEntries: positive(flags, 'prefix-cache-max-entries'),
    failoverAttempts: nonNegative(flags, 'max-instance-failover-reroute-attempts'),
    engineStatsIntervalSeconds: positive(flags, 'engine-stats-interval'),
    engineStatsTimeoutSeconds: positive(flags, 'engine-stats-timeout-seconds'),
    engineStatsFailureThreshold: positive(flags, 'engine-stats-failure-threshold'),
    requestStatsWindowSeconds: positive(flags, 'request-stats-window'),
    logStats: v.get('log-stats') === true,
    logStatsIntervalSeconds:
      flags.values.get('log-stats') === true
        ? positive(flags, 'log-stats-interval')
        : (v.get('log-stats-interval') as number),
    logLevel: v.get('log-level') as string,
    logFormat: v.get('log-format') as 'text' | 'json',
    connectTimeoutMs: positive(flags, 'upstream-connect-timeout-seconds') * 1000,
    firstByteTimeoutMs: positive(flags, 'upstream-first-byte-timeout-seconds') * 1000,
    maxRequestBodyBytes,
    maxBufferedBytes,
    maxUpstreamBodyBytes: positive(flags, 'max-upstream-body-bytes'),
    maxConnections: positive(flags, 'max-connections'),
    clientHeaderTimeoutMs,
    clientBodyTimeoutMs,
    clientIdleTimeoutMs: positive(flags, 'client-idle-timeout-seconds') * 1000,
    shutdownGraceMs: nonNegative(flags, 'shutdown-grace-seconds') * 1000,
  };
}
