/**
 * The bound on memory the router holds for bodies: every request body (read whole before routing) and every engine
 * answer the router reads whole (prefill answers, error bodies, sleep answers, non-streaming answers kept for token
 * counting) takes its bytes from one budget, `--max-buffered-bytes`, until the client's response closes. Past it the
 * request is answered 503 with `Retry-After` instead of growing the heap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { RouterError, bodyTooLarge } from '../errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The terms of the router's worst-case resident memory (README, "Memory"), from measurements rounded up: an idle
 * router (72 MiB measured); each byte of the buffer budget (a P/D request's body is allocated as the socket's chunks,
 * its bytes, its text, the parsed prompt and the text and bytes of the one serialization both legs share (pd-body.ts),
 * and V8 frees them when it next collects: 4.6–6.4 measured with 31 MB P/D requests); each connection (parser,
 * headers up to 16 KiB, request objects, stream buffers: 12 KiB measured with 8 KB of headers); each engine's
 * `/metrics` or `/v1/models` answer read outside the budget (its chunks, joined bytes and text).
 */
export const MEMORY_TERMS = {
  baselineBytes: 80 * MiB,
  perBufferedByte: 7,
  perConnectionBytes: 128 * KiB,
  perUpstreamBodyByte: 3,
} as const;

/** The worst-case RSS of a router with these limits in front of `engines` engines. */
export function worstCaseRss(limits: {
  readonly maxBufferedBytes: number;
  readonly maxConnections: number;
  readonly maxUpstreamBodyBytes: number;
  readonly engines: number;
}): number {
  const t = MEMORY_TERMS;
  return (
    t.baselineBytes +
    t.perBufferedByte * limits.maxBufferedBytes +
    t.perConnectionBytes * limits.maxConnections +
    t.perUpstreamBodyByte * limits.maxUpstreamBodyBytes * limits.engines
  );
}

/** Seconds a client is told to wait when the budget is spent. */
const RETRY_AFTER_SECONDS = 1;

export class BufferBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** A lease for one request, given back when `res` closes (answered, failed or abandoned). */
  leaseUntilClosed(res: ServerResponse): Lease {
    const lease = new Lease(this);
    res.once('close', lease.release);
    return lease;
  }

  /** @internal (Lease) */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** @internal (Lease) */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** The bytes one request holds; a take after the release fails, so a late reader cannot leak budget. */
export class Lease {
  private held = 0;
  private released = false;

  constructor(private readonly budget: BufferBudget) {}

  take(bytes: number): boolean {
    if (this.released || !this.budget.tryTake(bytes)) return false;
    this.held += bytes;
    return true;
  }

  readonly release = (): void => {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  };
}

/** 503 with Retry-After: the budget is spent. */
export function overloaded(): RouterError {
  return new RouterError(
    503,
    'service_unavailable',
    'The router holds as many request and answer bytes as it is configured to (--max-buffered-bytes). ' +
      'Please try again later.',
    { 'retry-after': String(RETRY_AFTER_SECONDS) },
  );
}

/**
 * Reads a request body whole: 413 past `maxBytes` (at once when `content-length` says so), 503 past the budget
 * (a declared length is taken from the lease before any byte is read). After either answer Node reads and drops the
 * rest of the body (within --client-body-timeout-seconds), so the client can read the answer and keep its connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number, lease: Lease): Promise<Buffer> {
  const length = req.headers['content-length'];
  const declared = length === undefined ? undefined : Number(length);
  if (declared !== undefined) {
    const refused = declared > maxBytes ? bodyTooLarge(maxBytes) : lease.take(declared) ? undefined : overloaded();
    if (refused) {
      dropRest(req);
      return Promise.reject(refused);
    }
  }
  return new Promise((resolve, reject) => {
    const into = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err: RouterError | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (err) {
        dropRest(req);
        reject(err);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      if (into) {
        chunk.copy(into, received);
        received += chunk.length;
        return;
      }
      received += chunk.length;
      if (received > maxBytes) return settle(bodyTooLarge(maxBytes));
      if (!lease.take(chunk.length)) return settle(overloaded());
      chunks.push(chunk);
    };
    const onEnd = () => settle(undefined, into ? into.subarray(0, received) : Buffer.concat(chunks, received));
    // the client went away (or its body timed out) before the end: nobody is left to answer
    const onClose = () => settle(new RouterError(400, 'invalid_request_error', 'The request body was not completed.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

/** Requests answered before their body was read, by connection: Node reads and drops the rest of the body. */
const unread = new WeakMap<Socket, IncomingMessage>();

function dropRest(req: IncomingMessage): void {
  unread.set(req.socket, req);
  req.resume();
}

/**
 * Whether the request in progress on `socket` was already answered and only its unread body is still arriving: a
 * timeout then closes the connection without a second answer.
 */
export function answeredBeforeBody(socket: Socket): boolean {
  return unread.get(socket)?.complete === false;
}
