/**
 * The one place that talks to engines on the data path: a keep-alive undici Agent (pipelining 1), the connect and
 * first-byte timeouts, the hop-by-hop header rules (both directions) and the mapping of transport failures to
 * OpenAI-style errors.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { RouterError } from '../errors.js';
import { type Lease, overloaded } from './buffers.js';
import type { Logger } from '../log.js';

/**
 * Headers that describe one connection, never the message (RFC 9110 §7.6.1), plus the proxy credentials meant for
 * the router alone: never forwarded in either direction, nor is any header the `Connection` header names.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the router replaces: undici sets `host` and `content-length` for the body it sends (for a body of
 * parts the router declares the length itself: Upstream.exchange); `expect` is answered by the router itself (app.ts);
 * every body is read as identity-encoded JSON or form (a `content-encoding` other than identity is refused), so the
 * engine's copy has none either; `x-request-id` is the router's own.
 */
const REPLACED_REQUEST = new Set(['host', 'content-length', 'content-encoding', 'expect', 'x-request-id']);
/** Response headers the router replaces (`x-request-id`) or keeps to itself (`server`). */
const REPLACED_RESPONSE = new Set(['server', 'x-request-id']);

/** The header names listed in a `Connection` value, or undefined when it names only `keep-alive` / `close`. */
function connectionNamed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  let named: Set<string> | undefined;
  for (const token of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'keep-alive' || name === 'close') continue;
    (named ??= new Set()).add(name);
  }
  return named;
}

/** The one filter of both directions: copies `from` minus hop-by-hop, `Connection`-named and `replaced` headers. */
function endToEnd(
  from: Readonly<Record<string, string | string[] | undefined>>,
  replaced: ReadonlySet<string>,
  requestId: string,
): Record<string, string | string[]> {
  const named = connectionNamed(from.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in from) {
    const v = from[name];
    if (v === undefined || HOP_BY_HOP.has(name) || replaced.has(name) || named?.has(name)) continue;
    out[name] = v;
  }
  out['x-request-id'] = requestId;
  return out;
}

/** What an engine gets of the client's headers. */
export function requestHeaders(incoming: IncomingHttpHeaders, requestId: string): Record<string, string | string[]> {
  return endToEnd(incoming, REPLACED_REQUEST, requestId);
}

/** What the client gets of an engine's answer headers. */
export function responseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
  requestId: string,
): OutgoingHttpHeaders {
  return endToEnd(upstream, REPLACED_RESPONSE, requestId);
}

/**
 * A body for an engine: text, bytes, or byte parts sent one after the other (pd-body.ts: a large prompt's shared
 * bytes and a leg's own keys), whose total the router declares as `content-length`.
 */
export type UpstreamBody = string | Buffer | readonly Buffer[];

export interface UpstreamCall {
  readonly url: string;
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string | string[]>;
  readonly body: UpstreamBody | null;
  /** A shorter first-byte timeout than `--upstream-first-byte-timeout-seconds` (the rest of a request's budget). */
  readonly firstByteTimeoutMs?: number;
}

/** Errors that prove the request never reached the engine, so another engine may be tried. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EADDRNOTAVAIL',
]);

export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && UNREACHABLE.has(code);
}

export function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | null;
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED';
}

/**
 * A call cancelled because the other leg of its P/D request failed (pd.ts, concurrent dispatch): the client gets the
 * other leg's error, and the cancelled call counts as `cancelled`.
 */
export class Cancelled extends Error {
  constructor(readonly cause: RouterError) {
    super(`cancelled: ${cause.message}`);
  }
}

/** An engine answer longer than the router reads whole (`--max-upstream-body-bytes`). */
export class UpstreamBodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes (--max-upstream-body-bytes)`);
  }
}

/**
 * Reads a body whole (an undici `request()` body or a fetch body) as text, stopping (which destroys the stream) with
 * UpstreamBodyTooLarge past `limit` bytes: for the router's own calls to engines (`/metrics`, `/v1/models`).
 */
export async function readLimited(body: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit) throw new UpstreamBodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, bytes).toString('utf8');
}

/**
 * Maps a failure talking to `url` to the client-visible error (`side` names the engine role): its kind and code, or
 * for an over-long answer the flag it exceeded. The engine's URL and the error's detail (which names addresses) go to
 * the log, never to the client. A RouterError (the buffer budget is spent) is answered as it is.
 */
export function transportError(log: Logger, side: string, url: string, err: unknown, requestId: string): RouterError {
  if (err instanceof RouterError) return err;
  if (err instanceof Cancelled) return err.cause;
  const code = (err as { code?: string } | null)?.code ?? '';
  const detail = (err as Error | null)?.message ?? String(err);
  const timedOut =
    code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
  const what = timedOut ? 'timed out' : isUnreachable(err) ? 'cannot be reached' : 'failed';
  log.warn(`${capitalise(side)} ${url} ${what} for request ${requestId}: ${detail}`);
  return new RouterError(
    timedOut ? 504 : 502,
    `${side}_error`,
    `${capitalise(side)} ${what}${err instanceof UpstreamBodyTooLarge ? `: ${err.message}` : code ? ` (${code})` : ''}.`,
  );
}

/**
 * An engine's redirect: never an answer of vLLM, and its `Location` (an internal address, or one a hostile engine
 * chose) is not the client's to follow. Logged with the URL; the client gets a 502.
 */
export function redirectError(log: Logger, side: string, url: string, status: number, requestId: string): RouterError {
  log.warn(`${capitalise(side)} ${url} answered request ${requestId} with a redirect (HTTP ${status})`);
  return new RouterError(502, `${side}_error`, `${capitalise(side)} answered with a redirect (HTTP ${status}).`);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The message of an engine's error body (OpenAI or FastAPI shape), else the raw text. */
export function engineErrorMessage(text: string, status: number): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    if (typeof j.error === 'object' && typeof j.error?.message === 'string') return j.error.message;
    if (typeof j.error === 'string') return j.error;
    if (typeof j.message === 'string') return j.message;
    if (typeof j.detail === 'string') return j.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim() === '' ? `HTTP ${status}` : text.slice(0, 1000);
}

const lengthOf = (parts: readonly Buffer[]) => parts.reduce((n, p) => n + p.length, 0);

export class Upstream {
  private readonly agent: Agent;

  /** `maxBodyBytes`: the longest answer `Exchange.text()` reads (`--max-upstream-body-bytes`). */
  constructor(
    connectTimeoutMs: number,
    /** `--upstream-first-byte-timeout-seconds`: also the time budget of a P/D request's prefill step (pd.ts). */
    readonly firstByteTimeoutMs: number,
    readonly maxBodyBytes: number,
  ) {
    this.agent = new Agent({
      connect: { timeout: connectTimeoutMs },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      pipelining: 1,
      // the Agent hands these to every pool and client it creates, so each request gets them
      headersTimeout: firstByteTimeoutMs,
      bodyTimeout: firstByteTimeoutMs,
    });
  }

  /**
   * Starts one request; the returned exchange delivers the answer (callbacks, no intermediate streams). The call's
   * headers are read before this returns: the Agent's pools have no connection limit, so undici builds its request
   * (copying the headers) within `dispatch` instead of queueing the options. A request's calls therefore share one
   * headers object whose `traceparent` each call sets (tracing.ts `propagate`). A `connections` limit would break
   * that, and so would interceptors that dispatch the options later (`dns`) or again (`retry`, `redirect`).
   */
  exchange(c: UpstreamCall): Exchange {
    const ex = new Exchange(this.maxBodyBytes);
    this.agent.dispatch(
      {
        origin: c.url,
        path: c.path,
        method: c.method,
        headers: Array.isArray(c.body) ? { ...c.headers, 'content-length': String(lengthOf(c.body)) } : c.headers,
        // a stream per call: a call retried on another engine sends the parts again
        body: Array.isArray(c.body) ? Readable.from(c.body, { objectMode: false }) : (c.body as string | Buffer | null),
        ...(c.firstByteTimeoutMs !== undefined
          ? { headersTimeout: c.firstByteTimeoutMs, bodyTimeout: c.firstByteTimeoutMs }
          : {}),
      },
      ex,
    );
    return ex;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

class AbortError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the client went away');
  }
}

/** Rewrites an answer's body on its way to the client: each chunk's replacement ('' holds it back), then the rest. */
export interface BodyTransform {
  chunk(c: Buffer): Buffer | string;
  end(): Buffer | string;
}

interface Sink {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

/**
 * One upstream request as an undici dispatch handler: `started` resolves with the status and headers; the body is
 * then consumed with `text()` or `pipe()`. Chunks that arrive before a consumer attaches are held.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly started: Promise<Exchange>;
  private resolveStart!: (ex: Exchange) => void;
  private rejectStart!: (err: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private abortRequested: Error | undefined;
  private sink: Sink | undefined;
  private held: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;

  constructor(private readonly maxBodyBytes: number) {
    this.started = new Promise((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
  }

  /**
   * Aborts the request (the engine sees its connection closed); a no-op once the answer is complete. The consumer
   * fails with `reason`: by default an AbortError (the client went away).
   */
  abort(reason: Error = new AbortError()): void {
    if (this.ended || this.failure) return;
    if (this.controller) this.controller.abort(reason);
    else this.abortRequested = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortRequested) controller.abort(this.abortRequested);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return;
    this.status = status;
    this.headers = headers;
    this.resolveStart(this);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sink) this.sink.data(chunk);
    else this.held.push(chunk);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.sink?.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.failure = err;
    if (this.status === 0) this.rejectStart(err);
    else this.sink?.error(err);
  }

  private attach(sink: Sink): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const chunk of held) sink.data(chunk);
    if (this.failure) sink.error(this.failure);
    else if (this.ended) sink.end();
  }

  /**
   * The whole body as text. Rejects (and aborts the request) with UpstreamBodyTooLarge past `--max-upstream-body-bytes`,
   * or with the 503 of the buffer budget when `lease` cannot take the bytes. `onFirstByte` runs at the first chunk.
   */
  text(lease: Lease, onFirstByte?: () => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let failed = false;
      const fail = (err: Error) => {
        failed = true;
        this.controller?.abort(err);
        reject(err);
      };
      this.attach({
        data: (c) => {
          if (failed) return;
          if (bytes === 0) onFirstByte?.();
          bytes += c.length;
          if (bytes > this.maxBodyBytes) return fail(new UpstreamBodyTooLarge(this.maxBodyBytes));
          if (!lease.take(c.length)) return fail(overloaded());
          chunks.push(c);
        },
        end: () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
        error: (err) => {
          if (!failed) reject(err);
        },
      });
    });
  }

  /**
   * Streams the body to the client as it arrives, with back-pressure. The status and headers go out with the first
   * chunk (or the end), so an engine that fails before its first body byte (a stall after its headers) leaves the
   * client's answer unstarted: the caller can still answer an error. `onFirstByte` runs at the first chunk. Resolves
   * with the body when `keep` is given, the body was at most 1 MiB and the lease could take its bytes; rejects if the
   * engine or the client fails mid-way.
   * Writes of one parser pass leave in one syscall (the headers with the first chunk, the last chunk with the end
   * of the chunked body). With `transform`, the client gets its output instead of the engine's bytes (and no
   * `content-length`: the length may change); `keep` still keeps the engine's.
   */
  pipe(
    res: ServerResponse,
    headers: OutgoingHttpHeaders,
    onFirstByte: () => void,
    keep: Lease | undefined,
    transform?: BodyTransform,
  ): Promise<Buffer | undefined> {
    if (transform) delete headers['content-length'];
    return new Promise((resolve, reject) => {
      let kept: Buffer[] | undefined = keep ? [] : undefined;
      let keptBytes = 0;
      let first = true;
      let corked = false;
      const uncork = () => {
        corked = false;
        res.uncork();
      };
      const resume = () => this.controller?.resume();
      this.attach({
        data: (chunk) => {
          if (first) {
            first = false;
            res.writeHead(this.status, headers);
            onFirstByte();
          }
          if (kept) {
            keptBytes += chunk.length;
            if (keptBytes <= 1 << 20 && keep!.take(chunk.length)) kept.push(chunk);
            else kept = undefined;
          }
          const out = transform ? transform.chunk(chunk) : chunk;
          if (out.length === 0) return;
          if (!corked) {
            corked = true;
            res.cork();
            process.nextTick(uncork);
          }
          if (!res.write(out)) {
            this.controller?.pause();
            res.once('drain', resume);
          }
        },
        end: () => {
          if (first) {
            res.writeHead(this.status, headers);
            onFirstByte();
          }
          const last = transform?.end();
          if (last !== undefined && last.length > 0) res.end(last);
          else res.end();
          resolve(kept ? Buffer.concat(kept) : undefined);
        },
        error: reject,
      });
    });
  }
}
