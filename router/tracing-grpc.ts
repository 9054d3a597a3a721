/**
 * OTLP/gRPC's one call, the unary `TraceService/Export`, over Node's own HTTP/2 (`node:http2`): the transport the
 * SDK's export delegate sends through (tracing.ts builds the delegate with the SDK's `createOtlpNetworkExportDelegate`,
 * which keeps its export timeout and bounded concurrency, and takes the headers, compression and timeout from the
 * SDK's own OTLP/gRPC configuration: `OTEL_EXPORTER_OTLP_HEADERS`, `_COMPRESSION`, `_TIMEOUT`).
 *
 * Not `@grpc/grpc-js`'s client (the SDK's transport), for its cost: one of the router's batches (about 170 KB for
 * 512 spans, the spans of about 170 P/D requests) cost the sender 0.94–0.97 ms of CPU through it and 0.54–0.56 ms
 * over `node:http2`, about 2.4 µs less per traced request (README, "Benchmarks", "Where tracing's cost is"). The
 * call is small enough to write: a POST of one length-prefixed message, its answer's status in the trailers (gRPC's
 * HTTP/2 protocol).
 *
 * One HTTP/2 session, opened at the first export and again after it closes (a collector restarting, GOAWAY) or after
 * an export got no answer in its timeout (a collector gone without closing its connection); neither the session nor
 * a call in flight holds the router's exit. A failed call is a `failure` for the delegate (the SDK's gRPC transport
 * does not retry either): its error names the gRPC status or the transport error, never the metadata sent.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from 'node:http2';
import { gunzipSync, gzip } from 'node:zlib';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';

/** The OTLP trace service's Export method. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** gRPC status codes by number, for the error of a failed call. */
const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Why a call could not be made from the configured metadata (the values, which may be credentials, left out). */
export const METADATA_REFUSED =
  'the OTLP export headers (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS) are not valid gRPC metadata: keys lowercase, values printable ASCII';

/** `grpc-timeout` takes at most 8 digits. */
const MAX_TIMEOUT_DIGITS = 99_999_999;

export interface GrpcTransportProps {
  /** The collector's `host:port`. */
  readonly address: string;
  /** TLS (`https`), trusting Node's CAs (its bundled ones and `NODE_EXTRA_CA_CERTS`); plain HTTP/2 otherwise. */
  readonly tls: boolean;
  /**
   * The metadata sent with every call (the SDK's configuration: `OTEL_EXPORTER_OTLP_HEADERS`), as gRPC's `Metadata`;
   * asked once, at the first call.
   */
  readonly metadata: () => { getMap(): Record<string, string | Buffer> };
  /** Gzip the message (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`). @default false */
  readonly gzip?: boolean;
  readonly userAgent: string;
}

export class GrpcTransport implements IExporterTransport {
  private session: ClientHttp2Session | undefined;
  private headers: Record<string, string> | undefined;

  constructor(private readonly props: GrpcTransportProps) {}

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    let headers: Record<string, string>;
    try {
      headers = this.headers ??= this.requestHeaders();
    } catch {
      // gRPC's Metadata names the value it refuses: the error must not carry it into the log
      return Promise.resolve({ status: 'failure', error: new Error(METADATA_REFUSED) });
    }
    if (!this.props.gzip) return this.call(headers, data, 0, timeoutMillis);
    return new Promise((resolve) =>
      gzip(data, (err, zipped) =>
        err ? resolve({ status: 'failure', error: err }) : resolve(this.call(headers, zipped, 1, timeoutMillis)),
      ),
    );
  }

  shutdown(): void {
    this.session?.close();
    this.session = undefined;
  }

  private requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: TRACE_EXPORT_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': this.props.userAgent,
      ...(this.props.gzip ? { 'grpc-encoding': 'gzip' } : {}),
    };
    for (const [key, value] of Object.entries(this.props.metadata().getMap())) {
      // binary metadata (`-bin` keys) travels base64-encoded; the call's own headers above stay the call's
      if (!(key in headers)) headers[key] = typeof value === 'string' ? value : value.toString('base64');
    }
    return headers;
  }

  private open(): ClientHttp2Session {
    const live = this.session;
    if (live !== undefined && !live.closed && !live.destroyed) return live;
    const session = connect(`${this.props.tls ? 'https' : 'http'}://${this.props.address}`);
    // a session's error reaches its open calls as theirs; the next export opens a new session
    session.on('error', () => undefined);
    session.once('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }

  private call(headers: Record<string, string>, message: Uint8Array, flag: 0 | 1, timeoutMillis: number) {
    let session: ClientHttp2Session;
    try {
      session = this.open();
    } catch (err) {
      return Promise.resolve<ExportResponse>({ status: 'failure', error: asError(err) });
    }
    return new Promise<ExportResponse>((resolve) => {
      let settled = false;
      const settle = (response: ExportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      };
      let stream: ClientHttp2Stream | undefined;
      const timer = setTimeout(() => {
        stream?.close(constants.NGHTTP2_CANCEL);
        // a connection that answers nothing (still connecting, or half-open) is not reused: the next export reconnects
        session.destroy();
        settle({ status: 'failure', error: new Error(`DEADLINE_EXCEEDED: no answer in ${timeoutMillis} ms`) });
      }, timeoutMillis);
      timer.unref();
      try {
        stream = session.request({
          ...headers,
          'grpc-timeout': `${Math.min(Math.ceil(timeoutMillis), MAX_TIMEOUT_DIGITS)}m`,
        });
      } catch (err) {
        clearTimeout(timer);
        return resolve({ status: 'failure', error: asError(err) });
      }
      let httpStatus: number | undefined;
      let grpcStatus: string | undefined;
      let grpcMessage: string | undefined;
      const chunks: Buffer[] = [];
      const status = (h: Record<string, unknown>) => {
        if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) grpcMessage = String(h['grpc-message']);
      };
      stream.on('response', (h) => {
        httpStatus = Number(h[constants.HTTP2_HEADER_STATUS]);
        status(h); // a trailers-only answer carries its status in the headers
      });
      stream.on('trailers', status);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => settle({ status: 'failure', error: err }));
      stream.on('close', () => settle(answer(httpStatus, grpcStatus, grpcMessage, chunks)));
      // one buffer, one write: a separate 5-byte prefix write cost more than copying the message
      const framed = Buffer.allocUnsafe(5 + message.length);
      framed[0] = flag;
      framed.writeUInt32BE(message.length, 1);
      framed.set(message, 5);
      stream.end(framed);
    });
  }
}

/** The result of a call that closed without a transport error. */
function answer(
  httpStatus: number | undefined,
  grpcStatus: string | undefined,
  grpcMessage: string | undefined,
  chunks: readonly Buffer[],
): ExportResponse {
  if (grpcStatus === '0') {
    try {
      return { status: 'success', data: unframe(Buffer.concat(chunks)) };
    } catch (err) {
      return { status: 'failure', error: asError(err) };
    }
  }
  if (grpcStatus === undefined) {
    const why = httpStatus === undefined ? 'the stream closed without an answer' : `HTTP status ${httpStatus}`;
    return { status: 'failure', error: new Error(`not a gRPC answer: ${why}`) };
  }
  const name = STATUS_NAMES[Number(grpcStatus)] ?? `status ${grpcStatus}`;
  const detail = grpcMessage ? `: ${percentDecoded(grpcMessage)}` : '';
  return { status: 'failure', error: new Error(`${name}${detail}`) };
}

/** The message of a length-prefixed answer body (empty when the answer has none). */
function unframe(body: Buffer): Uint8Array {
  if (body.length === 0) return new Uint8Array(0);
  const length = body.length < 5 ? -1 : body.readUInt32BE(1);
  if (length < 0 || body.length < 5 + length) throw new Error('a truncated gRPC answer');
  const message = body.subarray(5, 5 + length);
  return body[0] === 1 ? gunzipSync(message) : message;
}

/** `grpc-message` is percent-encoded; a malformed one is shown as sent. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
