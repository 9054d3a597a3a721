/**
 * Spans shaped as the router's (router/tracing.ts), made with the OpenTelemetry SDK's tracer into memory, and the same
 * spans as the router's records (router/tracing-encoder.ts): for the span encoder's test and benchmark, which encode
 * the records and compare with the SDK's serializer on the SDK's spans.
 */
import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  type ClientSpanRecord,
  type EncoderIdentity,
  type LegName,
  MAX_ATTRIBUTE_CHARS,
  type ServerSpanRecord,
  type SpanEncoder,
} from '../../router/tracing-encoder.js';

/** The spans `build` ends, with the SDK's default resource and the router's instrumentation scope. */
export function finishedSpans(build: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  // string attributes cut as the router cuts them (MAX_ATTRIBUTE_CHARS), by the SDK's own attribute value limit
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(memory)],
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
  });
  build(provider.getTracer('pdstack-router', '0.1.0'));
  return memory.getFinishedSpans() as ReadableSpan[];
}

/** A client's W3C trace context (remote parent, with a tracestate). */
export function clientContext(): Context {
  return new W3CTraceContextPropagator().extract(
    ROOT_CONTEXT,
    { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=a,other=b' },
    { get: (c: Record<string, string>, k: string) => c[k], keys: (c) => Object.keys(c) },
  );
}

/** What varies between requests. */
export interface RequestShape {
  readonly parent?: Context;
  readonly model?: string;
  readonly requestId?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** The failing legs' status message. @default 'engine failed: ✗' */
  readonly errorMessage?: string;
}

/**
 * One P/D request number `i` as the router traces it: the SERVER span under `parent` and its `prefill` and `decode`
 * CLIENT spans; an even `i` has failing legs (503, status ERROR with a message) and a 503 answer (status ERROR).
 */
export function pdRequest(tracer: Tracer, i: number, shape: RequestShape = {}): void {
  const parent = shape.parent ?? ROOT_CONTEXT;
  const server = tracer.startSpan(
    'router /v1/completions',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.method': 'POST',
        'http.target': '/v1/completions',
        'vllm.request_id': shape.requestId ?? `5f0c6a4e-2b1d-4c3e-9a8f-${String(i).padStart(12, '0')}`,
        'vllm.routing_logic': 'disaggregated_prefill',
      },
    },
    parent,
  );
  server.setAttribute('vllm.model', shape.model ?? 'meta-llama/Llama-3.1-8B-Instruct');
  const context = trace.setSpan(parent, server);
  for (const [name, url] of [
    ['prefill', 'http://10.0.0.1:8000'],
    ['decode', 'http://10.0.0.2:8000'],
  ] as const) {
    server.setAttribute('vllm.backend_url', url);
    const leg = tracer.startSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.method': 'POST', 'http.url': `${url}/v1/completions`, 'vllm.backend_url': url },
      },
      context,
    );
    leg.setAttribute('pdstack.time_to_first_byte_ms', 1.25 + i / 7);
    leg.setAttribute('http.status_code', i % 2 ? 200 : 503);
    if (i % 2 === 0) leg.setStatus({ code: SpanStatusCode.ERROR, message: shape.errorMessage ?? 'engine failed: ✗' });
    leg.end();
  }
  server.setAttributes({
    'gen_ai.usage.input_tokens': shape.inputTokens ?? 6,
    'gen_ai.usage.output_tokens': shape.outputTokens ?? 16,
    'http.status_code': i % 2 ? 200 : 503,
  });
  if (i % 2 === 0) server.setStatus({ code: SpanStatusCode.ERROR });
  server.end();
}

/** The resource and scope of `span` as the encoder takes them. */
export function identityOf(span: ReadableSpan): EncoderIdentity {
  return {
    resource: Object.fromEntries(Object.entries(span.resource.attributes).map(([k, v]) => [k, String(v)])),
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version ?? '' },
  };
}

/** Milliseconds since the epoch of an SDK time (the SDK starts spans at `Date.now()`: whole milliseconds). */
const ms = ([s, ns]: readonly [number, number]) => s * 1000 + ns / 1e6;
/** Milliseconds from `a` to `b`, exact to the nanosecond (a difference of epoch milliseconds is not). */
const between = (a: readonly [number, number], b: readonly [number, number]) =>
  (b[0] - a[0]) * 1000 + (b[1] - a[1]) / 1e6;

/** `span` as the router records it (its ids, times, status and attributes). */
export function recordOf(span: ReadableSpan): { server: ServerSpanRecord } | { client: ClientSpanRecord } {
  const ctx = span.spanContext();
  const a = span.attributes;
  // one literal with the fields of both kinds: one object shape, as the router's records of a kind have
  const record: ServerSpanRecord & ClientSpanRecord = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    traceState: ctx.traceState?.serialize() ?? '',
    parentSpanId: span.parentSpanContext?.spanId,
    parentRemote: span.parentSpanContext?.isRemote === true,
    startMs: ms(span.startTime),
    durationMs: between(span.startTime, span.endTime),
    httpStatus: a['http.status_code'] as number | undefined,
    error: span.status.code === SpanStatusCode.ERROR,
    statusMessage: span.status.message,
    name: span.name as LegName,
    route: a['http.target'] as string,
    method: a['http.method'] as string,
    url: a['http.url'] as string,
    requestId: a['vllm.request_id'] as string,
    routingLogic: a['vllm.routing_logic'] as string,
    modelName: a['vllm.model'] as string | undefined,
    backendUrl: a['vllm.backend_url'] as string,
    inputTokens: a['gen_ai.usage.input_tokens'] as number | undefined,
    outputTokens: a['gen_ai.usage.output_tokens'] as number | undefined,
    ttfbMs: a['pdstack.time_to_first_byte_ms'] as number | undefined,
  };
  return span.kind === SpanKind.SERVER ? { server: record } : { client: record };
}

/** Adds a record of {@link recordOf} to `encoder`. */
export function add(encoder: SpanEncoder, record: ReturnType<typeof recordOf>): void {
  if ('server' in record) encoder.server(record.server);
  else encoder.client(record.client);
}

/** `span` as the router records it, added to `encoder`. */
export function addAsRecord(encoder: SpanEncoder, span: ReadableSpan): void {
  add(encoder, recordOf(span));
}
