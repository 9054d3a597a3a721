/**
 * OTLP/gRPC's Export call over node:http2 (router/tracing-grpc.ts), against an HTTP/2 server on 127.0.0.1 port 0
 * that answers as a collector's gRPC server would, or as a broken one: what the collector receives (path, headers,
 * the length-prefixed message, gzip), and what the SDK's delegate is told for each answer (success with the answer's
 * message; a gRPC error status, trailers-only or not; a non-gRPC answer; no answer before the timeout; a connection
 * the collector closed, then a new one). The whole router exporting to `@grpc/grpc-js`'s server is
 * otel-pd-trace.test.ts.
 */
import {
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  createServer,
} from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcTransport, TRACE_EXPORT_PATH } from '../../router/tracing-grpc.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Answer = (stream: ServerHttp2Stream) => void;

/** A length-prefixed, uncompressed gRPC message. */
function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

const ok: Answer = (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(framed(Buffer.from([0x0a, 0x00]))); // an ExportTraceServiceResponse with an empty partial_success
};

let server: Http2Server | undefined;
/** The collector's connections, in order. */
let sessions: ServerHttp2Session[] = [];
let transport: GrpcTransport | undefined;
afterEach(async () => {
  transport?.shutdown();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = transport = undefined;
});

/** A collector answering each call with `answer`, and a transport to it; what it received. */
async function collector(answer: Answer, gzip = false): Promise<Received[]> {
  const received: Received[] = [];
  server = createServer();
  sessions = [];
  server.on('session', (session) => sessions.push(session));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push({ headers, body: Buffer.concat(chunks) });
      answer(stream);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const metadata = new Metadata();
  metadata.set('authorization', 'Bearer collector-token');
  metadata.set('trace-bin', Buffer.from([1, 2, 3]));
  transport = new GrpcTransport({
    address: `127.0.0.1:${port}`,
    tls: false,
    metadata: () => metadata,
    gzip,
    userAgent: 'pdstack-router/test',
  });
  return received;
}

const REQUEST = new Uint8Array([0x0a, 0x03, 0x01, 0x02, 0x03]);

describe('OTLP/gRPC Export over node:http2', { timeout: 15_000 }, () => {
  it('sends one length-prefixed message to TraceService/Export with the metadata, and succeeds on grpc-status 0', async () => {
    const received = await collector(ok);
    const result = await transport!.send(REQUEST, 5000);
    expect(result).toEqual({ status: 'success', data: Buffer.from([0x0a, 0x00]) });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(headers[':method']).toBe('POST');
    expect(headers[':path']).toBe(TRACE_EXPORT_PATH);
    expect(headers['content-type']).toBe('application/grpc');
    expect(headers['te']).toBe('trailers');
    expect(headers['grpc-timeout']).toBe('5000m');
    expect(headers['user-agent']).toBe('pdstack-router/test');
    expect(headers['authorization']).toBe('Bearer collector-token');
    expect(headers['trace-bin']).toBe(Buffer.from([1, 2, 3]).toString('base64'));
    expect(headers['grpc-encoding']).toBeUndefined();
    expect(body).toEqual(framed(Buffer.from(REQUEST)));
  });

  it('gzip: the message is compressed, flagged and announced', async () => {
    const received = await collector(ok, true);
    expect((await transport!.send(REQUEST, 5000)).status).toBe('success');
    const { headers, body } = received[0]!;
    expect(headers['grpc-encoding']).toBe('gzip');
    expect(body[0]).toBe(1);
    expect(body.readUInt32BE(1)).toBe(body.length - 5);
    expect(new Uint8Array(gunzipSync(body.subarray(5)))).toEqual(REQUEST);
  });

  it('a gRPC error status in the trailers fails the export with its name and message', async () => {
    await collector((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': 'collector%20overloaded' }),
      );
      stream.end();
    });
    const result = await transport!.send(REQUEST, 5000);
    expect(result.status).toBe('failure');
    expect(result.status === 'failure' && result.error.message).toBe('UNAVAILABLE: collector overloaded');
  });

  it('a trailers-only error (the status in the headers) fails the export', async () => {
    await collector((stream) =>
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'no token' },
        { endStream: true },
      ),
    );
    const result = await transport!.send(REQUEST, 5000);
    expect(result.status === 'failure' && result.error.message).toBe('UNAUTHENTICATED: no token');
  });

  it('an answer without a gRPC status (a proxy error page) fails the export with its HTTP status', async () => {
    await collector((stream) => {
      stream.respond({ ':status': 503, 'content-type': 'text/plain' });
      stream.end('upstream down');
    });
    const result = await transport!.send(REQUEST, 5000);
    expect(result.status === 'failure' && result.error.message).toBe('not a gRPC answer: HTTP status 503');
  });

  it('no answer within the timeout fails the export, and the call is cancelled', async () => {
    let cancelled = false;
    await collector((stream) => stream.on('close', () => (cancelled = stream.rstCode === 8))); // NGHTTP2_CANCEL
    const result = await transport!.send(REQUEST, 200);
    expect(result.status === 'failure' && result.error.message).toBe('DEADLINE_EXCEEDED: no answer in 200 ms');
    await expect.poll(() => cancelled).toBe(true);
  });

  it('a collector that closed the connection is reached again on a new one', async () => {
    const received = await collector(ok);
    expect((await transport!.send(REQUEST, 5000)).status).toBe('success');
    // the collector ends its connection (GOAWAY), as one restarting does
    await new Promise<void>((resolve) => sessions[0]!.close(resolve));
    expect((await transport!.send(REQUEST, 5000)).status).toBe('success');
    expect(received).toHaveLength(2);
    expect(sessions).toHaveLength(2);
  });
});
