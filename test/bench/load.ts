/**
 * The benchmark's load generator: a lean HTTP/1.1 keep-alive client on plain `net` sockets, in the manner of wrk.
 *
 * Why not undici or the openai SDK (which the tests use): on this 2-core machine the load generator shares the CPU
 * with the router and both simulators, so what it burns is taken from the system under test. undici's `request()`
 * with a body stream costs about 0.09 ms of CPU per streamed request (a whole core at 11k req/s, which made the
 * direct arm measure the client, not the simulator); this client costs a fraction of that. It sends one prepared
 * request per connection at a time (no pipelining), parses the status line, `content-length` or chunked framing,
 * and records time to the first body byte and to the end of the body.
 *
 * A request counts as an error unless its status is 200 and its body ends with the SSE `[DONE]` event (or, for a
 * JSON answer, is non-empty). Load is bounded by a request count and a deadline; a connection that fails is counted
 * and replaced.
 */
import { type Socket, connect } from 'node:net';

export interface LoadOptions {
  readonly concurrency: number;
  readonly maxRequests: number;
  readonly maxSeconds: number;
  readonly path: string;
  readonly body: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** Milliseconds from sending a request to its first body byte (successful requests). */
  readonly ttft: number[];
  /** Milliseconds from sending a request to the end of its body (successful requests). */
  readonly e2e: number[];
}

const CRLF2 = Buffer.from('\r\n\r\n');
const DONE = Buffer.from('data: [DONE]');

/** Incremental parser of one response; `feed` returns true once the response is complete. */
class ResponseParser {
  status = 0;
  firstBodyAt = 0;
  private head: Buffer | undefined;
  private headerDone = false;
  private chunked = false;
  private remaining = 0; // body bytes left (content-length) or bytes left of the current chunk (+2 for its CRLF)
  private sizeLine = '';
  private lastChunk = false;
  private tail: Buffer = Buffer.alloc(0);
  bodyBytes = 0;

  reset(): void {
    this.status = 0;
    this.firstBodyAt = 0;
    this.head = undefined;
    this.headerDone = false;
    this.chunked = false;
    this.remaining = 0;
    this.sizeLine = '';
    this.lastChunk = false;
    this.tail = Buffer.alloc(0);
    this.bodyBytes = 0;
  }

  /** True if the body ends like a finished SSE stream (or is a non-empty JSON answer). */
  get complete(): boolean {
    return this.chunked ? this.tail.includes(DONE) : this.bodyBytes > 0;
  }

  /** Consumes `buf` from `offset`; returns the offset after the response, or -1 if more bytes are needed. */
  feed(buf: Buffer, offset: number): number {
    let i = offset;
    if (!this.headerDone) {
      const data = this.head ? Buffer.concat([this.head, buf.subarray(i)]) : buf.subarray(i);
      const end = data.indexOf(CRLF2);
      if (end < 0) {
        this.head = Buffer.from(data);
        return -1;
      }
      const head = data.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      this.chunked = /\r\ntransfer-encoding:\s*chunked/.test(lower);
      const len = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      this.remaining = this.chunked ? 0 : len ? Number(len[1]) : 0;
      this.headerDone = true;
      i += end + 4 - (this.head ? this.head.length : 0);
      this.head = undefined;
      if (!this.chunked && this.remaining === 0) return i;
    }
    if (i < buf.length && this.firstBodyAt === 0) this.firstBodyAt = performance.now();
    if (!this.chunked) {
      const take = Math.min(this.remaining, buf.length - i);
      this.bodyBytes += take;
      this.remaining -= take;
      return this.remaining === 0 ? i + take : -1;
    }
    while (i < buf.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, buf.length - i);
        const payload = Math.min(take, Math.max(0, this.remaining - 2)); // the chunk's trailing CRLF is not body
        if (payload > 0) this.keepTail(buf.subarray(i, i + payload));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && this.lastChunk) return i;
        continue;
      }
      const nl = buf.indexOf(10, i); // end of the chunk-size line
      if (nl < 0) {
        this.sizeLine += buf.toString('latin1', i);
        return -1;
      }
      const size = parseInt(this.sizeLine + buf.toString('latin1', i, nl), 16);
      this.sizeLine = '';
      i = nl + 1;
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      // the last chunk is followed by one CRLF (neither the simulator nor the router sends trailers)
      this.lastChunk = size === 0;
      this.remaining = size + 2;
    }
    return -1;
  }

  private keepTail(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    this.tail =
      chunk.length >= 64 ? chunk.subarray(chunk.length - 64) : Buffer.concat([this.tail, chunk]).subarray(-64);
  }
}

/** Sends `maxRequests` requests (or until `maxSeconds`) over `concurrency` keep-alive connections to `url`. */
export function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const { hostname, port } = new URL(url);
  const request = Buffer.from(
    `POST ${options.path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(options.body)}\r\n\r\n${options.body}`,
  );
  const ttft: number[] = [];
  const e2e: number[] = [];
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + options.maxSeconds * 1000;
  const sockets = new Set<Socket>();

  return new Promise((resolve) => {
    let open = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(hard);
      for (const s of sockets) s.destroy();
      resolve({ requests: ttft.length, errors, seconds: (performance.now() - t0) / 1000, ttft, e2e });
    };
    // a connection that hangs cannot hold the run past its deadline (plus a grace period for the last answers)
    const hard = setTimeout(
      () => {
        errors += open;
        finish();
      },
      options.maxSeconds * 1000 + 10_000,
    );

    const worker = () => {
      const parser = new ResponseParser();
      let sentAt = 0;
      let busy = false;
      const socket = connect({ host: hostname, port: Number(port), noDelay: true });
      sockets.add(socket);
      open++;
      const next = () => {
        if (started >= options.maxRequests || performance.now() >= deadline) {
          socket.end();
          return;
        }
        started++;
        busy = true;
        parser.reset();
        sentAt = performance.now();
        socket.write(request);
      };
      socket.on('connect', next);
      socket.on('data', (buf: Buffer) => {
        let offset = 0;
        while (busy && offset < buf.length) {
          let end: number;
          try {
            end = parser.feed(buf, offset);
          } catch {
            socket.destroy();
            return;
          }
          if (end < 0) return;
          offset = end;
          busy = false;
          const done = performance.now();
          if (parser.status === 200 && parser.complete) {
            ttft.push((parser.firstBodyAt || done) - sentAt);
            e2e.push(done - sentAt);
          } else errors++;
          next();
        }
      });
      socket.on('error', () => undefined); // counted on close
      socket.on('close', () => {
        sockets.delete(socket);
        open--;
        if (busy) {
          errors++;
          busy = false;
          if (!finished && started < options.maxRequests && performance.now() < deadline) return worker();
        }
        if (open === 0) finish();
      });
    };
    for (let c = 0; c < options.concurrency; c++) worker();
  });
}
