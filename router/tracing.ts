/**
 * OpenTelemetry tracing (`--otel-endpoint`), loaded only when tracing is on: app.ts imports this module dynamically,
 * so without an endpoint the router loads no OpenTelemetry code, creates no span and does no context work; the proxy
 * paths only test `req.trace` for undefined.
 *
 * Spans, as vllm_router names them where it has them (`router <route>`, `process_request`, `http.*`, `vllm.*`):
 * - one SERVER span per proxied request, `router <route>`, child of the client's W3C `traceparent` (and
 *   `tracestate`) when it sends one: `http.method`, `http.target`, `vllm.request_id`, `vllm.model`,
 *   `vllm.routing_logic`, `vllm.backend_url` (the engine that answered: decode for P/D), `http.status_code`, and
 *   the token counts `gen_ai.usage.input_tokens`/`output_tokens` when the answer carries `usage` (a JSON answer's,
 *   or the last usage event of an event stream: shared.ts); status ERROR on a 5xx or when the client went away.
 * - one CLIENT span per engine call, child of it: `prefill` and `decode` for a P/D request, `process_request` in the
 *   general path; `http.method`, `http.url`, `vllm.backend_url`, `http.status_code`,
 *   `pdstack.time_to_first_byte_ms` (from the call's start to the first byte of the engine's answer body); status
 *   ERROR on a 4xx/5xx or a transport failure. Each call's `traceparent` names its own span, so the engine's spans
 *   hang below it. An engine retried after a failed connection gets a span per attempt.
 *
 * Export: OTLP/gRPC or OTLP/HTTP (schema/facts/otlp-endpoint.ts) through the SDK's BatchSpanProcessor, whose queue is
 * bounded: spans are handed over without waiting, and dropped when a collector cannot keep up or cannot be reached,
 * so the collector never slows or fails a request. Its settings are the SDK's, tunable with the standard variables
 * (`OTEL_BSP_MAX_QUEUE_SIZE` 2048 spans, `OTEL_BSP_SCHEDULE_DELAY` 5000 ms, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` 512,
 * `OTEL_EXPORTER_OTLP_TIMEOUT` 10000 ms, `OTEL_EXPORTER_OTLP_HEADERS` for a collector's credentials). Export
 * failures are logged, at most once a minute.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { credentials } from '@grpc/grpc-js';
import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator, setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { OtelConfig } from './config/config.js';
import type { Logger } from './log.js';
import { traceSerializer } from './tracing-encoder.js';
import { VERSION } from './version.js';

/** The engine calls of a request: P/D's two legs, or the general path's one. */
export type LegName = 'prefill' | 'decode' | 'process_request';

/** One engine call's span. */
export interface LegTrace {
  /** A copy of `headers` carrying this call's `traceparent` (and the client's `tracestate`). */
  headers(headers: Record<string, string | string[]>): Record<string, string | string[]>;
  /** The first byte of the engine's answer body arrived. */
  firstByte(): void;
  /** The call is over: the engine's status (undefined when it could not be reached or its answer broke). */
  end(status: number | undefined, error?: string): void;
}

/** One proxied request's span. */
export interface RequestTrace {
  model(model: string): void;
  /** The `usage` of the answer the client got. */
  usage(inputTokens: unknown, outputTokens: unknown): void;
  /** Starts the span of a call to the engine at `url` (`method` `path`): it becomes the request's engine. */
  leg(name: LegName, url: string, method: string, path: string): LegTrace;
}

export interface Tracing {
  /** Starts the span of a request to `route`; it ends when the client's answer closes. */
  request(
    route: string,
    method: string,
    headers: IncomingHttpHeaders,
    requestId: string,
    res: ServerResponse,
  ): RequestTrace;
  /** Exports what is queued (bounded by `FLUSH_TIMEOUT_MS`) and stops. */
  shutdown(): Promise<void>;
}

/** Longest wait for the last export at shutdown, so an unreachable collector does not hold the router's exit. */
const FLUSH_TIMEOUT_MS = 2_000;
/** Export failures are logged at most this often. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * The SDK's OTLP trace exporters, as `@opentelemetry/exporter-trace-otlp-grpc` and `-proto` build them (their export
 * delegates: transport, retries, timeouts, `OTEL_EXPORTER_OTLP_*`), with the router's span encoder
 * (tracing-encoder.ts) in place of the SDK's serializer.
 */
function exporter(config: OtelConfig): SpanExporter {
  const e = config.endpoint;
  if (e.protocol === 'http/protobuf') {
    const options = convertLegacyHttpOptions({ url: e.url }, 'TRACES', 'v1/traces', {
      'Content-Type': 'application/x-protobuf',
    });
    return new OTLPExporterBase<ReadableSpan[]>(createOtlpHttpExportDelegate(options, traceSerializer));
  }
  // the address without a scheme and the credentials given: the exporter would take `http://host:80` for port 443
  const options = convertLegacyOtlpGrpcOptions(
    { url: e.address, credentials: e.tls ? credentials.createSsl() : credentials.createInsecure() },
    'TRACES',
  );
  return new OTLPExporterBase<ReadableSpan[]>(
    createOtlpGrpcExportDelegate(
      options,
      traceSerializer,
      'TraceExportService',
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    ),
  );
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key],
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
};
const headerSetter = {
  set: (carrier: Record<string, string | string[]>, key: string, value: string) => {
    carrier[key] = value;
  },
};

function endSpan(span: Span, status: number | undefined, errorFrom: number, error?: string): void {
  if (status !== undefined) span.setAttribute('http.status_code', status);
  if (error !== undefined || (status !== undefined && status >= errorFrom)) {
    span.setStatus({ code: SpanStatusCode.ERROR, ...(error !== undefined ? { message: error } : {}) });
  }
  span.end();
}

export function startTracing(config: OtelConfig, routingLogic: string, log: Logger): Tracing {
  let lastFailureLog = -Infinity;
  setGlobalErrorHandler((err) => {
    const now = Date.now();
    if (now - lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    lastFailureLog = now;
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`OpenTelemetry export to ${config.given} failed (spans are dropped while it fails): ${message}`);
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': VERSION }),
    spanProcessors: [new BatchSpanProcessor(exporter(config))],
  });
  const tracer = provider.getTracer('pdstack-router', VERSION);
  log.info(
    `OpenTelemetry tracing enabled, exporting to ${config.given} over OTLP/${config.endpoint.protocol === 'grpc' ? 'gRPC' : 'HTTP'} as service ${config.serviceName}`,
  );

  const leg = (parent: Context, name: LegName, url: string, method: string, path: string): LegTrace => {
    const started = performance.now();
    const span = tracer.startSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.method': method, 'http.url': url + path, 'vllm.backend_url': url },
      },
      parent,
    );
    const context = trace.setSpan(parent, span);
    let firstByte = false;
    return {
      headers(headers) {
        const out = { ...headers };
        propagator.inject(context, out, headerSetter);
        return out;
      },
      firstByte() {
        if (firstByte) return;
        firstByte = true;
        span.setAttribute('pdstack.time_to_first_byte_ms', performance.now() - started);
      },
      end: (status, error) => endSpan(span, status, 400, error),
    };
  };

  return {
    request(route, method, headers, requestId, res) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
      const span = tracer.startSpan(
        `router ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.method': method,
            'http.target': route,
            'vllm.request_id': requestId,
            'vllm.routing_logic': routingLogic,
          },
        },
        parent,
      );
      const context = trace.setSpan(parent, span);
      res.once('close', () =>
        endSpan(
          span,
          res.headersSent ? res.statusCode : undefined,
          500,
          res.writableFinished ? undefined : 'the client went away',
        ),
      );
      return {
        model: (model) => span.setAttribute('vllm.model', model),
        usage(input, output) {
          if (typeof input === 'number') span.setAttribute('gen_ai.usage.input_tokens', input);
          if (typeof output === 'number') span.setAttribute('gen_ai.usage.output_tokens', output);
        },
        leg(name, url, method, path) {
          span.setAttribute('vllm.backend_url', url);
          return leg(context, name, url, method, path);
        },
      };
    },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
      await Promise.race([provider.shutdown().catch(() => undefined), timeout]);
      clearTimeout(timer);
    },
  };
}
