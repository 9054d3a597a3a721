/**
 * OTLP/gRPC's Export call over node:http2 (router/tracing-grpc.ts), against an HTTP/2 server on 127.0.0.1 port 0
 * that answers as a collector's gRPC server would, or as a broken one: what the collector receives (path, headers,
 * the length-prefixed message, gzip), and what the SDK's delegate is told for each answer (success with the answer's
 * message, gzipped or not; a gRPC error status, trailers-only or not; a non-gRPC answer; a truncated one; no answer
 * before the timeout, after which the connection is not reused; a refused connection; a connection the collector
 * closed, then a new one), and that no error carries the metadata's values. The whole router exporting to
 * `@grpc/grpc-js`'s server is otel-pd-trace.test.ts; its headers and compression from the environment,
 * otel-export-settings.test.ts.
 */
import {
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  createServer,
} from 'node:http2';
import { createServer as createTcpServer } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcTransport, METADATA_REFUSED, TRACE_EXPORT_PATH } from '../../router/tracing-grpc.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

type Answer = (stream: ServerHttp2Stream) => void;

/** A length-prefixed gRPC message (`flag` 1: compressed). */
function framed(message: Buffer, flag = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flag;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** An ExportTraceServiceResponse with an empty partial_success. */
const RESPONSE = Buffer.from([0x0a, 0x00]);

/** Answers grpc-status 0 with `body`. */
const answering =
  (body: Buffer, headers: Record<string, string> = {}): Answer =>
  (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...headers }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(body);
  };
const ok = answering(framed(RESPONSE));

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
async function collector(answer: Answer, gzip = false, metadata = credentials()): Promise<Received[]> {
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
const TOKEN = 'Bearer collector-token';

function credentials(): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', TOKEN);
  metadata.set('trace-bin', Buffer.from([1, 2, 3]));
  return metadata;
}

/** The failure's message, which never names the metadata's values. */
function failure(result: Awaited<ReturnType<GrpcTransport['send']>>): string {
  expect(result.status).toBe('failure');
  const message = result.status === 'failure' ? result.error.message : '';
  expect(message).not.toContain('collector-token');
  return message;
}

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
    expect(headers['authorization']).toBe(TOKEN);
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

  it('a gzipped answer is unpacked; a truncated one fails the export', async () => {
    await collector(answering(framed(gzipSync(RESPONSE), 1), { 'grpc-encoding': 'gzip' }));
    expect(await transport!.send(REQUEST, 5000)).toEqual({ status: 'success', data: RESPONSE });
    transport!.shutdown();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    await collector(answering(framed(RESPONSE).subarray(0, 6))); // declares 2 bytes, carries 1
    expect(failure(await transport!.send(REQUEST, 5000))).toBe('a truncated gRPC answer');
  });

  it('metadata gRPC refuses fails the export without naming its value', async () => {
    // as @grpc/grpc-js's Metadata refuses a value: its error names the value
    const refusing = () => {
      throw new Error(`Metadata string value "${TOKEN}\u00e9" contains illegal characters`);
    };
    await collector(ok, false, { getMap: refusing } as unknown as Metadata);
    expect(failure(await transport!.send(REQUEST, 5000))).toBe(METADATA_REFUSED);
  });

  it('a refused connection fails the export', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    transport = new GrpcTransport({ address: `127.0.0.1:${port}`, tls: false, metadata: credentials, userAgent: 'x' });
    expect(failure(await transport.send(REQUEST, 5000))).toMatch(/ECONNREFUSED/);
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
    expect(failure(result)).toBe('UNAVAILABLE: collector overloaded');
  });

  it('a trailers-only error (the status in the headers) fails the export', async () => {
    await collector((stream) =>
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'no token' },
        { endStream: true },
      ),
    );
    expect(failure(await transport!.send(REQUEST, 5000))).toBe('UNAUTHENTICATED: no token');
  });

  it('an answer without a gRPC status (a proxy error page) fails the export with its HTTP status', async () => {
    await collector((stream) => {
      stream.respond({ ':status': 503, 'content-type': 'text/plain' });
      stream.end('upstream down');
    });
    expect(failure(await transport!.send(REQUEST, 5000))).toBe('not a gRPC answer: HTTP status 503');
  });

  it('no answer within the timeout fails the export, and the next export does not reuse that connection', async () => {
    let answer = false;
    const received = await collector((stream) => (answer ? ok(stream) : undefined));
    expect(failure(await transport!.send(REQUEST, 200))).toBe('DEADLINE_EXCEEDED: no answer in 200 ms');
    answer = true;
    expect((await transport!.send(REQUEST, 5000)).status).toBe('success');
    expect(received).toHaveLength(2);
    expect(sessions).toHaveLength(2);
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
