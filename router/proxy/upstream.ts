/**
 * The one place that talks to engines on the data path: a keep-alive undici Agent (pipelining 1), the connect and
 * first-byte timeouts, the hop-by-hop header rules (both directions) and the mapping of transport failures to
 * OpenAI-style errors.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { RouterError } from '../errors.js';

/** Request headers never forwarded to an engine (`x-request-id` is replaced by the router's own). */
const HOP_BY_HOP_REQUEST = new Set([
  'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length', 'upgrade', 'te',
  'trailer', 'x-request-id',
]);

/** Response headers never relayed to the client. */
const HOP_BY_HOP_RESPONSE = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'server',
]);

export function requestHeaders(incoming: IncomingHttpHeaders, requestId: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const v = incoming[name];
    if (v !== undefined && !HOP_BY_HOP_REQUEST.has(name)) out[name] = v;
  }
  out['x-request-id'] = requestId;
  return out;
}

export function responseHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
  requestId: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    const v = upstream[name];
    if (v !== undefined && !HOP_BY_HOP_RESPONSE.has(name)) out[name] = v;
  }
  out['x-request-id'] = requestId;
  return out;
}

export interface UpstreamCall {
  readonly url: string;
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string | string[]>;
  readonly body: string | Buffer | null;
  readonly signal: AbortSignal;
}

/** Errors that prove the request never reached the engine, so another engine may be tried. */
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL',
]);

export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && UNREACHABLE.has(code);
}

export function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | null;
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED';
}

/** Maps a transport failure talking to `url` to the client-visible error (`side` names the engine role). */
export function transportError(side: string, url: string, err: unknown): RouterError {
  const code = (err as { code?: string } | null)?.code ?? '';
  const detail = (err as Error | null)?.message ?? String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new RouterError(504, `${side}_error`, `${capitalise(side)} ${url} timed out: ${detail}`);
  }
  if (isUnreachable(err)) return new RouterError(502, `${side}_error`, `${capitalise(side)} ${url} cannot be reached: ${detail}`);
  return new RouterError(502, `${side}_error`, `${capitalise(side)} ${url} failed: ${detail}`);
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

export class Upstream {
  private readonly agent: Agent;

  constructor(connectTimeoutMs: number, private readonly firstByteTimeoutMs: number) {
    this.agent = new Agent({
      connect: { timeout: connectTimeoutMs },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      pipelining: 1,
      headersTimeout: firstByteTimeoutMs,
      bodyTimeout: firstByteTimeoutMs,
    });
  }

  call(c: UpstreamCall): Promise<Dispatcher.ResponseData> {
    return this.agent.request({
      origin: c.url,
      path: c.path,
      method: c.method,
      headers: c.headers,
      body: c.body,
      signal: c.signal,
      headersTimeout: this.firstByteTimeoutMs,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export interface RelayResult {
  /** The body, when `keepBody` was set and it was at most 1 MiB. */
  readonly body?: Buffer;
}

/**
 * Streams an engine answer to the client as it arrives. `onFirstByte` runs at the first body chunk. Rejects if the
 * engine or the client fails mid-way (the caller then destroys the client connection so truncation is visible).
 */
export async function relay(
  upstream: Dispatcher.ResponseData,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
  onFirstByte: () => void,
  keepBody: boolean,
): Promise<RelayResult> {
  res.writeHead(upstream.statusCode, headers);
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let first = true;
  for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      onFirstByte();
    }
    if (keepBody && keptBytes <= 1 << 20) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
    if (!res.write(chunk)) await waitDrain(res);
    if (res.destroyed) throw new Error('client connection closed');
  }
  if (first) onFirstByte();
  res.end();
  return keepBody && keptBytes <= 1 << 20 ? { body: Buffer.concat(kept) } : {};
}
