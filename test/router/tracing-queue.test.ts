/**
 * The router's span export queue (router/tracing-queue.ts), with the BatchSpanProcessor's semantics: spans are queued
 * without waiting on an export in flight, the queue is bounded (spans past `maxQueueSize` are dropped and counted,
 * nothing reported per span), a full batch goes at once and a partial one after the schedule delay, one export at a
 * time, a failed export is reported once, and shutdown exports what waits. Exports are decoded with the OTLP
 * protobuf types.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClientSpanRecord, SpanEncoder } from '../../router/tracing-encoder.js';
import { decodedRequest } from '../support/otlp-receiver.js';
import { type QueueSettings, SpanQueue, queueSettingsFromEnv } from '../../router/tracing-queue.js';

/** The span ids of an export, in order. */
function spanIds(request: Uint8Array): string[] {
  const r = decodedRequest(request) as {
    resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[];
  };
  return r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)));
}

/** Leg span number `n`; its span id (base64 of the bytes, as decoded) is `idOf(n)`. */
function leg(n: number): ClientSpanRecord {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: n.toString(16).padStart(16, '0'),
    traceState: '',
    parentSpanId: '00f067aa0ba902b7',
    parentRemote: false,
    startMs: 1_764_000_000_000 + n,
    durationMs: 1.5,
    httpStatus: 200,
    error: false,
    statusMessage: undefined,
    name: 'decode',
    method: 'POST',
    url: 'http://10.0.0.2:8000/v1/completions',
    backendUrl: 'http://10.0.0.2:8000',
    ttfbMs: 0.5,
  };
}
const idOf = (n: number) => Buffer.from(n.toString(16).padStart(16, '0'), 'hex').toString('base64');

interface Sent {
  readonly ids: string[];
  readonly request: Uint8Array;
  readonly done: (result: ExportResult) => void;
}

function queue(settings: Partial<QueueSettings>) {
  const sent: Sent[] = [];
  const errors: unknown[] = [];
  const drops: number[] = [];
  const encoder = new SpanEncoder({
    resource: { 'service.name': 'vllm-router' },
    scope: { name: 'pdstack-router', version: '1' },
  });
  const q = new SpanQueue(
    encoder,
    {
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 5000,
      exportTimeoutMillis: 30_000,
      ...settings,
    },
    (request, done) => sent.push({ ids: spanIds(request), request, done }),
    (err) => errors.push(err),
    (dropped) => drops.push(dropped),
  );
  return { q, encoder, sent, errors, drops };
}

const ok = { code: ExportResultCode.SUCCESS };

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('the span export queue', () => {
  it("an export's bytes are its own until it is done; then the next export is written into them", async () => {
    const { q, sent } = queue({ maxExportBatchSize: 2 });
    q.client(leg(1));
    q.client(leg(2));
    sent[0]!.done(ok);
    await new Promise((r) => setTimeout(r, 0));
    q.client(leg(3));
    q.client(leg(4)); // written into the first export's bytes, handed back by its done
    expect(sent[1]!.request.buffer).toBe(sent[0]!.request.buffer);
    for (let n = 5; n <= 8; n++) q.client(leg(n)); // queued while the second export is out
    const shutdown = q.shutdown(); // two exports at once, while the second is still out
    await vi.waitFor(() => expect(sent).toHaveLength(4));
    const out = sent.slice(1);
    expect(new Set(out.map((s) => s.request.buffer)).size).toBe(3);
    expect(out.map((s) => spanIds(s.request))).toEqual([
      [idOf(3), idOf(4)],
      [idOf(5), idOf(6)],
      [idOf(7), idOf(8)],
    ]);
    for (const s of out) s.done(ok);
    await shutdown;
  });

  it('drops spans past maxQueueSize while an export is in flight, counting them and reporting nothing', async () => {
    const { q, encoder, sent, errors, drops } = queue({ maxQueueSize: 5, maxExportBatchSize: 2 });
    q.client(leg(1));
    expect(sent).toHaveLength(0); // a partial batch waits for the schedule delay
    q.client(leg(2)); // a full batch goes at once
    expect(sent.map((s) => s.ids)).toEqual([[idOf(1), idOf(2)]]);
    for (let n = 3; n <= 9; n++) q.client(leg(n)); // the export is not answered: nothing waits for it
    expect(sent).toHaveLength(1);
    expect(encoder.count).toBe(5);
    expect(drops).toEqual([1, 2]); // each drop is told, with the count so far (tracing.ts logs it once a minute)
    expect(errors).toEqual([]);
    sent[0]!.done(ok);
    await vi.waitFor(() => expect(sent).toHaveLength(2)); // the next full batch, once the first is answered
    expect(sent[1]!.ids).toEqual([idOf(3), idOf(4)]);
    sent[1]!.done(ok);
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(sent[2]!.ids).toEqual([idOf(5), idOf(6)]);
    sent[2]!.done(ok);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(3); // one span left: it waits for the delay
    expect(encoder.count).toBe(1);
    // shutdown exports it, and takes no span more
    const shutdown = q.shutdown();
    await vi.waitFor(() => expect(sent).toHaveLength(4));
    expect(sent[3]!.ids).toEqual([idOf(7)]);
    sent[3]!.done(ok);
    await shutdown;
    q.client(leg(10));
    expect(encoder.count).toBe(0);
    expect(errors).toEqual([]);
  });

  it('exports a partial batch after the schedule delay, and reports a failed export once', async () => {
    vi.useFakeTimers();
    const { q, encoder, sent, errors } = queue({ scheduledDelayMillis: 1000 });
    q.client(leg(1));
    q.client(leg(2));
    vi.advanceTimersByTime(999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent.map((s) => s.ids)).toEqual([[idOf(1), idOf(2)]]);
    const failure = new Error('collector down');
    sent[0]!.done({ code: ExportResultCode.FAILED, error: failure });
    await vi.waitFor(() => expect(errors).toEqual([failure]));
    expect(encoder.count).toBe(0); // a failed batch is not retried by the queue (the delegate retries)
  });

  it('gives up on an export unanswered after exportTimeoutMillis, so the next batch can go', async () => {
    vi.useFakeTimers();
    const { q, sent, errors } = queue({ maxExportBatchSize: 1, exportTimeoutMillis: 100 });
    q.client(leg(1));
    q.client(leg(2));
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toEqual([new Error('Timeout')]);
    expect(sent.map((s) => s.ids)).toEqual([[idOf(1)], [idOf(2)]]);
  });

  it('keeps one export in flight after a failure, with more than one batch waiting', async () => {
    const { q, sent, errors } = queue({ maxExportBatchSize: 1 });
    for (let n = 1; n <= 4; n++) q.client(leg(n));
    expect(sent).toHaveLength(1);
    sent[0]!.done({ code: ExportResultCode.FAILED, error: new Error('down') });
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    q.client(leg(5)); // a span ending while the second export is in flight starts none
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(2); // the second is not answered: the third waits for it
    expect(errors).toEqual([new Error('down')]);
    sent[1]!.done(ok);
    await vi.waitFor(() => expect(sent).toHaveLength(3));
  });

  /** The settings and the warnings for these `OTEL_BSP_*` values (unset: none). */
  function settingsWith(env: Record<string, string>) {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(`OTEL_BSP_${name}`, value);
    const warnings: string[] = [];
    return { settings: queueSettingsFromEnv((m) => warnings.push(m)), warnings };
  }
  const DEFAULTS = {
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 5000,
    exportTimeoutMillis: 30_000,
  };

  it("reads the BatchSpanProcessor's variables, with its defaults, and no batch beyond the queue", () => {
    expect(settingsWith({})).toEqual({ settings: DEFAULTS, warnings: [] });
    const set = { MAX_QUEUE_SIZE: '100', MAX_EXPORT_BATCH_SIZE: '200', SCHEDULE_DELAY: '50', EXPORT_TIMEOUT: '700' };
    expect(settingsWith(set)).toEqual({
      settings: { maxQueueSize: 100, maxExportBatchSize: 100, scheduledDelayMillis: 50, exportTimeoutMillis: 700 },
      warnings: [],
    });
  });

  it('says a value that is no whole number of at least its minimum, once, and takes the default', () => {
    expect(settingsWith({ MAX_EXPORT_BATCH_SIZE: '0', MAX_QUEUE_SIZE: '1.5', SCHEDULE_DELAY: '-1' })).toEqual({
      settings: DEFAULTS,
      warnings: [
        'OTEL_BSP_MAX_QUEUE_SIZE=1.5 is not a whole number of at least 1; using 2048',
        'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=0 is not a whole number of at least 1; using 512',
        'OTEL_BSP_SCHEDULE_DELAY=-1 is not a whole number of at least 0; using 5000',
      ],
    });
  });
});
