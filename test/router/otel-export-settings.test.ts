/**
 * The OTLP/gRPC export's settings from the SDK's standard variables reach the wire: the router, run as a process
 * with `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_COMPRESSION=gzip`, exports to an HTTP/2 collector in the
 * test with that header and a gzipped, flagged message holding the request's span. A header value gRPC metadata
 * cannot carry stops the router at start with one line naming the variables, never the value (it may be a
 * credential).
 */
import { type Http2Server, type IncomingHttpHeaders, createServer } from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_REFUSED } from '../../router/tracing-grpc.js';
import { type EngineSim, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { decodedRequest } from '../support/otlp-receiver.js';
import { MODEL, eventually, postJson, staticArgs } from './fixtures.js';

const TOKEN = 'Bearer collector-token';

let engine: EngineSim;
let server: Http2Server;
let endpoint: string;
const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];

beforeAll(async () => {
  engine = await spawnEngineSim({ models: [MODEL] });
  server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push({ headers, body: Buffer.concat(chunks) });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `127.0.0.1:${(server.address() as { port: number }).port}`;
}, 30_000);
afterAll(async () => {
  await stopAll();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}, 30_000);

const args = () => [...staticArgs([engine.url], 'roundrobin'), '--otel-endpoint', endpoint];

describe('OTLP/gRPC export settings from OTEL_EXPORTER_OTLP_*', { timeout: 30_000 }, () => {
  it('headers and gzip compression reach the collector', async () => {
    const router = await spawnRouter(args(), {
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=${encodeURIComponent(TOKEN)}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    const res = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'Hi', max_tokens: 1 });
    expect(res.status).toBe(200);
    await eventually(async () => received.length >= 1);
    const { headers, body } = received[0]!;
    expect(headers['authorization']).toBe(TOKEN);
    expect(headers['grpc-encoding']).toBe('gzip');
    expect(body[0]).toBe(1);
    const request = decodedRequest(gunzipSync(body.subarray(5))) as {
      resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
    };
    const names = request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
    expect(names.sort()).toEqual(['process_request', 'router /v1/completions']);
    expect(router.stderr()).not.toContain('collector-token');
  });

  it('a header value gRPC metadata cannot carry stops the router with one line, not the value', async () => {
    const started = spawnRouter(args(), { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret%C3%A9' });
    const err = (await started.then(
      () => new Error('the router started'),
      (e: unknown) => e,
    )) as Error;
    const stderr = err.message.slice(err.message.indexOf('stderr: ') + 8);
    expect(stderr).toBe(`pdstack-router: error: ${METADATA_REFUSED}\n`);
    expect(err.message).toMatch(/exited with 1 /);
  });
});
