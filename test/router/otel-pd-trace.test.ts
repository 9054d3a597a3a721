/**
 * OpenTelemetry over OTLP/gRPC: a P/D request with the client's W3C `traceparent` yields the router's request span
 * (child of the client's span) and its prefill and decode spans (children of it), all of the client's trace and
 * exported to a gRPC collector; each engine receives a `traceparent` of that trace naming its own leg's span.
 * Without --otel-endpoint the router is transparent: the engines get the client's `traceparent` as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { type OtlpReceiver, type ReceivedSpan, SPAN_KIND, startOtlpGrpcReceiver } from '../support/otlp-receiver.js';
import { MODEL, eventually, inference, pdArgs, postJson } from './fixtures.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`;

let collector: OtlpReceiver;
let prefill: EngineSim;
let decode: EngineSim;
let traced: Spawned;
let untraced: Spawned;

beforeAll(async () => {
  collector = await startOtlpGrpcReceiver();
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  const args = pdArgs([prefill.url], [decode.url]);
  [traced, untraced] = await Promise.all([
    spawnRouter([...args, '--otel-endpoint', collector.endpoint, '--otel-service-name', 'pd-router'], {
      OTEL_BSP_SCHEDULE_DELAY: '50',
    }),
    spawnRouter(args),
  ]);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await collector.close();
}, 30_000);

const ofTrace = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);

describe('OpenTelemetry tracing of a P/D request (OTLP/gRPC)', { timeout: 30_000 }, () => {
  it('exports the request span and both leg spans in the client trace; each engine gets its leg as parent', async () => {
    const res = await postJson(
      `${traced.url}/v1/completions`,
      { model: MODEL, prompt: 'The capital of France is', max_tokens: 5 },
      { traceparent: TRACEPARENT, 'x-request-id': 'req-otel-1' },
    );
    expect(res.status).toBe(200);
    const usage = (res.json() as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    await eventually(async () => ofTrace(TRACE_ID).length >= 3);
    const spans = ofTrace(TRACE_ID);
    expect(spans.map((s) => s.name).sort()).toEqual(['decode', 'prefill', 'router /v1/completions']);
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const request = byName('router /v1/completions');
    const p = byName('prefill');
    const d = byName('decode');

    expect(request).toMatchObject({ service: 'pd-router', kind: SPAN_KIND.server, parentSpanId: CLIENT_SPAN_ID });
    expect(request.attributes).toMatchObject({
      'http.method': 'POST',
      'http.target': '/v1/completions',
      'http.status_code': 200,
      'vllm.request_id': 'req-otel-1',
      'vllm.model': MODEL,
      'vllm.routing_logic': 'disaggregated_prefill',
      'vllm.backend_url': decode.url,
      'gen_ai.usage.input_tokens': usage.prompt_tokens,
      'gen_ai.usage.output_tokens': usage.completion_tokens,
    });
    expect(usage.completion_tokens).toBe(5);

    const legs: [ReceivedSpan, EngineSim][] = [
      [p, prefill],
      [d, decode],
    ];
    for (const [leg, engine] of legs) {
      expect(leg).toMatchObject({ kind: SPAN_KIND.client, parentSpanId: request.spanId, statusCode: 0 });
      expect(leg.attributes).toMatchObject({
        'http.method': 'POST',
        'http.url': `${engine.url}/v1/completions`,
        'vllm.backend_url': engine.url,
        'http.status_code': 200,
      });
      expect(leg.attributes['pdstack.time_to_first_byte_ms']).toBeGreaterThanOrEqual(0);
      const [received] = await inference(engine);
      expect(received!.headers['traceparent']).toBe(`00-${TRACE_ID}-${leg.spanId}-01`);
    }
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(3);
  });

  it('a streamed request without traceparent starts a trace of its own, which the engines continue; its usage is on the span', async () => {
    await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
    const res = await postJson(`${traced.url}/v1/completions`, {
      model: MODEL,
      prompt: 'Hi',
      max_tokens: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    const [d] = await inference(decode);
    const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(String(d!.headers['traceparent']))?.[1];
    expect(traceId).toBeDefined();
    await eventually(async () => ofTrace(traceId!).length >= 3);
    const request = ofTrace(traceId!).find((s) => s.kind === SPAN_KIND.server)!;
    expect(request.parentSpanId).toBe('');
    // the usage of the stream's last usage event
    const usage = /"usage":(\{[^}]*\})/.exec(res.text)?.[1];
    const { prompt_tokens, completion_tokens } = JSON.parse(usage!) as Record<string, number>;
    expect(completion_tokens).toBe(2);
    expect(request.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': prompt_tokens,
      'gen_ai.usage.output_tokens': completion_tokens,
    });
    const [p] = await inference(prefill);
    expect(String(p!.headers['traceparent'])).toMatch(new RegExp(`^00-${traceId}-`));
  });

  it('without --otel-endpoint the engines get the client traceparent unchanged and nothing is exported', async () => {
    await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
    const otherTrace = 'a'.repeat(32);
    const res = await postJson(
      `${untraced.url}/v1/completions`,
      { model: MODEL, prompt: 'Hi', max_tokens: 2 },
      { traceparent: `00-${otherTrace}-${CLIENT_SPAN_ID}-01`, tracestate: 'vendor=1' },
    );
    expect(res.status).toBe(200);
    for (const engine of [prefill, decode]) {
      const [r] = await inference(engine);
      expect(r!.headers['traceparent']).toBe(`00-${otherTrace}-${CLIENT_SPAN_ID}-01`);
      expect(r!.headers['tracestate']).toBe('vendor=1');
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(ofTrace(otherTrace)).toEqual([]);
  });
});
