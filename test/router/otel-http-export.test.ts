/**
 * OpenTelemetry over OTLP/HTTP: an endpoint URL ending in /v1/traces is exported to with protobuf bodies; a request of
 * the general path (roundrobin) gets its request span and one `process_request` span, whose `traceparent` the engine
 * receives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { type OtlpReceiver, SPAN_KIND, startOtlpHttpReceiver } from '../support/otlp-receiver.js';
import { MODEL, eventually, inference, postJson, staticArgs } from './fixtures.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN_ID = 'b7ad6b7169203331';

let collector: OtlpReceiver;
let engine: EngineSim;
let router: Spawned;

beforeAll(async () => {
  collector = await startOtlpHttpReceiver();
  engine = await spawnEngineSim({ models: [MODEL] });
  router = await spawnRouter([...staticArgs([engine.url], 'roundrobin'), '--otel-endpoint', collector.endpoint], {
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
}, 30_000);
afterAll(async () => {
  await stopAll();
  await collector.close();
}, 30_000);

describe('OpenTelemetry tracing over OTLP/HTTP', { timeout: 30_000 }, () => {
  it('exports the request span and its process_request span; the engine continues the trace', async () => {
    const res = await postJson(
      `${router.url}/v1/chat/completions`,
      { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 },
      { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    );
    expect(res.status).toBe(200);
    await eventually(async () => collector.spans.filter((s) => s.traceId === TRACE_ID).length >= 2);
    const spans = collector.spans.filter((s) => s.traceId === TRACE_ID);
    const request = spans.find((s) => s.name === 'router /v1/chat/completions')!;
    const call = spans.find((s) => s.name === 'process_request')!;
    expect(request).toMatchObject({ service: 'vllm-router', kind: SPAN_KIND.server, parentSpanId: CLIENT_SPAN_ID });
    expect(request.attributes).toMatchObject({
      'vllm.model': MODEL,
      'vllm.routing_logic': 'roundrobin',
      'vllm.backend_url': engine.url,
      'http.status_code': 200,
      'gen_ai.usage.output_tokens': 3,
    });
    expect(call).toMatchObject({ kind: SPAN_KIND.client, parentSpanId: request.spanId });
    expect(call.attributes).toMatchObject({ 'http.url': `${engine.url}/v1/chat/completions`, 'http.status_code': 200 });
    const [received] = await inference(engine);
    expect(received!.headers['traceparent']).toBe(`00-${TRACE_ID}-${call.spanId}-01`);
  });
});
