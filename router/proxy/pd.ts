/**
 * Disaggregated prefill (reference §3.6 / §3.7, with pdstack's fixes).
 *
 * 0. Whether to disaggregate at all: `--pd-min-prompt-tokens` and `--pd-max-prefill-queue` can have a decode engine
 *    serve a request alone (pd-decide.ts; off by default).
 * 1. Prefill: the request is sent to a prefill engine with `max_tokens=1` (`max_completion_tokens=1` if present),
 *    `stream=false`, without `min_tokens`, `min_completion_tokens` and `stream_options`; in orchestrated mode with
 *    `kv_transfer_params.do_remote_decode=true`. Its answer is waited for. A prefill engine that cannot be reached or
 *    answers 502/503/504 is replaced once by another one, within the request's time budget (the first-byte timeout,
 *    counted from the request's arrival). When no prefill engine can serve (none discovered, or the last one tried
 *    failed as an engine: unreachable, timed out, 5xx), `--pd-fallback decode` (default) has a decode engine serve the
 *    whole request (counted in `pdstack_router_pd_decode_only_total`, warned once per change of the prefill
 *    engines' state); `--pd-fallback error` answers the prefill's error.
 * 2. Decode: the request (orchestrated: plus the NixlConnector fields of the prefill's `kv_transfer_params`, checked,
 *    `remote_host` the prefill engine's own host) is sent to a decode engine and streamed back as it arrives. An
 *    unreachable decode engine is replaced once by another one too (the request never reached it; the replacement
 *    pulls the KV from the prefill engine in orchestrated mode, or recomputes the prompt when LMCache pushed the KV
 *    to the dead peer). A prefill answer without usable params, or a redirect of either engine, is a 502.
 *    With `--pd-dispatch concurrent` (orchestrated, vLLM's NixlPushConnector) both legs leave at once once the
 *    prefill engine's NIXL coordinates are known (nixl-push.ts, PdProxy.concurrent); either failing cancels the other.
 *
 * The router owns the hand-off: a client's `kv_transfer_params` never reaches an engine (parseBody drops them). Both
 * bodies are serialized from the one parsed request (once, shared by the legs: pd-body.ts), so prefill and decode
 * cannot read different prompts from bytes JSON parsers disagree on (invalid UTF-8, `1e-400`, integers beyond 2^53).
 *
 * Every engine carrying one of the labels (exact match) and serving the model is used, the least loaded first. The
 * client's headers (Authorization, X-Request-Id, ...) reach both engines; errors before the answer starts are
 * OpenAI-style JSON with the engine's 4xx/5xx status (or 502/504 for transport failures); the client going away
 * aborts both upstream calls; both calls count in request stats and metrics. The prefill's
 * `usage.prompt_tokens_details.cached_tokens`, when it reports one, replaces decode's in the answer (cached-tokens.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RouterArgs } from '../../schema/facts/router-flags.js';
import type { Endpoint } from '../discovery/types.js';
import { RouterError, sendError } from '../errors.js';
import type { Logger } from '../log.js';
import type { LeastLoaded } from '../routing/balance.js';
import { type PushCoords, PushCoordsCache, pushDecodeParams } from './nixl-push.js';
import { PdBodies } from './pd-body.js';
import { type PdDecideOptions, PdDecider } from './pd-decide.js';
import { cachedTokensIn, cachedTokensOf, cachedTokensTransform } from './cached-tokens.js';
import {
  type CallLink,
  ClientLink,
  type ProxiedRequest,
  type ProxyDeps,
  account,
  candidatesFor,
  failureType,
  isStreaming,
  noEndpoint,
  relay,
  startCall,
  type StartedCall,
} from './shared.js';
import {
  Cancelled,
  type Exchange,
  engineErrorMessage,
  isAbort,
  isUnreachable,
  redirectError,
  requestHeaders,
  responseHeaders,
  transportError,
  type UpstreamBody,
  UpstreamBodyTooLarge,
} from './upstream.js';

export interface PdOptions {
  readonly prefillLabels: readonly string[];
  readonly decodeLabels: readonly string[];
  /** `disaggregated_prefill_orchestrated`: vLLM NixlConnector `kv_transfer_params` hand-off. */
  readonly orchestrated: boolean;
  /** `--pd-fallback`: what a request gets when no prefill engine can serve it. */
  readonly fallback: PdFallback;
  /** `--pd-min-prompt-tokens`, `--pd-max-prefill-queue`. */
  readonly decide: PdDecideOptions;
  /** `--pd-dispatch concurrent` (orchestrated mode only): both legs at once for vLLM's NixlPushConnector. */
  readonly concurrent: boolean;
}

export type PdFallback = RouterArgs['pdFallback'];

/**
 * Why a decode engine served a P/D request alone although prefill was wanted (a `reason` of
 * `pdstack_router_pd_decode_only_total`, beside the decisions of pd-decide.ts).
 */
export type FallbackReason = 'no_prefill_engine' | 'prefill_failed';

/** The body the prefill engine gets (parseBody already dropped the client's `kv_transfer_params`). */
export function prefillBody(
  body: Readonly<Record<string, unknown>>,
  orchestrated: boolean,
  transferId?: string,
): Record<string, unknown> {
  const p: Record<string, unknown> = { ...body, max_tokens: 1, stream: false };
  if ('max_completion_tokens' in body) p.max_completion_tokens = 1;
  delete p.min_tokens;
  delete p.min_completion_tokens;
  delete p.stream_options;
  if (orchestrated) {
    p.kv_transfer_params = {
      do_remote_decode: true,
      do_remote_prefill: false,
      remote_engine_id: null,
      remote_block_ids: null,
      remote_host: null,
      remote_port: null,
      ...(transferId !== undefined ? { transfer_id: transferId } : {}),
    };
  }
  return p;
}

const blockId = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
/** NixlConnector's `remote_block_ids`: block ids, or one list of them per KV cache group (hybrid allocator). */
const blockIds = (v: unknown) =>
  Array.isArray(v) && (v.every(blockId) || v.every((group) => Array.isArray(group) && group.every(blockId)));

/**
 * The fields of a NixlConnector prefill answer's `kv_transfer_params` that decode reads (vLLM's
 * `NixlConnectorScheduler.request_finished`), each with its check; `remote_request_id` and `tp_size` are absent in
 * older vLLM versions, `pp_size` is set by NixlPushConnector (pipeline-parallel prefill). Every other field is dropped; `do_remote_prefill`, `do_remote_decode` and `remote_host` are
 * the router's.
 */
const NIXL_FIELDS: readonly { name: string; required: boolean; valid: (v: unknown) => boolean }[] = [
  { name: 'remote_engine_id', required: true, valid: (v) => typeof v === 'string' && v !== '' },
  { name: 'remote_request_id', required: false, valid: (v) => typeof v === 'string' && v !== '' },
  { name: 'remote_block_ids', required: true, valid: blockIds },
  {
    name: 'remote_port',
    required: true,
    valid: (v) => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536,
  },
  { name: 'tp_size', required: false, valid: (v) => Number.isInteger(v) && (v as number) > 0 },
  { name: 'pp_size', required: false, valid: (v) => Number.isInteger(v) && (v as number) > 0 },
];

/**
 * The `kv_transfer_params` decode gets from a prefill answer's: the checked NixlConnector fields, `remote_host` the
 * prefill engine's own host (never one the answer names). A string says why the answer's params are unusable.
 */
export function decodeKvParams(answer: unknown, prefillHost: string): Record<string, unknown> | string {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return 'not an object';
  const given = answer as Record<string, unknown>;
  const kv: Record<string, unknown> = { do_remote_prefill: true, do_remote_decode: false };
  for (const field of NIXL_FIELDS) {
    const v = given[field.name];
    if (v === undefined) {
      if (field.required) return `no ${field.name}`;
    } else if (!field.valid(v)) {
      return `invalid ${field.name}`;
    } else kv[field.name] = v;
  }
  kv.remote_host = prefillHost;
  return kv;
}

/** The host of an engine URL as NixlConnector expects it (an IPv6 address without brackets). */
function hostOf(url: string): string {
  const host = new URL(url).hostname;
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

class Aborted extends Error {}

/**
 * An engine failing as an engine (cannot be reached, timed out, 5xx): `retryable` when another engine of its kind may
 * be tried (the request did not reach it, or it answered 502/503/504). `error()` is what the client gets (making it
 * logs the failure's detail, so a fallback that never makes it logs nothing per request); `why` says it in the log
 * line of a retry.
 */
class EngineFailure extends Error {
  private made: RouterError | undefined;

  constructor(
    private readonly make: () => RouterError,
    readonly retryable: boolean,
    readonly why: string,
  ) {
    super(why);
  }

  /** Made (and its detail logged) once, however often it is asked for. */
  error(): RouterError {
    return (this.made ??= this.make());
  }
}

/** What the prefill step hands to decode. */
interface Prefilled {
  /** Orchestrated mode: decode's `kv_transfer_params`. */
  readonly kv?: Record<string, unknown>;
  /** The prefill's `usage.prompt_tokens_details.cached_tokens`, when it reported one. */
  readonly cachedTokens?: number;
}

/**
 * Warns, per model, when its requests start falling back to decode alone, and again only when its prefill engines'
 * state changes (another reason or another set of engines); notes at info when its prefill serves again.
 */
class FallbackNotice {
  /**
   * The state last warned of, per model falling back (models of discovered decode engines; a model's entry goes
   * when its prefill serves again).
   */
  private readonly states = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  fellBack(model: string, reason: FallbackReason, urls: readonly string[], requestId: string): void {
    const state = `${reason}\n${urls.join(',')}`;
    if (this.states.get(model) === state) return;
    this.states.set(model, state);
    const engines = urls.length === 0 ? 'no prefill engine is discovered' : `prefill engine(s) ${urls.join(', ')}`;
    const what = reason === 'no_prefill_engine' ? engines : `${engines} failed`;
    this.log.warn(
      `Model ${model}: ${what}; decode engines serve requests alone (--pd-fallback decode), from request ${requestId}`,
    );
  }

  served(model: string): void {
    if (!this.states.delete(model)) return;
    this.log.info(`Model ${model}: prefill engines serve P/D requests again`);
  }
}

export class PdProxy {
  private readonly fallbackNotice: FallbackNotice;
  private readonly decider: PdDecider;
  /** The NIXL coordinates of prefill engines (`--pd-dispatch concurrent`). */
  private readonly push: PushCoordsCache | undefined;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly prefillBalancer: LeastLoaded,
    private readonly decodeBalancer: LeastLoaded,
    private readonly options: PdOptions,
  ) {
    this.fallbackNotice = new FallbackNotice(deps.log);
    this.decider = new PdDecider(options.decide, deps.engineStats);
    this.push = options.concurrent ? new PushCoordsCache() : undefined;
  }

  isPrefill = (e: Endpoint): boolean => this.options.prefillLabels.includes(e.modelLabel);
  isDecode = (e: Endpoint): boolean => this.options.decodeLabels.includes(e.modelLabel);

  async handle(req: ProxiedRequest, res: ServerResponse): Promise<void> {
    const { deps } = this;
    const started = performance.now();
    const prefills = candidatesFor(deps, req, this.isPrefill);
    const decodes = candidatesFor(deps, req, this.isDecode);
    if ((prefills.length === 0 && this.options.fallback !== 'decode') || decodes.length === 0) {
      const err = noEndpoint(deps, req.model, prefills.length === 0 ? ' (no prefill engine)' : ' (no decode engine)');
      return sendError(res, err, req.requestId);
    }
    deps.metrics.incoming.inc({ model: req.model });
    const client = new ClientLink(res);
    const headers = requestHeaders(req.incoming.headers, req.requestId);
    headers['content-type'] = 'application/json';
    try {
      // one serialization for both legs; a too deeply nested body fails here, before any engine is called
      const bodies = new PdBodies(req.body);
      let prefilled: Prefilled | undefined;
      if (prefills.length === 0) this.fellBack(req, 'no_prefill_engine', prefills);
      else if (!this.decidedAlone(req, prefills)) {
        // push mode: both legs at once to a prefill engine whose NIXL coordinates are known (nixl-push.ts)
        const prefill = this.push && this.prefillBalancer.pick(prefills);
        const coords = prefill && this.push!.get(prefill.url);
        if (coords)
          return await this.concurrent(req, res, bodies, prefill, coords, prefills, decodes, headers, client, started);
        prefilled = await this.prefillOrFallback(req, bodies, prefills, headers, client, started);
      }
      if (client.gone) return;
      await this.decodeAfter(req, res, bodies, decodes, headers, client, started, prefilled);
    } catch (err) {
      if (err instanceof Aborted) return;
      if (err instanceof EngineFailure) return sendError(res, err.error(), req.requestId);
      if (err instanceof RouterError) return sendError(res, err, req.requestId);
      throw err;
    }
  }

  /** Whether the decider (pd-decide.ts) has decode serve this request alone (counted and logged at debug). */
  private decidedAlone(req: ProxiedRequest, prefills: readonly Endpoint[]): boolean {
    const decision = this.decider.active ? this.decider.decide(req.body, prefills) : undefined;
    if (decision === undefined) return false;
    this.deps.metrics.pdDecodeOnly.inc({ model: req.model, reason: decision });
    if (this.deps.log.enabled('debug')) this.deps.log.debug(`${req.requestId} served by decode alone: ${decision}`);
    return true;
  }

  /** The prefill step; with `--pd-fallback decode` none (decode then serves alone) when no prefill engine can serve. */
  private async prefillOrFallback(
    req: ProxiedRequest,
    bodies: PdBodies,
    prefills: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    client: ClientLink,
    started: number,
  ): Promise<Prefilled | undefined> {
    try {
      const prefilled = await this.prefill(req, bodies, prefills, headers, client, started);
      this.fallbackNotice.served(req.model);
      return prefilled;
    } catch (err) {
      return this.fallBackFrom(err, req, prefills);
    }
  }

  /** After a failed prefill step: none (decode alone) with `--pd-fallback decode` and an engine failure, else throws. */
  private fallBackFrom(err: unknown, req: ProxiedRequest, prefills: readonly Endpoint[]): undefined {
    if (!(err instanceof EngineFailure) || this.options.fallback !== 'decode') throw err;
    if (this.deps.log.enabled('debug')) this.deps.log.debug(`${req.requestId} prefill failed: ${err.why}`);
    return this.fellBack(req, 'prefill_failed', prefills);
  }

  /** Decode's step after the prefill's (or none): the request plus, orchestrated, the router's kv_transfer_params. */
  private decodeAfter(
    req: ProxiedRequest,
    res: ServerResponse,
    bodies: PdBodies,
    decodes: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    client: ClientLink,
    started: number,
    prefilled: Prefilled | undefined,
  ): Promise<void> {
    // parseBody dropped the client's kv_transfer_params
    const kv = prefilled?.kv;
    const body = bodies.with(kv === undefined ? bodies.own : { ...bodies.own, kv_transfer_params: kv });
    const cached = prefilled?.cachedTokens;
    return this.decode(
      req,
      res,
      decodes,
      headers,
      body,
      client,
      started,
      cached === undefined ? undefined : () => cached,
    );
  }

  /**
   * `--pd-dispatch concurrent`: the prefill and the decode leg leave at once (decode with the push-mode
   * `kv_transfer_params` of nixl-push.ts, both with one `transfer_id`). Either leg failing cancels the other: a
   * failed prefill cancels decode (which would wait for a push that never comes) and is then handled as in the serial
   * flow (one retry on another prefill engine, serially, or the fallback); a failed decode cancels prefill and the
   * client gets decode's error (a decode engine that cannot be reached is first replaced once, as in the serial
   * flow). A decode answer complete before the prefill's cancels the prefill too (decode needed nothing from it, e.g.
   * it had the whole prompt cached), so the client never waits on a leg.
   */
  private async concurrent(
    req: ProxiedRequest,
    res: ServerResponse,
    bodies: PdBodies,
    prefill: Endpoint,
    coords: PushCoords,
    prefills: readonly Endpoint[],
    decodes: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    client: ClientLink,
    started: number,
  ): Promise<void> {
    const { deps } = this;
    const transferId = randomUUID();
    const prefillRaw = bodies.with(prefillBody(bodies.own, true, transferId));
    const kv = pushDecodeParams(coords, hostOf(prefill.url), req.requestId, transferId);
    const decodeRaw = bodies.with({ ...bodies.own, kv_transfer_params: kv });
    const prefillLeg = new Leg(client);
    const decodeLeg = new Leg(client);
    let cached: number | undefined;
    const prefillRun: Promise<unknown> = this.prefillOn(prefill, req, headers, prefillLeg, prefillRaw, undefined).then(
      (prefilled) => {
        cached = prefilled.cachedTokens;
        this.fallbackNotice.served(req.model);
        return undefined;
      },
      (err: unknown) => {
        if (!(err instanceof Aborted))
          decodeLeg.cancel(err instanceof EngineFailure ? err.error() : asRouterError(err));
        return err;
      },
    );
    let decoding: { endpoint: Endpoint; call: StartedCall };
    try {
      decoding = await this.startDecode(req, decodes, headers, decodeRaw, decodeLeg, started);
    } catch (err) {
      if (!decodeLeg.cancelled) {
        prefillLeg.abort();
        await prefillRun;
        throw err;
      }
      // the prefill failed before decode answered: a retry on another prefill engine (serially), or the fallback
      const failure = await prefillRun;
      const others = prefills.filter((e) => e.url !== prefill.url);
      const left = deps.upstream.firstByteTimeoutMs - (performance.now() - started);
      let prefilled: Prefilled | undefined;
      if (failure instanceof EngineFailure && failure.retryable && others.length > 0 && left > 0) {
        deps.log.warn(`Prefill engine ${prefill.url} ${failure.why} for request ${req.requestId}; trying another`);
        const other = [this.prefillBalancer.pick(others)];
        prefilled = await this.prefillOrFallback(req, bodies, other, headers, client, started);
      } else prefilled = this.fallBackFrom(failure, req, prefills);
      if (client.gone) return;
      return this.decodeAfter(req, res, bodies, decodes, headers, client, started, prefilled);
    }
    const transform = coords.reportsCachedTokens ? () => cached : undefined;
    try {
      await this.answer(req, res, decoding.endpoint, decoding.call, decodeLeg, transform);
    } finally {
      prefillLeg.abort(); // a no-op once the prefill is done
      await prefillRun;
    }
  }

  /** Counts (and warns of) a request that decode serves alone because no prefill engine could. */
  private fellBack(req: ProxiedRequest, reason: FallbackReason, prefills: readonly Endpoint[]): undefined {
    this.deps.metrics.pdDecodeOnly.inc({ model: req.model, reason });
    this.fallbackNotice.fellBack(
      req.model,
      reason,
      prefills.map((e) => e.url),
      req.requestId,
    );
    return undefined;
  }

  /**
   * Runs `step` on the least loaded of `candidates`. An engine failure that is `retryable` is tried once more on
   * another candidate; for prefill only while the request's time budget (the first-byte timeout, from its arrival)
   * lasts, the retry getting what is left of it as its first-byte timeout.
   */
  private async onEngine<T>(
    side: 'prefiller' | 'decoder',
    balancer: LeastLoaded,
    candidates: readonly Endpoint[],
    req: ProxiedRequest,
    started: number,
    step: (endpoint: Endpoint, firstByteTimeoutMs?: number) => Promise<T>,
  ): Promise<T> {
    const tried = new Set<string>();
    let timeoutMs: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const endpoint = balancer.pick(candidates, tried);
      tried.add(endpoint.url);
      try {
        return await step(endpoint, timeoutMs);
      } catch (err) {
        if (!(err instanceof EngineFailure) || !err.retryable) throw err;
        if (side === 'prefiller') {
          timeoutMs = Math.floor(this.deps.upstream.firstByteTimeoutMs - (performance.now() - started));
          if (timeoutMs <= 0) throw err;
        }
        if (attempt > 0 || !candidates.some((e) => !tried.has(e.url))) throw err;
        const role = side === 'prefiller' ? 'Prefill' : 'Decode';
        this.deps.log.warn(`${role} engine ${endpoint.url} ${err.why} for request ${req.requestId}; trying another`);
      }
    }
  }

  /** Starts the request on `endpoint`; a transport failure is an EngineFailure (retryable when unreachable). */
  private async start(
    side: 'prefiller' | 'decoder',
    endpoint: Endpoint,
    req: ProxiedRequest,
    client: CallLink,
    headers: Record<string, string | string[]>,
    body: UpstreamBody,
    firstByteTimeoutMs: number | undefined,
  ): Promise<StartedCall> {
    try {
      const leg = side === 'prefiller' ? 'prefill' : 'decode';
      return await startCall(this.deps, client, req, leg, endpoint.url, 'POST', headers, body, firstByteTimeoutMs);
    } catch (err) {
      if (isAbort(err) || err instanceof Cancelled) throw new Aborted();
      const unreachable = isUnreachable(err);
      throw new EngineFailure(
        () => transportError(this.deps.log, side, endpoint.url, err, req.requestId),
        unreachable,
        unreachable ? 'cannot be reached' : `failed (${(err as { code?: string } | null)?.code ?? 'error'})`,
      );
    }
  }

  /** Runs the prefill step (retried once on another engine, see onEngine). */
  private async prefill(
    req: ProxiedRequest,
    bodies: PdBodies,
    prefills: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    client: ClientLink,
    started: number,
  ): Promise<Prefilled> {
    const body = bodies.with(prefillBody(bodies.own, this.options.orchestrated));
    return this.onEngine('prefiller', this.prefillBalancer, prefills, req, started, (endpoint, timeoutMs) =>
      this.prefillOn(endpoint, req, headers, client, body, timeoutMs),
    );
  }

  /** One prefill attempt on `endpoint`. */
  private async prefillOn(
    endpoint: Endpoint,
    req: ProxiedRequest,
    headers: Record<string, string | string[]>,
    client: CallLink,
    body: UpstreamBody,
    firstByteTimeoutMs: number | undefined,
  ): Promise<Prefilled> {
    const { deps } = this;
    const call = await this.start('prefiller', endpoint, req, client, headers, body, firstByteTimeoutMs);
    const { tracker, upstream: res, leg } = call;
    let text: string;
    try {
      text = await res.text(req.lease, leg && (() => leg.firstByte()));
    } catch (err) {
      account(deps, call, endpoint.url, req.model, failureType(err, 'stream_error'));
      if (isAbort(err) || err instanceof Cancelled) throw new Aborted();
      if (err instanceof RouterError || err instanceof UpstreamBodyTooLarge)
        throw transportError(deps.log, 'prefiller', endpoint.url, err, req.requestId);
      throw new EngineFailure(
        () => transportError(deps.log, 'prefiller', endpoint.url, err, req.requestId),
        false,
        'failed mid-answer',
      );
    }
    tracker.firstByte();
    if (res.status >= 300) {
      account(deps, call, endpoint.url, req.model, `http_${res.status}`);
      if (res.status < 400) throw redirectError(deps.log, 'prefiller', endpoint.url, res.status, req.requestId);
      const error = () =>
        new RouterError(res.status, 'prefiller_error', `Prefiller error: ${engineErrorMessage(text, res.status)}`);
      if (res.status < 500) throw error();
      throw new EngineFailure(error, TRANSIENT.has(res.status), `answered HTTP ${res.status}`);
    }
    if (deps.log.enabled('debug')) deps.log.debug(`${req.requestId} prefill done on ${endpoint.url}`);
    if (!this.options.orchestrated) {
      account(deps, call, endpoint.url, req.model);
      const cachedTokens = cachedTokensOf(text);
      return cachedTokens === undefined ? {} : { cachedTokens };
    }
    let kv: Record<string, unknown> | string;
    let cachedTokens: number | undefined;
    try {
      const answer = JSON.parse(text) as { kv_transfer_params?: unknown };
      kv = decodeKvParams(answer.kv_transfer_params, hostOf(endpoint.url));
      cachedTokens = cachedTokensIn(answer);
    } catch {
      kv = 'the answer is not JSON';
    }
    if (typeof kv === 'string') {
      account(deps, call, endpoint.url, req.model, 'invalid_kv_transfer_params');
      deps.log.warn(
        `Prefill answer of ${endpoint.url} for request ${req.requestId}: unusable kv_transfer_params (${kv})`,
      );
      throw new RouterError(
        502,
        'prefiller_error',
        `Prefiller error: the prefill answer has no usable kv_transfer_params (${kv}).`,
      );
    }
    account(deps, call, endpoint.url, req.model);
    this.push?.learn(endpoint.url, kv, cachedTokens !== undefined);
    return cachedTokens === undefined ? { kv } : { kv, cachedTokens };
  }

  private async decode(
    req: ProxiedRequest,
    res: ServerResponse,
    decodes: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    body: UpstreamBody,
    client: ClientLink,
    started: number,
    cachedTokens: (() => number | undefined) | undefined,
  ): Promise<void> {
    const { endpoint, call } = await this.startDecode(req, decodes, headers, body, client, started);
    await this.answer(req, res, endpoint, call, client, cachedTokens);
  }

  /** Starts the decode leg on the least loaded decode engine, replaced once by another when it cannot be reached. */
  private startDecode(
    req: ProxiedRequest,
    decodes: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    body: UpstreamBody,
    link: CallLink,
    started: number,
  ): Promise<{ endpoint: Endpoint; call: StartedCall }> {
    return this.onEngine('decoder', this.decodeBalancer, decodes, req, started, async (endpoint) => ({
      endpoint,
      call: await this.start('decoder', endpoint, req, link, headers, body, undefined),
    }));
  }

  /**
   * Decode's answer to the client: an error status as the client's error, else relayed, with the prefill's
   * `cached_tokens` (when `cachedTokens` gives one at the time decode's usage goes out).
   */
  private async answer(
    req: ProxiedRequest,
    res: ServerResponse,
    endpoint: Endpoint,
    call: StartedCall,
    link: CallLink,
    cachedTokens: (() => number | undefined) | undefined,
  ): Promise<void> {
    const { deps } = this;
    const { upstream } = call;
    if (upstream.status >= 300 && upstream.status < 400) {
      upstream.abort();
      account(deps, call, endpoint.url, req.model, `http_${upstream.status}`);
      throw redirectError(deps.log, 'decoder', endpoint.url, upstream.status, req.requestId);
    }
    if (upstream.status >= 400) {
      let text = '';
      let failure: unknown;
      try {
        text = await upstream.text(req.lease);
      } catch (err) {
        failure = err;
      }
      account(deps, call, endpoint.url, req.model, `http_${upstream.status}`);
      // too long, or over the buffer budget: said as such; an engine that broke mid-way leaves its status alone
      if (failure instanceof UpstreamBodyTooLarge || failure instanceof RouterError) {
        throw transportError(deps.log, 'decoder', endpoint.url, failure, req.requestId);
      }
      throw new RouterError(
        upstream.status,
        'decoder_error',
        `Decoder error: ${engineErrorMessage(text, upstream.status)}`,
      );
    }
    const streaming = isStreaming(req.body);
    const out = responseHeaders(upstream.headers, req.requestId);
    if (!out['content-type']) out['content-type'] = streaming ? 'text/event-stream' : 'application/json';
    const transform =
      cachedTokens === undefined
        ? undefined
        : cachedTokensTransform(cachedTokens, streaming, req.lease, deps.upstream.maxBodyBytes);
    await relay(deps, link, req, 'decoder', endpoint.url, call, res, out, !streaming, undefined, transform);
  }
}

/**
 * One leg of a concurrent dispatch: tracked alongside the other (the client going away aborts both) and cancellable
 * on its own, with the other leg's error (`cancel`) or as an abandoned call (`abort`).
 */
class Leg implements CallLink {
  private exchange: Exchange | undefined;
  private pending: Error | undefined;
  cancelled = false;

  constructor(private readonly client: ClientLink) {}

  get gone(): boolean {
    return this.client.gone;
  }

  track(ex: Exchange): Exchange {
    this.exchange = ex;
    this.client.track(ex, true);
    if (this.pending) ex.abort(this.pending);
    return ex;
  }

  cancel(cause: RouterError): void {
    this.cancelled = true;
    this.stop(new Cancelled(cause));
  }

  /** Abandons the leg: the other one answered or failed. */
  abort(): void {
    this.stop(new Cancelled(new RouterError(502, 'cancelled', 'The other leg answered or failed.')));
  }

  private stop(reason: Error): void {
    if (this.exchange) this.exchange.abort(reason);
    else this.pending ??= reason;
  }
}

function asRouterError(err: unknown): RouterError {
  return err instanceof RouterError ? err : new RouterError(502, 'prefiller_error', 'Prefiller failed.');
}

/** Prefill answers tried again on another prefill engine (llm-d's sidecar retries the same ones). */
const TRANSIENT = new Set([502, 503, 504]);
