/** What both proxy paths (general and P/D) share: request parsing, candidate selection and accounting. */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Endpoint, ServiceDiscovery } from '../discovery/types.js';
import { RouterError, badRequest, sendError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EngineStatsScraper } from '../stats/engine-stats.js';
import type { RouterMetrics } from '../stats/metrics.js';
import type { RequestStatsMonitor, RequestTracker } from '../stats/request-stats.js';
import type { LegName, LegTrace, RequestTrace } from '../tracing.js';
import { withoutFailing } from '../routing/balance.js';
import type { BufferBudget, Lease } from './buffers.js';
import {
  type BodyTransform,
  Cancelled,
  type Exchange,
  type Upstream,
  type UpstreamBody,
  isAbort,
  transportError,
} from './upstream.js';

export interface ProxyDeps {
  readonly discovery: ServiceDiscovery;
  readonly upstream: Upstream;
  readonly budget: BufferBudget;
  readonly requestStats: RequestStatsMonitor;
  readonly engineStats: EngineStatsScraper;
  readonly metrics: RouterMetrics;
  readonly log: Logger;
}

/** A proxied request after validation. */
export interface ProxiedRequest {
  readonly requestId: string;
  /** Path on the engine, with the query string (minus the router's own `id` parameter). */
  readonly path: string;
  readonly incoming: IncomingMessage;
  /** What this request holds of the buffer budget (its body, engine answers read whole), until its answer closes. */
  readonly lease: Lease;
  /** Request body as sent to the engine by the general path (the client's bytes unless parseBody rewrote it). */
  readonly raw: Buffer | string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly model: string;
  /** `?id=<engineId>` pins one engine. */
  readonly engineId?: string;
  /** The request's span when tracing is on (tracing.ts). */
  readonly trace?: RequestTrace;
}

/** The client's `x-request-id` when it sent a non-empty one, else a fresh uuid4; engines and the answer get it. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && given !== '' ? given : randomUUID();
}

/** The engine path for `route` with the client's query string, minus the router's own `id` (which pins an engine). */
export function enginePath(route: string, url: string): { path: string; engineId?: string } {
  const q = url.indexOf('?');
  if (q < 0) return { path: route };
  const params = new URLSearchParams(url.slice(q + 1));
  const engineId = params.get('id') ?? undefined;
  params.delete('id');
  const rest = params.toString();
  return { path: rest ? `${route}?${rest}` : route, ...(engineId !== undefined ? { engineId } : {}) };
}

/**
 * Refuses a body with a `Content-Encoding` other than identity (415): the router reads every body as it comes, so it
 * could neither check nor route an encoded one (and never forwards the header: upstream.ts).
 */
export function checkIdentityEncoding(headers: IncomingHttpHeaders): void {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new RouterError(
      415,
      'invalid_request_error',
      `Invalid request: Content-Encoding '${encoding}' is not supported; send the body unencoded.`,
    );
  }
}

/**
 * Serializes a request body for an engine; a body nested too deeply to serialize (JSON.parse takes any depth,
 * JSON.stringify recurses) is the client's error.
 */
export function serialize(body: Readonly<Record<string, unknown>>): string {
  try {
    return JSON.stringify(body);
  } catch (err) {
    if (err instanceof RangeError) throw badRequest('Invalid request: the JSON body is nested too deeply.');
    throw err;
  }
}

/**
 * Validates the body: a JSON object with a string `model` (400 otherwise). An alias of `--static-aliases` is replaced
 * by its model, and a client's `kv_transfer_params` is dropped: the KV hand-off is the router's (pd.ts), never the
 * client's to steer. `raw` is the client's bytes when neither applies, else the serialization of `body`; with
 * `keepRaw` false it is '' (the P/D path serializes each engine's body itself and keeps no copy of the client's).
 */
export function parseBody(
  bytes: Buffer | undefined,
  aliases: ReadonlyMap<string, string>,
  keepRaw = true,
): { raw: Buffer | string; body: Record<string, unknown>; model: string } {
  let body: unknown;
  try {
    body = JSON.parse(bytes === undefined ? '' : bytes.toString('utf8'));
  } catch {
    throw badRequest('Invalid request: request body must be valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Invalid request: request body must be a JSON object.');
  }
  const model = (body as { model?: unknown }).model;
  if (typeof model !== 'string' || model === '') throw badRequest("Invalid request: missing 'model' in request body.");
  const target = aliases.get(model);
  const steered = 'kv_transfer_params' in body;
  if (target === undefined && !steered)
    return { raw: keepRaw ? bytes! : '', body: body as Record<string, unknown>, model };
  const rewritten: Record<string, unknown> = { ...body };
  if (steered) delete rewritten.kv_transfer_params;
  if (target !== undefined) rewritten.model = target;
  return { raw: keepRaw ? serialize(rewritten) : '', body: rewritten, model: target ?? model };
}

/** Endpoints serving `model` that are awake (optionally one engine by id, or restricted by a predicate). */
export function candidatesFor(
  deps: ProxyDeps,
  req: ProxiedRequest,
  accept: (e: Endpoint) => boolean = () => true,
): readonly Endpoint[] {
  const out: Endpoint[] = [];
  for (const e of deps.discovery.endpoints()) {
    if (e.sleep || !e.modelNames.includes(req.model) || !accept(e)) continue;
    if (req.engineId !== undefined && e.id !== req.engineId) continue;
    out.push(e);
  }
  return withoutFailing(out, deps.engineStats);
}

/** 404 for a model never served, 503 for one served before (or by other engines) but not now. */
export function noEndpoint(deps: ProxyDeps, model: string, what = ''): RouterError {
  // every model an endpoint lists has been seen (static: all backends' models; k8s: recorded when probed)
  if (!deps.discovery.hasEverSeenModel(model)) {
    return new RouterError(
      404,
      'model_not_found',
      `Model '${model}' not found. Available models can be listed at /v1/models.`,
    );
  }
  return new RouterError(
    503,
    'service_unavailable',
    `Model '${model}' is temporarily unavailable${what}. Please try again later.`,
  );
}

/** One upstream call as accounted: its stats, its span (tracing on) and, once it answered, its exchange. */
export interface AccountedCall {
  readonly tracker: RequestTracker;
  readonly leg?: LegTrace;
  readonly upstream?: Exchange;
}

/** Ends one upstream call's stats and span and records its latency (and error, if any) in the metrics. */
export function account(deps: ProxyDeps, call: AccountedCall, server: string, model: string, error?: string): void {
  const latency = call.tracker.end();
  call.leg?.end(call.upstream?.status, error);
  deps.metrics.observeLatency(server, model, error === undefined, latency);
  if (error) deps.metrics.errors.inc({ server, model, error_type: error });
}

export interface StartedCall extends AccountedCall {
  readonly upstream: Exchange;
}

/**
 * Starts one upstream call (tracked in request stats, abortable by the client). A transport failure is accounted
 * (`client_disconnected` / `connection_error`) and rethrown for the caller to decide: give up, retry or report.
 */
export async function startCall(
  deps: ProxyDeps,
  client: CallLink,
  req: ProxiedRequest,
  leg: LegName,
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string | string[]>,
  body: UpstreamBody,
  firstByteTimeoutMs?: number,
): Promise<StartedCall> {
  const tracker = deps.requestStats.begin(url);
  const span = req.trace?.leg(leg, url, method, req.path);
  span?.propagate(headers); // read by the dispatch below, before any other call of this request sets its own
  const call = {
    url,
    path: req.path,
    method,
    headers,
    body,
    ...(firstByteTimeoutMs ? { firstByteTimeoutMs } : {}),
  };
  try {
    const upstream = await client.track(deps.upstream.exchange(call)).started;
    return { tracker, upstream, leg: span };
  } catch (err) {
    account(deps, { tracker, leg: span }, url, req.model, failureType(err, 'connection_error'));
    throw err;
  }
}

/**
 * Pipes a started call's answer to the client and accounts it (with `error`, if given; token usage only without).
 * When the pipe fails the call is accounted `client_disconnected` or `stream_error` and the upstream exchange is
 * aborted. An engine failing before its first body byte (e.g. stalling after its headers) gets the client an
 * OpenAI-style error (504 on the timeout); an event stream broken mid-way ends with an OpenAI-style error event;
 * any other answer broken mid-way is cut (the client's socket destroyed), as the client went away.
 */
export async function relay(
  deps: ProxyDeps,
  client: CallLink,
  req: ProxiedRequest,
  side: string,
  server: string,
  call: StartedCall,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  keepBody: boolean,
  error?: string,
  transform?: BodyTransform,
): Promise<void> {
  const { tracker, upstream, leg } = call;
  const firstByte = leg
    ? () => {
        tracker.firstByte();
        leg.firstByte();
      }
    : () => tracker.firstByte();
  // tracing on: an event stream's usage (its last event with one, `stream_options.include_usage`) goes on the span
  const watched =
    req.trace && error === undefined && String(headers['content-type']).startsWith('text/event-stream')
      ? watchStreamUsage(req.trace, transform)
      : transform;
  try {
    const body = await upstream.pipe(res, headers, firstByte, keepBody ? req.lease : undefined, watched);
    account(deps, call, server, req.model, error);
    if (error === undefined) countUsage(deps, server, req.model, body, req.trace);
  } catch (err) {
    const gone = isAbort(err) || client.gone;
    account(deps, call, server, req.model, gone ? 'client_disconnected' : failureType(err, 'stream_error'));
    upstream.abort();
    if (gone) return void res.destroy();
    const failure = transportError(deps.log, side, server, err, req.requestId);
    if (!res.headersSent) return sendError(res, failure, req.requestId);
    if (!String(headers['content-type']).startsWith('text/event-stream')) return void res.destroy();
    // a blank line first ends an event the engine left half-sent; the client's SSE parser then reads the error
    res.end(`\n\ndata: ${JSON.stringify(failure.body())}\n\n`);
  }
}

/** Counts tokens from the `usage` of a non-streaming JSON answer (in the metrics, and on the request's span). */
export function countUsage(
  deps: ProxyDeps,
  server: string,
  model: string,
  body: Buffer | undefined,
  trace: RequestTrace | undefined,
): void {
  if (!body || body.length === 0) return;
  try {
    const usage = (
      JSON.parse(body.toString('utf8')) as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }
    ).usage;
    trace?.usage(usage?.prompt_tokens, usage?.completion_tokens);
    if (typeof usage?.prompt_tokens === 'number') deps.metrics.inputTokens.inc({ server, model }, usage.prompt_tokens);
    if (typeof usage?.completion_tokens === 'number') {
      deps.metrics.outputTokens.inc({ server, model }, usage.completion_tokens);
    }
  } catch {
    // not JSON (e.g. a stream without the stream flag): nothing to count
  }
}

/**
 * Bytes of an event stream's end kept to find its usage event: the last event before `[DONE]` (OpenAI's and vLLM's
 * `stream_options.include_usage`, about 250 bytes). Searched on every traced stream: the last 1 KiB cost 1.3 µs per
 * request of the benchmark's 3 KB streams, 4 KiB 3.2 µs.
 */
const STREAM_TAIL_BYTES = 1024;
const USAGE_KEY = Buffer.from('"usage":');

/** Where the last `"usage":` followed by an object (JSON whitespace between) is in `text`, or -1. */
function lastUsageObject(text: Buffer): number {
  for (let at = text.lastIndexOf(USAGE_KEY); at >= 0; at = at > 0 ? text.lastIndexOf(USAGE_KEY, at - 1) : -1) {
    let i = at + USAGE_KEY.length;
    while (text[i] === 0x20 || text[i] === 0x09 || text[i] === 0x0a || text[i] === 0x0d) i++;
    if (text[i] === 0x7b) return at;
  }
  return -1;
}

/**
 * A pass-through (around `inner`, if any) that keeps the last STREAM_TAIL_BYTES of an event stream and, at its end,
 * gives the request's span the `usage` of the last event that carries one.
 */
export function watchStreamUsage(trace: RequestTrace, inner: BodyTransform | undefined): BodyTransform {
  const tail: Buffer[] = [];
  let bytes = 0;
  return {
    chunk(c) {
      tail.push(c);
      bytes += c.length;
      while (tail.length > 1 && bytes - tail[0]!.length >= STREAM_TAIL_BYTES) bytes -= tail.shift()!.length;
      return inner ? inner.chunk(c) : c;
    },
    end() {
      // searched as bytes (a stream without usage, the common case, is not decoded)
      const text = Buffer.concat(tail);
      const at = lastUsageObject(text);
      const start = at < 0 ? -1 : text.lastIndexOf('data:', at);
      if (start >= 0) {
        const end = text.indexOf(0x0a, at);
        try {
          const usage = (
            JSON.parse(text.toString('utf8', start + 5, end < 0 ? undefined : end)) as {
              usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
            }
          ).usage;
          trace.usage(usage?.prompt_tokens, usage?.completion_tokens);
        } catch {
          // not an event of JSON: no usage to record
        }
      }
      return inner ? inner.end() : '';
    },
  };
}

/** What an upstream call is started through: it tracks the call's exchange and says whether to give up. */
export interface CallLink {
  readonly gone: boolean;
  track(ex: Exchange): Exchange;
}

/**
 * Aborts the current upstream exchanges (the last one tracked, or both legs of a concurrent P/D dispatch) when the
 * client goes away before its answer is complete.
 */
export class ClientLink implements CallLink {
  gone = false;
  private current: Exchange[] = [];

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (res.writableFinished) return;
      this.gone = true;
      for (const ex of this.current) ex.abort();
    });
  }

  /** Tracks `ex`; with `alongside`, the exchanges tracked so far stay tracked too (concurrent legs). */
  track(ex: Exchange, alongside = false): Exchange {
    if (alongside) this.current.push(ex);
    else this.current = [ex];
    if (this.gone) ex.abort();
    return ex;
  }
}

/** The error type a failed upstream call counts as in `vllm:request_errors_total`. */
export function failureType(err: unknown, fallback: string): string {
  return err instanceof Cancelled ? 'cancelled' : isAbort(err) ? 'client_disconnected' : fallback;
}

export function isStreaming(body: Readonly<Record<string, unknown>>): boolean {
  return body.stream === true;
}
