/**
 * Finished spans shaped as the router's (router/tracing.ts), made with the OpenTelemetry SDK into memory: for the
 * span encoder's test and benchmark.
 */
import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The spans `build` ends, with the router's resource and instrumentation scope. */
export function finishedSpans(build: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'vllm-router', 'service.version': '0.1.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
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

/**
 * One P/D request number `i` as the router traces it: the SERVER span under `parent` and its `prefill` and `decode`
 * CLIENT spans; an even `i` has failing legs (503, status ERROR with a message). `extra` attributes go on the server
 * span.
 */
export function pdRequest(
  tracer: Tracer,
  i: number,
  parent: Context = ROOT_CONTEXT,
  model = 'meta-llama/Llama-3.1-8B-Instruct',
  extra: Record<string, string | number | boolean> = {},
): void {
  const server = tracer.startSpan(
    'router /v1/completions',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.method': 'POST',
        'http.target': '/v1/completions',
        'vllm.request_id': `5f0c6a4e-2b1d-4c3e-9a8f-${String(i).padStart(12, '0')}`,
        'vllm.routing_logic': 'disaggregated_prefill',
      },
    },
    parent,
  );
  server.setAttribute('vllm.model', model);
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
    if (i % 2 === 0) leg.setStatus({ code: SpanStatusCode.ERROR, message: 'engine failed: ✗' });
    leg.end();
  }
  server.setAttributes({ 'gen_ai.usage.input_tokens': 6, 'gen_ai.usage.output_tokens': 16, ...extra });
  server.setAttribute('http.status_code', i % 2 ? 200 : 503);
  server.end();
}
