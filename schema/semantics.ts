/**
 * Checks of meaning: what the schema cannot say about a values document that passed it (defaults filled in).
 * Names, ports, label keys and the P/D-engine predicate come from `schema/facts/`, as in the constructs, so these
 * checks and the rendered manifests agree.
 */
import { closest } from 'fastest-levenshtein';
import type { Diagnostic, Severity } from './diagnostics.js';
import { commaList } from './facts/comma-list.js';
import { didYouMean } from './facts/did-you-mean.js';
import {
  endpointPickerServiceNameMessage,
  engineServiceNameMessage,
  isDnsLabel,
  namespaceMessage,
  releaseNameMessage,
} from './facts/dns-label.js';
import {
  containerGpus,
  lmcacheProblems,
  rayProblems,
  resourceProblems,
  type RuleProblem,
  vllmConfigProblems,
} from './facts/engine-rules.js';
import { isRayModel, rayClusterNameMessage } from './facts/ray.js';
import { MODEL_LABEL } from './facts/labels.js';
import { CACHE_SERVER_PORT_ENV } from './facts/lmcache.js';
import { cacheServerServiceName, engineServiceName } from './facts/names.js';
import { isPdEngine, type NixlRole } from './facts/pd-engine.js';
import { getsInferencePool, rayModelPoolMessage } from './facts/inference-pool.js';
import { UCX_PORT, ZMQ_PORT } from './facts/ports.js';
import { otlpEndpoint } from './facts/otlp-endpoint.js';
import { durationMs } from './facts/prometheus.js';
import {
  FLAGS,
  parseRouterArgv,
  pdFlagProblem,
  RouterArgError,
  type RouterArgv,
  type RouterCommandLine,
} from './facts/router-flags.js';
import { holdsOtherTemplate } from './facts/release-template.js';
import { HTTP_ROUTE_API_VERSIONS, isHttpRouteApiVersion, REFUSED_ROUTE_KINDS } from './facts/route-kinds.js';
import { isPdLogic } from './facts/routing-logic.js';
import {
  PRODUCTION_STACK_ROUTER_LIMITS,
  PRODUCTION_STACK_ROUTER_REPOSITORIES,
  PRODUCTION_STACK_TAGS_WITHOUT_K8S_DISCOVERY_TYPE,
} from './facts/router-image.js';
import { extraObjects } from './extra-objects.js';
import { checkLora } from './lora.js';
import { preflightConnector, preflightPair, preflightSharedGpus, type Report } from './preflight.js';
import { renderedModels, routerEnabled } from './rendered.js';
import { ROUTER_IMAGE } from './schema.js';
import { formatPath, type Locate, type Path, type PathSegment } from './source.js';
import type {
  Keda,
  ModelSpec,
  PdstackValues,
  RouterSpec,
  ServiceMonitor,
  ServingEngineSpec,
  SharedPvcStorage,
} from './values.generated.js';

export interface SemanticContext {
  readonly file: string;
  readonly release: string;
  readonly namespace: string;
  readonly locate: Locate;
}

/** The ports of every engine Service: the service port, the fixed ZMQ and UCX ports, and `extraPorts`. */
function enginePorts(spec: ServingEngineSpec): number[] {
  const extra = (spec.extraPorts ?? []).map((p) => Number(p['port'])).filter((p) => Number.isInteger(p));
  return [spec.servicePort!, ZMQ_PORT, UCX_PORT, ...extra];
}

interface Engine {
  readonly index: number;
  readonly spec: ModelSpec;
  readonly path: Path;
  readonly service: string;
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly ctx: SemanticContext) {}

  report(severity: Severity, path: Path, message: string): void {
    this.diagnostics.push({ file: this.ctx.file, ...this.ctx.locate(path), severity, path: formatPath(path), message });
  }
  error(path: Path, message: string): void {
    this.report('error', path, message);
  }
  warning(path: Path, message: string): void {
    this.report('warning', path, message);
  }
  /** ` (line N)` of a key, to point from one diagnostic at the other key it is about. */
  readonly lineOf = (path: Path): string => ` (line ${this.ctx.locate(path).line})`;
  /** `report`, for the rule modules that take a function. */
  readonly reporter: Report = (severity, path, message) => this.report(severity, path, message);
}

/** The semantic diagnostics of a values document that passed the schema. */
export function checkSemantics(values: PdstackValues, ctx: SemanticContext): Diagnostic[] {
  const c = new Checker(ctx);
  checkRelease(c);
  const engineSpec = values.servingEngineSpec ?? {};
  const models = engineSpec.modelSpec ?? [];
  const engines: Engine[] = models.map((spec, index) => ({
    index,
    spec,
    path: ['servingEngineSpec', 'modelSpec', index],
    service: engineServiceName(ctx.release, spec.name ?? ''),
  }));
  checkNames(c, engines);
  for (const e of engines) checkModel(c, e);
  checkToken(
    c,
    ['servingEngineSpec', 'vllmApiKey'],
    engineSpec.vllmApiKey,
    'an API key',
    'remove vllmApiKey to serve without one',
  );
  if (engineSpec.serviceMonitor?.enabled)
    checkServiceMonitor(c, ['servingEngineSpec', 'serviceMonitor'], engineSpec.serviceMonitor);
  const rendered = renderedModels(values).map(({ index }) => engines[index]!);
  checkCacheServer(c, values, rendered);
  if (values.sharedPvcStorage?.enabled) checkSharedStorage(c, values.sharedPvcStorage);
  checkLora(c.reporter, values, ctx.release);
  for (const { path, message } of extraObjects({ ...ctx, values }).problems) c.error(path, message);
  for (const e of rendered)
    if (e.spec.keda?.enabled) checkKeda(c, e, e.spec.keda, engineSpec.serviceMonitor?.enabled === true);
  if (engineSpec.pdstackInferencePool?.enabled)
    for (const e of rendered) {
      if (isRayModel(e.spec)) c.warning([...e.path, 'raySpec', 'enabled'], rayModelPoolMessage(e.spec.name ?? ''));
      if (!getsInferencePool(e.spec)) continue;
      const problem = endpointPickerServiceNameMessage(ctx.release, e.spec.name ?? '');
      if (problem) c.error([...e.path, 'name'], problem);
    }
  checkDisaggregation(c, rendered, enginePorts(engineSpec), engineSpec.env);
  preflightSharedGpus(c.reporter, c.lineOf, rendered, (e) => containerGpus(e.spec));
  if (routerEnabled(values)) checkRouter(c, values.routerSpec ?? {}, rendered);
  checkSubcharts(c, values);
  return c.diagnostics;
}

/** production-stack's subcharts, which pdstack does not deploy, with what they are. */
const PRODSTACK_SUBCHARTS = {
  'kube-prometheus-stack': 'the kube-prometheus-stack subchart',
  'prometheus-adapter': 'the prometheus-adapter subchart',
} as const;

/** A subchart is accepted disabled, as production-stack's values.yaml writes it; Helm deploys one without `enabled`. */
function checkSubcharts(c: Checker, values: PdstackValues): void {
  for (const [key, what] of Object.entries(PRODSTACK_SUBCHARTS) as [keyof typeof PRODSTACK_SUBCHARTS, string][]) {
    const subchart = values[key];
    if (subchart === undefined || subchart.enabled === false) continue;
    c.error(
      subchart.enabled === undefined ? [key] : [key, 'enabled'],
      `\`${key}\` (${what}) is a production-stack feature not supported by pdstack: set \`enabled: false\` (production-stack's default) or remove it`,
    );
  }
}

/** Prometheus refuses a scrape config whose timeout exceeds its interval (the whole configuration fails to load). */
function checkServiceMonitor(c: Checker, path: Path, monitor: ServiceMonitor): void {
  const interval = durationMs(monitor.interval!); // filled in by the schema's defaults
  const timeout = durationMs(monitor.scrapeTimeout!);
  if (interval !== undefined && timeout !== undefined && timeout > interval) {
    c.error(
      [...path, 'scrapeTimeout'],
      `scrapeTimeout ${monitor.scrapeTimeout} is longer than interval ${monitor.interval}; Prometheus refuses a scrape timeout above its interval: lower scrapeTimeout or raise interval`,
    );
  }
}

/**
 * A model whose init container waits for the cache server needs it rendered (else the pod never starts); a rendered
 * cache server needs an engine that uses it.
 */
function checkCacheServer(c: Checker, values: PdstackValues, engines: readonly Engine[]): void {
  const service = cacheServerServiceName(c.ctx.release);
  for (const key of ['repository', 'tag'] as const) {
    if (values.cacheserverSpec?.[key] !== undefined)
      c.warning(
        ['cacheserverSpec', key],
        `cacheserverSpec.${key} is not read: the cache server's image is image.${key} (here \`${String(values.cacheserverSpec.image?.[key])}\`), as in production-stack's chart, which ignores this key too; move it under image: to deploy it`,
      );
  }
  if (values.cacheserverSpec?.enabled !== true) {
    for (const e of engines) {
      const init = e.spec.initContainer as { command?: unknown; args?: unknown; env?: unknown } | undefined;
      const waiting = [
        ...stringsAt([...e.path, 'initContainer', 'command'], init?.command),
        ...stringsAt([...e.path, 'initContainer', 'args'], init?.args),
        ...stringsAt([...e.path, 'initContainer', 'env'], init?.env),
      ].find(([, text]) => text.includes('-cache-server-service') || text.includes(CACHE_SERVER_PORT_ENV));
      if (waiting) {
        c.error(
          waiting[0],
          `this init container waits for the LMCache cache server (\`${service}\`, port $(${CACHE_SERVER_PORT_ENV})), which is rendered only with cacheserverSpec.enabled: true, so the pod would never start; enable cacheserverSpec or remove the init container`,
        );
      }
    }
    return;
  }
  if (!engines.some((e) => e.spec.lmcacheConfig?.enabled === true)) {
    c.warning(
      ['cacheserverSpec', 'enabled'],
      'no enabled model uses the cache server: LMCACHE_REMOTE_URL goes only to engines with lmcacheConfig.enabled: true; enable LMCache on a model or disable the cache server',
    );
  }
}

/** The shared volume's backing: a hostPath, or a whole NFS export, or neither (a dynamically provisioned claim). */
function checkSharedStorage(c: Checker, shared: SharedPvcStorage): void {
  const path = ['sharedPvcStorage'];
  const { server, path: exported } = shared.nfs ?? {};
  if (Boolean(server) !== Boolean(exported)) {
    c.error(
      [...path, 'nfs', server ? 'server' : 'path'],
      `an NFS volume needs both nfs.server and nfs.path; set ${server ? 'nfs.path' : 'nfs.server'}, or clear both for a dynamically provisioned claim`,
    );
  } else if (server && shared.hostPath) {
    c.error(
      [...path, 'hostPath'],
      'hostPath and nfs both back the shared volume; keep one (production-stack silently took hostPath)',
    );
  }
}

/** What KEDA would reject in a ScaledObject, and default triggers that would find no series. */
function checkKeda(c: Checker, e: Engine, keda: Keda, serviceMonitor: boolean): void {
  const path = [...e.path, 'keda'];
  const min = keda.minReplicaCount ?? 0; // KEDA's default
  if (keda.maxReplicaCount !== undefined && min > keda.maxReplicaCount) {
    c.error(
      [...path, 'minReplicaCount'],
      `minReplicaCount ${min} is above maxReplicaCount ${keda.maxReplicaCount}; KEDA rejects the ScaledObject: lower minReplicaCount or raise maxReplicaCount`,
    );
  }
  if (keda.idleReplicaCount !== undefined && keda.idleReplicaCount >= min) {
    c.error(
      [...path, 'idleReplicaCount'],
      `idleReplicaCount ${keda.idleReplicaCount} must be below minReplicaCount ${min}${keda.minReplicaCount === undefined ? " (KEDA's default)" : ''}, or KEDA rejects the ScaledObject; raise minReplicaCount or remove idleReplicaCount`,
    );
  }
  if (keda.triggers === undefined && !serviceMonitor) {
    c.warning(
      [...path, 'enabled'],
      "without triggers pdstack's default trigger sums the engine's series by the namespace and service labels the engine ServiceMonitor gives them, and servingEngineSpec.serviceMonitor is not enabled: unless your own scrape sets them, the query finds nothing and KEDA keeps minReplicaCount; enable servingEngineSpec.serviceMonitor or give keda.triggers",
    );
  }
}

/** Every string in `value` (lists and mappings walked), with its path. */
function stringsAt(path: Path, value: unknown): Array<readonly [Path, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsAt([...path, i], v));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringsAt([...path, k], v));
  return [];
}

function checkRelease(c: Checker): void {
  const { release, namespace } = c.ctx;
  for (const message of [releaseNameMessage(release), namespaceMessage(namespace)]) if (message) c.error([], message);
}

function checkNames(c: Checker, engines: readonly Engine[]): void {
  const seen = new Map<string, Engine>();
  for (const e of engines) {
    const name = e.spec.name ?? '';
    const first = seen.get(name);
    if (first) {
      c.error(
        [...e.path, 'name'],
        `model name \`${name}\` is already used by modelSpec[${first.index}]${c.lineOf([...first.path, 'name'])}; names must be unique: they name the objects and the pod label \`model\``,
      );
    } else seen.set(name, e);
    const serviceProblem = engineServiceNameMessage(c.ctx.release, name);
    if (serviceProblem) c.error([...e.path, 'name'], serviceProblem);
    const rayProblem = isRayModel(e.spec) ? rayClusterNameMessage(c.ctx.release, name) : null;
    if (rayProblem && !serviceProblem) c.error([...e.path, 'name'], rayProblem);
    const label = e.spec.labels?.[MODEL_LABEL];
    if (label !== undefined && label !== name) {
      c.error(
        [...e.path, 'labels', MODEL_LABEL],
        `labels.model \`${label}\` contradicts the label model=${name} every engine of this model carries (the router selects engines by it); remove it or set it to \`${name}\``,
      );
    }
  }
}

function checkModel(c: Checker, e: Engine): void {
  const m = e.spec;
  reportProblems(c, e, vllmConfigProblems(m));
  reportProblems(c, e, resourceProblems(m));
  reportProblems(c, e, rayProblems(m));
  checkToken(c, [...e.path, 'hf_token'], m.hf_token, 'a Hugging Face token', 'remove hf_token for a public model');
  reportProblems(c, e, lmcacheProblems(m.lmcacheConfig));
}

/** The problems the engine rules (schema/facts/engine-rules.ts, also `VllmEngine`'s invariants) find in `e`. */
function reportProblems(c: Checker, e: Engine, problems: readonly RuleProblem[]): void {
  for (const p of problems) c.report(p.severity, [...e.path, ...p.key], p.message);
}

function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    /^<[^<>]*>$/.test(v) ||
    /^(change-?me|todo|x{3,}|hf_x+|(your|my)[-_ ]?(hf[-_ ]?)?(token|key|api[-_ ]?key)([-_ ]?here)?)$/i.test(v)
  );
}

function checkToken(c: Checker, path: Path, value: unknown, what: string, alternative: string): void {
  if (typeof value === 'string' && isPlaceholder(value)) {
    c.warning(
      path,
      `the value looks like a placeholder, not ${what}: set the real value (or {secretName, secretKey} of an existing Secret), or ${alternative}`,
    );
  }
}

const isRole = (m: ModelSpec, role: NixlRole): boolean =>
  isPdEngine(m.lmcacheConfig) && m.lmcacheConfig?.nixlRole === role;
/** The Service part and namespace of `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc` or `<svc>.<ns>.svc.cluster.local`. */
function parseServiceHost(host: string): { service: string; namespace?: string } | undefined {
  const parts = host.replace(/\.$/, '').split('.');
  if (!parts.slice(0, 2).every(isDnsLabel)) return undefined;
  const suffix = parts.slice(2).join('.');
  if (parts.length === 1) return { service: parts[0]! };
  if (suffix === '' || suffix === 'svc' || suffix === 'svc.cluster.local')
    return { service: parts[0]!, namespace: parts[1]! };
  return undefined;
}

function checkDisaggregation(
  c: Checker,
  engines: readonly Engine[],
  servicePorts: readonly number[],
  sharedEnv: ServingEngineSpec['env'],
): void {
  const pd = engines.filter((e) => isPdEngine(e.spec.lmcacheConfig));
  if (pd.length === 0) return;
  const senders = pd.filter((e) => isRole(e.spec, 'sender'));
  const receivers = pd.filter((e) => isRole(e.spec, 'receiver'));
  const first = [...pd[0]!.path, 'lmcacheConfig', 'enablePD'];
  if (senders.length === 0) {
    c.error(
      first,
      'P/D needs at least one enabled sender (prefill) engine: nixlRole: sender with kvRole: kv_producer; none of the enabled models is one',
    );
  }
  if (receivers.length === 0) {
    c.error(
      first,
      'P/D needs at least one enabled receiver (decode) engine: nixlRole: receiver with kvRole: kv_consumer; none of the enabled models is one',
    );
  }
  for (const s of senders) {
    const host = s.spec.lmcacheConfig?.nixlPeerHost;
    if (host === undefined) continue;
    const peer = resolvePeer(c, s, host, engines, receivers);
    if (!peer) continue;
    checkPeerAgreement(c, s, peer, servicePorts);
    preflightPair(c.reporter, c.lineOf, sharedEnv, s, peer);
  }
}

/** The receiver a sender's `nixlPeerHost` names (or most likely means); reports what is wrong with it. */
function resolvePeer(
  c: Checker,
  sender: Engine,
  host: string,
  engines: readonly Engine[],
  receivers: readonly Engine[],
): Engine | undefined {
  const { release, namespace } = c.ctx;
  const path = [...sender.path, 'lmcacheConfig', 'nixlPeerHost'];
  const parsed = parseServiceHost(host);
  const inRelease = parsed !== undefined && (parsed.namespace === undefined || parsed.namespace === namespace);
  const target = inRelease ? engines.find((e) => e.service === parsed.service) : undefined;
  if (target && isRole(target.spec, 'receiver')) return target;
  const guess = receivers.length > 0 ? closestReceiver(parsed?.service ?? host, receivers) : undefined;
  const setIt = guess
    ? `set nixlPeerHost to the receiver's Service \`${guess.service}\``
    : 'add a receiver engine and point nixlPeerHost at its Service';
  if (target) {
    c.error(
      path,
      `\`${host}\` is the Service of \`${target.spec.name}\`, which is not a receiver engine (nixlRole: receiver); ${setIt}`,
    );
    return guess;
  }
  if (inRelease) {
    // Not a Service of this release, but named like one of its engines (another release's name, or a typo).
    const meant = engines.find((e) => parsed.service.endsWith(`-${e.spec.name}-engine-service`));
    if (meant || (parsed.service.startsWith(`${release}-`) && parsed.service.endsWith('-engine-service'))) {
      const fix =
        meant && meant === guess
          ? `: installed as release \`${release}\`, receiver \`${meant.spec.name}\` is reached at \`${meant.service}\`; set nixlPeerHost to it`
          : `; ${setIt}`;
      c.error(path, `\`${host}\` is not the Service of an engine of release \`${release}\`${fix}`);
      return guess;
    }
  }
  c.warning(
    path,
    `\`${host}\` is outside release \`${release}\`${parsed?.namespace && parsed.namespace !== namespace ? ` (namespace ${parsed.namespace})` : ''}: pdstack cannot check that a receiver listens there${guess ? `; this release's receiver Service is \`${guess.service}\`` : ''}`,
  );
  return undefined;
}

function closestReceiver(service: string, receivers: readonly Engine[]): Engine {
  const best = closest(
    service,
    receivers.map((r) => r.service),
  );
  return receivers.find((r) => r.service === best)!;
}

function checkPeerAgreement(c: Checker, sender: Engine, receiver: Engine, servicePorts: readonly number[]): void {
  const s = sender.spec;
  const r = receiver.spec;
  const lm = (e: Engine, key: string): PathSegment[] => [...e.path, 'lmcacheConfig', key];
  const compare = (key: 'nixlPeerPort' | 'nixlBufferSize', why: string): boolean => {
    const a = s.lmcacheConfig?.[key];
    const b = r.lmcacheConfig?.[key];
    if (a === undefined || b === undefined || String(a) === String(b)) return true;
    c.error(
      lm(sender, key),
      `${key} ${String(a)} differs from receiver \`${r.name}\`'s ${String(b)}${c.lineOf(lm(receiver, key))}: ${why}; make them equal`,
    );
    return false;
  };
  const port = s.lmcacheConfig?.nixlPeerPort;
  if (
    compare('nixlPeerPort', 'the sender connects to the port the receiver listens on') &&
    port !== undefined &&
    !servicePorts.includes(Number(port))
  ) {
    c.error(
      lm(sender, 'nixlPeerPort'),
      `the receiver's Service \`${receiver.service}\` does not expose port ${String(port)} (its ports: ${servicePorts.join(', ')}); use ${ZMQ_PORT} on sender and receiver, or add the port to servingEngineSpec.extraPorts`,
    );
  }
  // one side alone setting a buffer size: the other gets LMCache's default, which may differ
  const sb = s.lmcacheConfig?.nixlBufferSize;
  const rb = r.lmcacheConfig?.nixlBufferSize;
  if ((sb === undefined) !== (rb === undefined)) {
    const [setter, other, role] = sb !== undefined ? [sender, r.name, 'receiver'] : [receiver, s.name, 'sender'];
    c.error(
      lm(setter, 'nixlBufferSize'),
      `${role} \`${other}\` sets no nixlBufferSize while this ${role === 'receiver' ? 'sender' : 'receiver'} sets ${String(sb ?? rb)}: NIXL needs the same buffer on both sides; set it on both`,
    );
  } else compare('nixlBufferSize', 'NIXL needs the same buffer size on both sides');
  if (s.modelURL !== r.modelURL) {
    c.error(
      [...sender.path, 'modelURL'],
      `modelURL \`${s.modelURL}\` differs from receiver \`${r.name}\`'s \`${r.modelURL}\`${c.lineOf([...receiver.path, 'modelURL'])}: prefill and decode must serve the same model to share its KV cache; make them equal`,
    );
  }
}

function checkRouter(c: Checker, router: RouterSpec, engines: readonly Engine[]): void {
  const rp = (...keys: PathSegment[]): PathSegment[] => ['routerSpec', ...keys];
  const logic = router.routingLogic!; // filled in by the schema's default
  const pdLogic = isPdLogic(logic);
  checkToken(c, rp('hf_token'), router.hf_token, 'a Hugging Face token', 'remove it');
  const parsed = checkExtraArgs(c, router);
  const pdProblem = parsed && pdFlagProblem(parsed, logic);
  if (pdProblem) c.error(rp('extraArgs', parsed.positions.get(pdProblem.flag) ?? 0), pdProblem.message);
  checkRouterImage(c, router);
  checkServiceType(c, router);
  checkAutoscaling(c, router);
  checkIngress(c, router);
  checkRoutes(c, router);
  const otel = router.otel?.endpoint ? otlpEndpoint(router.otel.endpoint, router.otel.secure ?? false) : undefined;
  if (typeof otel === 'string') c.error(rp('otel', 'endpoint'), otel);
  const otelInExtraArgs = parsed?.positions.get('otel-endpoint');
  if (router.otel?.endpoint && otelInExtraArgs !== undefined)
    c.warning(
      rp('extraArgs', otelInExtraArgs),
      '--otel-endpoint here is overridden by routerSpec.otel.endpoint, whose flags come after extraArgs; keep one of them',
    );
  for (const key of [
    'lmcacheControllerPort',
    'lmcacheControllerReplyPort',
    'lmcacheControllerHeartbeatPort',
  ] as const) {
    if (router[key] !== undefined && router[key] !== '')
      c.error(rp(key), `KV-aware routing (the LMCache controller) is not supported by pdstack-router; remove ${key}`);
  }
  if (router.serviceMonitor?.enabled) checkServiceMonitor(c, rp('serviceMonitor'), router.serviceMonitor);
  if (router.serviceDiscovery === 'static') {
    const backends = commaList(router.staticBackends, { skipEmpty: true });
    const models = commaList(router.staticModels, { skipEmpty: true });
    if (backends.length === 0 || models.length === 0) {
      c.error(
        rp('serviceDiscovery'),
        'serviceDiscovery: static needs staticBackends (comma-separated engine URLs) and staticModels (the model of each backend)',
      );
    } else if (backends.length !== models.length) {
      c.error(
        rp('staticModels'),
        `staticModels lists ${models.length} model(s) for ${backends.length} staticBackends; give one model per backend, in the same order`,
      );
    }
  }
  if (logic === 'session' && !router.sessionKey) {
    c.error(
      rp('routingLogic'),
      'routingLogic: session needs sessionKey: the request header that identifies a session (e.g. x-user-id)',
    );
  }
  if (router.enablePD === true && !pdLogic) {
    c.error(
      rp('enablePD'),
      `enablePD: true but routingLogic is ${logic}; P/D routing is chosen by routingLogic: set routingLogic: disaggregated_prefill, or remove enablePD`,
    );
  } else if (router.enablePD === false && pdLogic) {
    c.error(
      rp('enablePD'),
      `enablePD: false contradicts routingLogic: ${logic}; remove enablePD or choose another routingLogic`,
    );
  }
  const pdEngines = engines.filter((e) => isPdEngine(e.spec.lmcacheConfig));
  if (!pdLogic) {
    if (pdEngines.length > 0) {
      c.error(
        rp('routingLogic'),
        `the engines are set up for P/D (enablePD) but routingLogic ${logic} sends whole requests to any engine; set routingLogic: disaggregated_prefill`,
      );
    }
    return;
  }
  if (parsed) checkModelLabels(c, parsed, logic, engines, pdEngines.length > 0);
}

function checkServiceType(c: Checker, router: RouterSpec): void {
  if (router.serviceType === 'ExternalName')
    c.error(
      ['routerSpec', 'serviceType'],
      'an ExternalName Service is a DNS alias of another host: it has no selector or ports, so it cannot reach the router (production-stack renders it without the externalName the API server requires); use ClusterIP, NodePort or LoadBalancer',
    );
  else if (router.nodePort != null && router.serviceType !== 'NodePort')
    c.warning(
      ['routerSpec', 'nodePort'],
      `nodePort is set only with serviceType: NodePort (as in production-stack), so with ${router.serviceType ?? 'ClusterIP'} it is not rendered; set serviceType: NodePort or remove nodePort`,
    );
}

function checkAutoscaling(c: Checker, router: RouterSpec): void {
  const a = router.autoscaling;
  if (!a?.enabled || a.minReplicas === undefined || a.maxReplicas === undefined) return;
  if (a.minReplicas > a.maxReplicas)
    c.error(
      ['routerSpec', 'autoscaling', 'maxReplicas'],
      `maxReplicas ${a.maxReplicas} is below minReplicas ${a.minReplicas}${c.lineOf(['routerSpec', 'autoscaling', 'minReplicas'])}; the autoscaler cannot keep both: raise maxReplicas or lower minReplicas`,
    );
}

function checkIngress(c: Checker, router: RouterSpec): void {
  const ingress = router.ingress;
  if (!ingress?.enabled) return;
  const hosts = ingress.hosts ?? [];
  if (hosts.length === 0)
    c.error(
      ['routerSpec', 'ingress', 'hosts'],
      'an enabled Ingress needs at least one host rule (the API server refuses one without rules or a default backend); add hosts: [{host: ..., paths: [{path: /, pathType: Prefix}]}]',
    );
  hosts.forEach((h, i) => {
    if (h.paths.length === 0)
      c.error(
        ['routerSpec', 'ingress', 'hosts', i, 'paths'],
        'a host rule needs at least one path to the router; add paths: [{path: /, pathType: Prefix}]',
      );
  });
}

/** Each enabled `routerSpec.route` entry: an HTTPRoute pdstack can render, its templates the release only. */
function checkRoutes(c: Checker, router: RouterSpec): void {
  for (const [name, route] of Object.entries(router.route ?? {})) {
    if (!route.enabled) continue;
    const at = (...keys: PathSegment[]): PathSegment[] => ['routerSpec', 'route', name, ...keys];
    const kind = route.kind ?? 'HTTPRoute';
    const refused = REFUSED_ROUTE_KINDS[kind];
    if (refused) {
      c.error(at('kind'), `pdstack renders routes as HTTPRoute only: ${refused}; set kind: HTTPRoute`);
      continue;
    }
    if (route.apiVersion !== undefined && !isHttpRouteApiVersion(route.apiVersion))
      c.error(
        at('apiVersion'),
        `HTTPRoute is served as ${HTTP_ROUTE_API_VERSIONS.join(' or ')}, not ${route.apiVersion}; set apiVersion: ${HTTP_ROUTE_API_VERSIONS[0]}`,
      );
    for (const key of ['hostnames', 'additionalRules'] as const) {
      (route[key] ?? []).forEach((item, i) => {
        if (holdsOtherTemplate(JSON.stringify(item)))
          c.error(
            at(key, i),
            `pdstack compiles the values, so the only template text it expands here is {{ .Release.Name }} and {{ .Release.Namespace }}; write the value out`,
          );
      });
    }
    if (route.httpsRedirect && (route.filters?.length ?? 0) > 0)
      c.warning(
        at('filters'),
        'httpsRedirect replaces the rule to the router with a redirect, so these filters are not rendered (as in production-stack); remove them or httpsRedirect',
      );
    if ((route.parentRefs?.length ?? 0) === 0)
      c.warning(
        at('parentRefs'),
        'the route names no Gateway in parentRefs, so no Gateway serves it; add parentRefs: [{name: <your Gateway>}]',
      );
  }
}

/**
 * The user's choice of production-stack's router image stands, with a warning saying what it gives; an image known
 * to reject a flag the chart passes it is an error (the pod would exit at start and crash-loop).
 */
/** The two values lines that select pdstack-router's image. */
const ROUTER_IMAGE_LINES = `\`repository: ${ROUTER_IMAGE.repository}\` and \`tag: "${ROUTER_IMAGE.tag}"\``;

function checkRouterImage(c: Checker, router: RouterSpec): void {
  const repository = router.repository!; // filled in by the schema's defaults
  if (!PRODUCTION_STACK_ROUTER_REPOSITORIES.has(repository)) return;
  const tag = String(router.tag);
  const image = `${repository}:${tag}`;
  if (
    router.serviceDiscovery === 'k8s' &&
    PRODUCTION_STACK_TAGS_WITHOUT_K8S_DISCOVERY_TYPE.get(repository)?.includes(tag)
  ) {
    c.error(
      ['routerSpec', 'tag'],
      `\`${image}\` (production-stack's router, May 2025) predates --k8s-service-discovery-type, which the chart passes with serviceDiscovery: k8s, so the router pod would exit at start; deploy pdstack-router with ${ROUTER_IMAGE_LINES}`,
    );
    return;
  }
  c.warning(
    ['routerSpec', 'repository'],
    `\`${image}\` is ${PRODUCTION_STACK_ROUTER_LIMITS}; to deploy pdstack-router instead set ${ROUTER_IMAGE_LINES}`,
  );
}

const LABEL_FLAGS = [
  { flag: 'prefill-model-labels', arg: 'prefillModelLabels', role: 'sender', side: 'prefill' },
  { flag: 'decode-model-labels', arg: 'decodeModelLabels', role: 'receiver', side: 'decode' },
] as const;

/**
 * `routerSpec.extraArgs` read by the router's own parser (schema/facts/router-flags.ts): what the router would refuse
 * is an error at the item at fault. Returns the parsed flags when the router would start with them.
 */
function checkExtraArgs(c: Checker, router: RouterSpec): RouterArgv | undefined {
  const path = (index: number): Path => ['routerSpec', 'extraArgs', index];
  let parsed: RouterCommandLine;
  try {
    parsed = parseRouterArgv(router.extraArgs ?? []);
  } catch (e) {
    if (!(e instanceof RouterArgError)) throw e;
    const labels = LABEL_FLAGS.find((l) => l.flag === e.missingValueOf);
    c.error(
      path(e.index),
      labels ? labelsNeedAValue(labels.flag, labels.side) : `pdstack-router would refuse to start: ${e.message}`,
    );
    return undefined;
  }
  if (parsed.action !== 'run') {
    c.error(
      ['routerSpec', 'extraArgs'],
      `--${parsed.action} makes the router print its ${parsed.action} and exit instead of serving; remove it`,
    );
    return undefined;
  }
  for (const spec of FLAGS) {
    const at = parsed.positions.get(spec.name);
    if (spec.unsupported && at !== undefined)
      c.error(path(at), `--${spec.name}: ${spec.unsupported} is not supported by pdstack-router; remove it`);
  }
  return parsed;
}

function labelsNeedAValue(flag: string, side: string): string {
  return `--${flag} needs a value: the ${side} engines' model names, comma-separated`;
}

function checkModelLabels(
  c: Checker,
  parsed: RouterArgv,
  logic: string,
  engines: readonly Engine[],
  nixl: boolean,
): void {
  const names = engines.map((e) => e.spec.name ?? '');
  for (const { flag, arg, role, side } of LABEL_FLAGS) {
    const fitting = engines.filter((e) => (nixl ? isRole(e.spec, role) : true)).map((e) => e.spec.name ?? '');
    const example = fitting.length > 0 ? fitting.join(',') : `<${side} model names>`;
    const index = parsed.positions.get(flag);
    if (index === undefined) {
      c.error(
        ['routerSpec', 'routingLogic'],
        `routingLogic ${logic} needs --${flag} in routerSpec.extraArgs, naming the ${side} engines by their model name (e.g. extraArgs: ["--${flag}", "${example}"])`,
      );
      continue;
    }
    const path = ['routerSpec', 'extraArgs', index];
    const labels = commaList(parsed.args[arg], { skipEmpty: true });
    if (labels.length === 0) {
      c.error(path, `${labelsNeedAValue(flag, side)} (e.g. ${example})`);
      continue;
    }
    for (const label of labels) {
      const engine = engines.find((e) => e.spec.name === label);
      if (!engine) {
        // a typo, or a label that contains a model name (the tutorial's `llama-prefill` for the model `prefill`)
        const near = didYouMean(label, names) ?? names.find((n) => n !== '' && label.includes(n));
        const hint = near ? `; did you mean \`${near}\`?` : '';
        c.error(
          path,
          `--${flag} \`${label}\` matches no enabled engine (the router selects pods by the label model=<modelSpec name>)${hint}`,
        );
      } else if (nixl && !isRole(engine.spec, role)) {
        c.error(
          path,
          `--${flag} lists \`${label}\`, which is not a NIXL ${role} (the ${side} engine); list ${fitting.length > 0 ? fitting.map((n) => `\`${n}\``).join(', ') : `a ${role}`} here`,
        );
      } else if (!nixl) {
        preflightConnector(c.reporter, path, flag, engine);
      }
    }
  }
}
