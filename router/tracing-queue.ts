/**
 * The bounded export queue of the router's spans, with the OpenTelemetry SDK's BatchSpanProcessor's semantics and
 * settings (its standard variables, read as the SDK reads them): a span is queued when it ends without waiting, and
 * dropped when `OTEL_BSP_MAX_QUEUE_SIZE` spans (2048) wait already; a batch of up to `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`
 * spans (512) is exported when that many wait, else `OTEL_BSP_SCHEDULE_DELAY` ms (5000) after the first; one export at
 * a time, given up after `OTEL_BSP_EXPORT_TIMEOUT` ms (30000); shutdown exports what waits. Failures go to `onError`
 * and drops to `onDropped` (tracing.ts logs each at most once a minute); nothing per span.
 *
 * The queued spans are their OTLP bytes in a {@link SpanEncoder} (tracing-encoder.ts), not objects.
 */
import { type ExportResult, ExportResultCode, getNumberFromEnv } from '@opentelemetry/core';
import type { ClientSpanRecord, ServerSpanRecord, SpanEncoder } from './tracing-encoder.js';

export interface QueueSettings {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
}

/**
 * The settings from the `OTEL_BSP_*` variables, with the BatchSpanProcessor's defaults and its batch ≤ queue rule. A
 * value that is no whole number of at least its minimum (sizes 1, times 0) is said once to `warn` and its default
 * taken: a batch of 0 spans would have the queue export nothing, forever.
 */
export function queueSettingsFromEnv(warn: (message: string) => void): QueueSettings {
  const read = (name: string, fallback: number, min: number): number => {
    const value = getNumberFromEnv(name);
    if (value === undefined) return fallback;
    if (Number.isInteger(value) && value >= min) return value;
    warn(`${name}=${String(process.env[name])} is not a whole number of at least ${min}; using ${fallback}`);
    return fallback;
  };
  const maxQueueSize = read('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(read('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1), maxQueueSize),
    scheduledDelayMillis: read('OTEL_BSP_SCHEDULE_DELAY', 5000, 0),
    exportTimeoutMillis: read('OTEL_BSP_EXPORT_TIMEOUT', 30_000, 0),
  };
}

/** Sends one ExportTraceServiceRequest (the SDK's OTLP export delegate) and reports its result. */
export type ExportRequest = (request: Uint8Array, done: (result: ExportResult) => void) => void;

export class SpanQueue {
  /** Spans dropped because the queue was full, so far. */
  private dropped = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly encoder: SpanEncoder,
    private readonly settings: QueueSettings,
    private readonly send: ExportRequest,
    /** A failed or timed-out export (tracing.ts logs it at most once a minute). */
    private readonly onError: (err: unknown) => void,
    /** Called with the count so far when a span is dropped (tracing.ts logs it at most once a minute). */
    private readonly onDropped: (dropped: number) => void,
  ) {}

  server(s: ServerSpanRecord): void {
    if (!this.room()) return;
    this.encoder.server(s);
    this.maybeStartTimer();
  }

  client(s: ClientSpanRecord): void {
    if (!this.room()) return;
    this.encoder.client(s);
    this.maybeStartTimer();
  }

  /** Exports what waits (in batches, at once) and takes no span more. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= Promise.resolve().then(() => this.flushAll());
    return this.shutdownPromise;
  }

  private room(): boolean {
    if (this.shutdownPromise !== undefined) return false;
    if (this.encoder.count < this.settings.maxQueueSize) return true;
    this.onDropped(++this.dropped);
    return false;
  }

  private flushAll(): Promise<void> {
    const batches = Math.ceil(this.encoder.count / this.settings.maxExportBatchSize);
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < batches; i++) flushes.push(this.flushOneBatch());
    return Promise.all(flushes).then(() => undefined);
  }

  private flushOneBatch(): Promise<void> {
    this.clearTimer();
    if (this.encoder.count === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // past it the next batch may go: the delegate's own timeout (OTEL_EXPORTER_OTLP_TIMEOUT) ends the call
      const timer = setTimeout(() => reject(new Error('Timeout')), this.settings.exportTimeoutMillis);
      const request = this.encoder.take(Math.min(this.encoder.count, this.settings.maxExportBatchSize));
      this.send(request, (result) => {
        clearTimeout(timer);
        // the delegate is done with the bytes (sent, failed or given up, also after the queue's own timeout)
        this.encoder.recycle(request);
        if (result.code === ExportResultCode.SUCCESS) resolve();
        else reject(result.error ?? new Error('span export failed'));
      });
    });
  }

  private maybeStartTimer(): void {
    if (this.exporting) return;
    const flush = () => {
      this.exporting = true;
      // `exporting` ends here only, once the failure is reported: one export at a time, failed or not
      this.flushOneBatch()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.exporting = false;
          if (this.encoder.count > 0) {
            this.clearTimer();
            this.maybeStartTimer();
          }
        });
    };
    if (this.encoder.count >= this.settings.maxExportBatchSize) return flush();
    if (this.timer !== undefined) return;
    this.timer = setTimeout(flush, this.settings.scheduledDelayMillis);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
