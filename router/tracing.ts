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
 * The spans are recorded by the router, not by the SDK's tracer: a request's span and its legs' are small objects of
 * fixed fields (tracing-encoder.ts's records), encoded into OTLP bytes when they end and queued as bytes
 * (tracing-queue.ts), because the SDK's tracer, span objects, contexts and BatchSpanProcessor cost the router more
 * than tracing's whole budget (README, "Benchmarks", "Where tracing's cost is"). From the SDK it keeps: the sampler
 * (`OTEL_TRACES_SAMPLER`/`_ARG`, built by the SDK's own `buildSamplerFromEnv`, asked once per request: a leg follows
 * its request's decision, as every sampler those variables name decides for a child of a local span), the id
 * generator, the W3C propagator's extraction of the client's `traceparent`/`tracestate` (the engines' `traceparent`
 * is written in its format: `00-<trace>-<span>-<flags>`), the BatchSpanProcessor's settings and semantics
 * (tracing-queue.ts), and the OTLP export delegates (over gRPC with tracing-grpc.ts's transport).
 *
 * Export: OTLP/gRPC or OTLP/HTTP (schema/facts/otlp-endpoint.ts) through the queue, which is bounded: spans are
 * queued without waiting, and dropped when a collector cannot keep up or cannot be reached, so the collector never
 * slows or fails a request. Its settings are the SDK's standard variables (`OTEL_BSP_MAX_QUEUE_SIZE` 2048 spans,
 * `OTEL_BSP_SCHEDULE_DELAY` 5000 ms, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` 512, `OTEL_BSP_EXPORT_TIMEOUT`; the delegates'
 * `OTEL_EXPORTER_OTLP_TIMEOUT` 10000 ms, `OTEL_EXPORTER_OTLP_HEADERS` for a collector's credentials,
 * `OTEL_EXPORTER_OTLP_COMPRESSION`). Export failures are logged, at most once a minute.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { type Context, ROOT_CONTEXT, type SpanContext, SpanKind, isSpanContextValid, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator, setGlobalErrorHandler } from '@opentelemetry/core';
import {
  CompressionAlgorithm,
  type IOtlpExportDelegate,
  createOtlpNetworkExportDelegate,
} from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { convertLegacyOtlpGrpcOptions } from '@opentelemetry/otlp-grpc-exporter-base';
import {
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { RandomIdGenerator, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { buildSamplerFromEnv } from '@opentelemetry/sdk-trace-base/build/src/config.js';
import type { OtelConfig } from './config/config.js';
import type { Logger } from './log.js';
import { GrpcTransport, METADATA_REFUSED } from './tracing-grpc.js';
import { type ClientSpanRecord, type LegName, type ServerSpanRecord, SpanEncoder } from './tracing-encoder.js';
import { SpanQueue, queueSettingsFromEnv } from './tracing-queue.js';
import { VERSION } from './version.js';

export type { LegName } from './tracing-encoder.js';

/** One engine call's span. */
export interface LegTrace {
  /**
   * Writes this call's `traceparent` (and the client's `tracestate`) into `headers`, the request's engine headers,
   * just before the call is dispatched: undici's dispatch reads them at once (Upstream.exchange), so each call of a
   * request sends its own, and the request's calls share one headers object instead of a copy each (the copies were
   * most of what tracing made the young generation promote: README, "Where tracing's cost is").
   */
  propagate(headers: Record<string, string | string[]>): void;
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
/** Export failures and dropped spans are logged at most this often. */
const LOG_INTERVAL_MS = 60_000;

/** The export delegates' serializer: the requests come encoded (tracing-encoder.ts); answers are the SDK's to read. */
const serializer: ISerializer<Uint8Array, IExportTraceServiceResponse> = {
  serializeRequest: (request) => request,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/**
 * The SDK's OTLP export delegates (timeouts, bounded concurrency, `OTEL_EXPORTER_OTLP_*`) sending the requests
 * tracing-encoder.ts encodes: over HTTP as `@opentelemetry/exporter-trace-otlp-proto` builds it; over gRPC with the
 * configuration `@opentelemetry/exporter-trace-otlp-grpc` reads, through tracing-grpc.ts's transport.
 */
function exportDelegate(config: OtelConfig): IOtlpExportDelegate<Uint8Array> {
  const e = config.endpoint;
  if (e.protocol === 'http/protobuf') {
    const options = convertLegacyHttpOptions({ url: e.url }, 'TRACES', 'v1/traces', {
      'Content-Type': 'application/x-protobuf',
    });
    return createOtlpHttpExportDelegate(options, serializer);
  }
  let options: ReturnType<typeof convertLegacyOtlpGrpcOptions>;
  try {
    options = convertLegacyOtlpGrpcOptions({ url: e.address }, 'TRACES');
  } catch {
    // it builds gRPC's Metadata from OTEL_EXPORTER_OTLP_*HEADERS, whose error names the value: a credential, maybe
    throw new Error(METADATA_REFUSED);
  }
  const transport = new GrpcTransport({
    address: e.address,
    tls: e.tls,
    metadata: options.metadata,
    gzip: options.compression === CompressionAlgorithm.GZIP,
    userAgent: `pdstack-router/${VERSION}`,
  });
  return createOtlpNetworkExportDelegate(options, serializer, transport);
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key],
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
};
const ids = new RandomIdGenerator();
/** What the sampler is shown besides the trace id and parent: the variables' samplers read neither. */
const NO_ATTRIBUTES = Object.freeze({});
const NO_LINKS = Object.freeze([]) as [];

/** What the router's spans share: start, end (`finish`) and the end's HTTP status and span status. */
abstract class RecordedSpan {
  readonly startMs = Date.now();
  protected readonly started = performance.now();
  durationMs = 0;
  httpStatus: number | undefined = undefined;
  error = false;
  statusMessage: string | undefined = undefined;
  protected ended = false;

  /** Ends the span (once): status ERROR on `error` or a status from `errorFrom`; true when it is to be queued. */
  protected finish(
    status: number | undefined,
    error: string | undefined,
    errorFrom: number,
    sampled: boolean,
  ): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.durationMs = performance.now() - this.started;
    this.httpStatus = status;
    if (error !== undefined || (status !== undefined && status >= errorFrom)) {
      this.error = true;
      this.statusMessage = error;
    }
    return sampled;
  }
}

/** A request's SERVER span: recorded while it runs, queued (sampled) when the client's answer closes. */
class RequestSpan extends RecordedSpan implements RequestTrace, ServerSpanRecord {
  modelName: string | undefined = undefined;
  backendUrl: string | undefined = undefined;
  inputTokens: number | undefined = undefined;
  outputTokens: number | undefined = undefined;

  constructor(
    private readonly queue: SpanQueue,
    readonly sampled: boolean,
    readonly traceId: string,
    readonly spanId: string,
    readonly traceState: string,
    readonly parentSpanId: string | undefined,
    readonly parentRemote: boolean,
    readonly route: string,
    readonly method: string,
    readonly requestId: string,
    readonly routingLogic: string,
  ) {
    super();
  }

  model(model: string): void {
    if (!this.ended) this.modelName = model;
  }

  usage(input: unknown, output: unknown): void {
    if (this.ended) return;
    if (typeof input === 'number') this.inputTokens = input;
    if (typeof output === 'number') this.outputTokens = output;
  }

  leg(name: LegName, url: string, method: string, path: string): LegTrace {
    if (!this.ended) this.backendUrl = url;
    return new LegSpan(this, this.queue, name, url, method, url + path);
  }

  end(status: number | undefined, error: string | undefined): void {
    if (this.finish(status, error, 500, this.sampled)) this.queue.server(this);
  }
}

/** An engine call's CLIENT span, child of its request's. */
class LegSpan extends RecordedSpan implements LegTrace, ClientSpanRecord {
  readonly spanId = ids.generateSpanId();
  readonly traceId: string;
  readonly traceState: string;
  readonly parentSpanId: string;
  readonly parentRemote = false;
  ttfbMs: number | undefined = undefined;
  private readonly sampled: boolean;

  constructor(
    request: RequestSpan,
    private readonly queue: SpanQueue,
    readonly name: LegName,
    readonly backendUrl: string,
    readonly method: string,
    readonly url: string,
  ) {
    super();
    this.traceId = request.traceId;
    this.traceState = request.traceState;
    this.parentSpanId = request.spanId;
    this.sampled = request.sampled;
  }

  propagate(headers: Record<string, string | string[]>): void {
    headers['traceparent'] = `00-${this.traceId}-${this.spanId}-${this.sampled ? '01' : '00'}`;
    if (this.traceState) headers['tracestate'] = this.traceState;
  }

  firstByte(): void {
    if (this.ttfbMs === undefined && !this.ended) this.ttfbMs = performance.now() - this.started;
  }

  end(status: number | undefined, error?: string): void {
    if (this.finish(status, error, 400, this.sampled)) this.queue.client(this);
  }
}

/** `say`, called at most once a minute (the first call says). */
function atMostOnceAMinute<A extends unknown[]>(say: (...args: A) => void): (...args: A) => void {
  let last = -Infinity;
  return (...args) => {
    const now = Date.now();
    if (now - last < LOG_INTERVAL_MS) return;
    last = now;
    say(...args);
  };
}

export function startTracing(config: OtelConfig, routingLogic: string, log: Logger): Tracing {
  const failed = atMostOnceAMinute((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`OpenTelemetry export to ${config.given} failed (spans are dropped while it fails): ${message}`);
  });
  setGlobalErrorHandler(failed);
  const sampler = buildSamplerFromEnv();
  const delegate = exportDelegate(config);
  const settings = queueSettingsFromEnv((message) => log.warn(`OpenTelemetry: ${message}`));
  const queue = new SpanQueue(
    new SpanEncoder({
      resource: { 'service.name': config.serviceName, 'service.version': VERSION },
      scope: { name: 'pdstack-router', version: VERSION },
    }),
    settings,
    (request, done) => delegate.export(request, done),
    failed,
    atMostOnceAMinute((dropped: number) =>
      log.warn(
        `OpenTelemetry: the span queue is full (OTEL_BSP_MAX_QUEUE_SIZE ${settings.maxQueueSize}): ${dropped} span(s) dropped so far, as the export to ${config.given} does not keep up`,
      ),
    ),
  );
  log.info(
    `OpenTelemetry tracing enabled, exporting to ${config.given} over OTLP/${config.endpoint.protocol === 'grpc' ? 'gRPC' : 'HTTP'} as service ${config.serviceName}`,
  );

  return {
    request(route, method, headers, requestId, res) {
      // the client's W3C trace context, by the SDK's propagator (only when it sent one: no context work otherwise)
      let context: Context = ROOT_CONTEXT;
      let parent: SpanContext | undefined;
      if (headers['traceparent'] !== undefined) {
        context = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
        parent = trace.getSpanContext(context);
        if (parent !== undefined && !isSpanContextValid(parent)) parent = undefined;
      }
      const traceId = parent ? parent.traceId : ids.generateTraceId();
      const name = `router ${route}`;
      const sampling = sampler.shouldSample(context, traceId, name, SpanKind.SERVER, NO_ATTRIBUTES, NO_LINKS);
      const traceState = sampling.traceState ?? parent?.traceState;
      const span = new RequestSpan(
        queue,
        sampling.decision === SamplingDecision.RECORD_AND_SAMPLED,
        traceId,
        ids.generateSpanId(),
        traceState ? traceState.serialize() : '',
        parent?.spanId,
        parent !== undefined,
        route,
        method,
        requestId,
        routingLogic,
      );
      // `on`, not `once`: the answer closes once, and a once-wrapper's removal costs each request
      res.on('close', () =>
        span.end(
          res.headersSent ? res.statusCode : undefined,
          res.writableFinished ? undefined : 'the client went away',
        ),
      );
      return span;
    },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
      const flushed = queue
        .shutdown()
        .then(() => delegate.shutdown())
        .catch(() => undefined);
      await Promise.race([flushed, timeout]);
      clearTimeout(timer);
    },
  };
}
