/**
 * Disaggregated prefill (reference §3.6 / §3.7, with pdstack's fixes).
 *
 * 1. Prefill: the request is sent to a prefill engine with `max_tokens=1` (`max_completion_tokens=1` if present),
 *    `stream=false`, without `min_tokens`, `min_completion_tokens` and `stream_options`; in orchestrated mode with
 *    `kv_transfer_params.do_remote_decode=true`. Its answer is waited for; an unreachable prefill engine is replaced
 *    once by another one.
 * 2. Decode: the request (orchestrated: plus the NixlConnector fields of the prefill's `kv_transfer_params`, checked,
 *    `remote_host` the prefill engine's own host) is sent to a decode engine and streamed back as it arrives. An
 *    unreachable decode engine is replaced once by another one too (the request never reached it; the replacement
 *    pulls the KV from the prefill engine in orchestrated mode, or recomputes the prompt when LMCache pushed the KV
 *    to the dead peer). A prefill answer without usable params, or a redirect of either engine, is a 502.
 *
 * The router owns the hand-off: a client's `kv_transfer_params` never reaches an engine (parseBody drops them). Both
 * bodies are serialized from the one parsed request, so prefill and decode cannot read different prompts from bytes
 * JSON parsers disagree on (invalid UTF-8, `1e-400`, integers beyond 2^53).
 *
 * Every engine carrying one of the labels (exact match) and serving the model is used, the least loaded first. The
 * client's headers (Authorization, X-Request-Id, ...) reach both engines; errors before the answer starts are
 * OpenAI-style JSON with the engine's 4xx/5xx status (or 502/504 for transport failures); the client going away
 * aborts both upstream calls; both calls count in request stats and metrics.
 */
import type { ServerResponse } from 'node:http';
import type { Endpoint } from '../discovery/types.js';
import { RouterError, sendError } from '../errors.js';
import type { LeastLoaded } from '../routing/balance.js';
import {
  ClientLink,
  type ProxiedRequest,
  type ProxyDeps,
  account,
  candidatesFor,
  isStreaming,
  noEndpoint,
  relay,
  serialize,
  startCall,
  type StartedCall,
} from './shared.js';
import {
  engineErrorMessage,
  isAbort,
  isUnreachable,
  redirectError,
  requestHeaders,
  responseHeaders,
  transportError,
  UpstreamBodyTooLarge,
} from './upstream.js';

export interface PdOptions {
  readonly prefillLabels: readonly string[];
  readonly decodeLabels: readonly string[];
  /** `disaggregated_prefill_orchestrated`: vLLM NixlConnector `kv_transfer_params` hand-off. */
  readonly orchestrated: boolean;
}

/** The body the prefill engine gets (parseBody already dropped the client's `kv_transfer_params`). */
export function prefillBody(body: Readonly<Record<string, unknown>>, orchestrated: boolean): Record<string, unknown> {
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
 * older vLLM versions. Every other field is dropped; `do_remote_prefill`, `do_remote_decode` and `remote_host` are
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

export class PdProxy {
  constructor(
    private readonly deps: ProxyDeps,
    private readonly prefillBalancer: LeastLoaded,
    private readonly decodeBalancer: LeastLoaded,
    private readonly options: PdOptions,
  ) {}

  isPrefill = (e: Endpoint): boolean => this.options.prefillLabels.includes(e.modelLabel);
  isDecode = (e: Endpoint): boolean => this.options.decodeLabels.includes(e.modelLabel);

  async handle(req: ProxiedRequest, res: ServerResponse): Promise<void> {
    const { deps } = this;
    const prefills = candidatesFor(deps, req, this.isPrefill);
    const decodes = candidatesFor(deps, req, this.isDecode);
    if (prefills.length === 0 || decodes.length === 0) {
      const err = noEndpoint(deps, req.model, prefills.length === 0 ? ' (no prefill engine)' : ' (no decode engine)');
      return sendError(res, err, req.requestId);
    }
    deps.metrics.incoming.inc({ model: req.model });
    const client = new ClientLink(res);
    const headers = requestHeaders(req.incoming.headers, req.requestId);
    headers['content-type'] = 'application/json';
    try {
      // one parse, both bodies serialized from it; a too deeply nested body fails at the prefill's, before any engine
      // is called. Decode's is made once prefill is done, so the two are not held at once (memory).
      const kvParams = await this.prefill(req, prefills, headers, client);
      if (client.gone) return;
      // decode's body: the request plus, orchestrated, the router's kv_transfer_params (parseBody dropped the client's)
      const decodeRaw = Buffer.from(
        serialize(kvParams === undefined ? req.body : { ...req.body, kv_transfer_params: kvParams }),
      );
      await this.decode(req, res, decodes, headers, decodeRaw, client);
    } catch (err) {
      if (err instanceof Aborted) return;
      if (err instanceof RouterError) return sendError(res, err, req.requestId);
      throw err;
    }
  }

  /**
   * Starts the request on the least loaded of `candidates`. An engine that cannot be reached (the request never
   * left the router) is replaced once by another candidate, so a dead pod costs one connection attempt, not the
   * request; any other failure is the client's error, typed by `side` (`prefiller_error` / `decoder_error`).
   */
  private async start(
    side: 'prefiller' | 'decoder',
    balancer: LeastLoaded,
    candidates: readonly Endpoint[],
    req: ProxiedRequest,
    client: ClientLink,
    headers: Record<string, string | string[]>,
    body: string | Buffer,
  ): Promise<{ endpoint: Endpoint; call: StartedCall }> {
    const tried = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const endpoint = balancer.pick(candidates, tried);
      tried.add(endpoint.url);
      try {
        const leg = side === 'prefiller' ? 'prefill' : 'decode';
        return { endpoint, call: await startCall(this.deps, client, req, leg, endpoint.url, 'POST', headers, body) };
      } catch (err) {
        if (isAbort(err)) throw new Aborted();
        const canRetry = attempt === 0 && isUnreachable(err) && candidates.some((e) => !tried.has(e.url));
        if (!canRetry) throw transportError(this.deps.log, side, endpoint.url, err, req.requestId);
        const role = side === 'prefiller' ? 'Prefill' : 'Decode';
        this.deps.log.warn(
          `${role} engine ${endpoint.url} cannot be reached for request ${req.requestId}; trying another`,
        );
      }
    }
  }

  /** Runs the prefill step; returns the `kv_transfer_params` for decode (orchestrated mode). */
  private async prefill(
    req: ProxiedRequest,
    prefills: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    client: ClientLink,
  ): Promise<Record<string, unknown> | undefined> {
    const { deps } = this;
    const body = Buffer.from(serialize(prefillBody(req.body, this.options.orchestrated)));
    const { endpoint, call } = await this.start(
      'prefiller',
      this.prefillBalancer,
      prefills,
      req,
      client,
      headers,
      body,
    );
    const { tracker, upstream: res, leg } = call;
    let text: string;
    try {
      text = await res.text(req.lease, leg && (() => leg.firstByte()));
    } catch (err) {
      account(deps, call, endpoint.url, req.model, isAbort(err) ? 'client_disconnected' : 'stream_error');
      if (isAbort(err)) throw new Aborted();
      throw transportError(deps.log, 'prefiller', endpoint.url, err, req.requestId);
    }
    tracker.firstByte();
    if (res.status >= 300) {
      account(deps, call, endpoint.url, req.model, `http_${res.status}`);
      if (res.status < 400) throw redirectError(deps.log, 'prefiller', endpoint.url, res.status, req.requestId);
      throw new RouterError(res.status, 'prefiller_error', `Prefiller error: ${engineErrorMessage(text, res.status)}`);
    }
    if (deps.log.enabled('debug')) deps.log.debug(`${req.requestId} prefill done on ${endpoint.url}`);
    if (!this.options.orchestrated) {
      account(deps, call, endpoint.url, req.model);
      return undefined;
    }
    let kv: Record<string, unknown> | string;
    try {
      kv = decodeKvParams(
        (JSON.parse(text) as { kv_transfer_params?: unknown }).kv_transfer_params,
        hostOf(endpoint.url),
      );
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
    return kv;
  }

  private async decode(
    req: ProxiedRequest,
    res: ServerResponse,
    decodes: readonly Endpoint[],
    headers: Record<string, string | string[]>,
    body: Buffer,
    client: ClientLink,
  ): Promise<void> {
    const { deps } = this;
    const { endpoint, call } = await this.start('decoder', this.decodeBalancer, decodes, req, client, headers, body);
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
    await relay(deps, client, req, 'decoder', endpoint.url, call, res, out, !streaming);
  }
}
