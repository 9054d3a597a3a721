/**
 * OTLP over TLS: `--otel-secure` with host:port, an `https://` gRPC endpoint, and an `https://.../v1/traces` OTLP/HTTP
 * endpoint all export to a collector serving TLS (the test's self-signed certificate, trusted by the router through
 * Node's NODE_EXTRA_CA_CERTS, for both protocols); the same host:port without --otel-secure
 * talks plain gRPC, which a TLS collector refuses: nothing arrives and the request is still answered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import {
  type OtlpReceiver,
  type ReceiverTls,
  SPAN_KIND,
  startOtlpGrpcReceiver,
  startOtlpHttpReceiver,
} from '../support/otlp-receiver.js';
import { REPO } from '../support/values.js';
import { MODEL, eventually, postJson, staticArgs } from './fixtures.js';

const CERT = join(REPO, 'test', 'fixtures', 'tls', 'localhost.pem');
const TLS: ReceiverTls = {
  cert: readFileSync(CERT),
  key: readFileSync(join(REPO, 'test', 'fixtures', 'tls', 'localhost-key.pem')),
};
const TRUST = { NODE_EXTRA_CA_CERTS: CERT, OTEL_BSP_SCHEDULE_DELAY: '50' };

let engine: EngineSim;
let grpc: OtlpReceiver;
let http: OtlpReceiver;
beforeAll(async () => {
  [engine, grpc, http] = await Promise.all([
    spawnEngineSim({ models: [MODEL] }),
    startOtlpGrpcReceiver({ tls: TLS }),
    startOtlpHttpReceiver(TLS),
  ]);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await Promise.all([grpc.close(), http.close()]);
}, 30_000);

/** One traced request through a router exporting with `otelArgs`; the trace id it was sent with. */
async function tracedRequest(otelArgs: string[], service: string): Promise<string> {
  const router = await spawnRouter(
    [...staticArgs([engine.url], 'roundrobin'), ...otelArgs, '--otel-service-name', service],
    TRUST,
  );
  const traceId = Buffer.from(service.padEnd(16, '-')).toString('hex').slice(0, 32);
  const res = await postJson(
    `${router.url}/v1/completions`,
    { model: MODEL, prompt: 'Hi', max_tokens: 1 },
    { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  );
  expect(res.status).toBe(200);
  return traceId;
}

describe('OTLP over TLS', { timeout: 30_000 }, () => {
  it.each([
    ['host:port with --otel-secure', () => ['--otel-endpoint', grpc.endpoint, '--otel-secure'], 'grpc-secure'],
    ['https://host:port (gRPC)', () => ['--otel-endpoint', `https://${grpc.endpoint}`], 'grpc-https'],
  ])('gRPC: %s exports to a TLS collector', async (_what, args, service) => {
    const traceId = await tracedRequest(args(), service);
    await eventually(async () => grpc.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server));
    expect(grpc.spans.find((s) => s.traceId === traceId)!.service).toBe(service);
  });

  it('OTLP/HTTP: https://host:port/v1/traces exports to a TLS collector', async () => {
    const traceId = await tracedRequest(['--otel-endpoint', http.endpoint], 'http-secure');
    await eventually(async () => http.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server));
  });

  it('host:port without --otel-secure is plain gRPC: the TLS collector gets nothing, the request is answered', async () => {
    const before = grpc.exports();
    const traceId = await tracedRequest(['--otel-endpoint', grpc.endpoint], 'grpc-plain');
    await new Promise((r) => setTimeout(r, 1000));
    expect(grpc.exports()).toBe(before);
    expect(grpc.spans.filter((s) => s.traceId === traceId)).toEqual([]);
  });
});
