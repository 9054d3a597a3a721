/**
 * The router's OTLP span encoder (router/tracing-encoder.ts) against the SDK's `ProtobufTraceSerializer`: the router's
 * spans made with the SDK's tracer (remote parent with tracestate, client legs, error statuses with and without a
 * message, negative and beyond-2^32 token counts, fractional times to first byte, non-ASCII and long strings, values
 * over the attribute limit, spans over 16 KiB, more distinct values of an attribute than are cached), recorded as the
 * router records them, decode
 * with the OTLP protobuf types to the request the SDK encodes from its spans; taken in batches, what is left stays;
 * a request handed back (`recycle`) is written over by a later one, a request still out never.
 */
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  MAX_ATTRIBUTE_CHARS,
  MAX_CACHED_VALUES,
  type ServerSpanRecord,
  SpanEncoder,
} from '../../router/tracing-encoder.js';
import { decodedRequest } from '../support/otlp-receiver.js';
import { addAsRecord, clientContext, finishedSpans, identityOf, pdRequest, recordOf } from '../support/router-spans.js';

const decoded = decodedRequest;
const sdk = (batch: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(batch)!;

function encoderOf(batch: ReadableSpan[]): SpanEncoder {
  const encoder = new SpanEncoder(identityOf(batch[0]!));
  for (const span of batch) addAsRecord(encoder, span);
  return encoder;
}

const REQUESTS = MAX_CACHED_VALUES + 50;
const batch = finishedSpans((tracer) => {
  const client = clientContext();
  for (let i = 0; i < REQUESTS; i++) {
    pdRequest(tracer, i, {
      parent: i % 3 ? client : ROOT_CONTEXT,
      model: `modèle-ünïcode/Llama-${i}`,
      inputTokens: i % 5 === 0 ? -i - 1 : 2 ** 40 + i,
      outputTokens: i,
    });
  }
  // a request id and a model over the attribute limit (cut), and leg spans over 16 KiB (their status message)
  pdRequest(tracer, 2, {
    requestId: 'r'.repeat(20_000),
    model: 'm'.repeat(MAX_ATTRIBUTE_CHARS + 1),
    errorMessage: 'e'.repeat(20_000),
  });
});

describe('the router OTLP span encoder', () => {
  it('encodes the router spans as the SDK serializer does, decoded', () => {
    expect(batch).toHaveLength((REQUESTS + 1) * 3);
    const encoder = encoderOf(batch);
    expect(encoder.count).toBe(batch.length);
    const ours = encoder.take(batch.length);
    expect(encoder.count).toBe(0);
    expect(decoded(ours)).toEqual(decoded(sdk(batch)));
    // again: the attribute values seen before are written from their kept encodings now
    expect(decoded(encoderOf(batch).take(batch.length))).toEqual(decoded(sdk(batch)));
  });

  it('cuts string attribute values to MAX_ATTRIBUTE_CHARS, as the SDK with that limit does', () => {
    const serverSpan = batch.find((span) => span.kind === SpanKind.SERVER)!;
    const { server } = recordOf(serverSpan) as { server: ServerSpanRecord };
    const encoder = new SpanEncoder(identityOf(serverSpan));
    // what a client sends the router: an 8 MiB model name, a 16 KiB request id
    encoder.server({ ...server, modelName: 'm'.repeat(8 << 20), requestId: 'r'.repeat(16_384) });
    const request = decoded(encoder.take(1)) as {
      resourceSpans: {
        scopeSpans: { spans: { attributes: { key: string; value: { stringValue?: string } }[] }[] }[];
      }[];
    };
    const attributes = request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes;
    const value = (key: string) => attributes.find((a) => a.key === key)?.value.stringValue;
    expect(value('vllm.model')).toBe('m'.repeat(MAX_ATTRIBUTE_CHARS));
    expect(value('vllm.request_id')).toBe('r'.repeat(MAX_ATTRIBUTE_CHARS));
  });

  it('takes the first spans as one request and keeps the rest for the next', () => {
    const encoder = encoderOf(batch);
    const first = encoder.take(100);
    expect(encoder.count).toBe(batch.length - 100);
    const rest = encoder.take(encoder.count);
    expect(decoded(first)).toEqual(decoded(sdk(batch.slice(0, 100))));
    expect(decoded(rest)).toEqual(decoded(sdk(batch.slice(100))));
  });

  it('writes a request into a recycled one; never into one not handed back, nor into a buffer it did not make', () => {
    const encoder = encoderOf(batch);
    const a = encoder.take(200);
    const aBytes = Buffer.from(a);
    for (const span of batch.slice(0, 300)) addAsRecord(encoder, span);
    const b = encoder.take(100); // `a` is still out: `b` has bytes of its own
    expect(b.buffer).not.toBe(a.buffer);
    expect(Buffer.from(a)).toEqual(aBytes);
    expect(decoded(b)).toEqual(decoded(sdk(batch.slice(200, 300))));

    encoder.recycle(a);
    const c = encoder.take(100); // smaller than `a`: written into its bytes
    expect(c.buffer).toBe(a.buffer);
    expect(decoded(c)).toEqual(decoded(sdk(batch.slice(300, 400))));

    encoder.recycle(Buffer.from(new Uint8Array(1 << 20))); // not the encoder's: ignored
    const d = encoder.take(10);
    expect(d.buffer.byteLength).toBeLessThan(1 << 20);
    expect(decoded(d)).toEqual(decoded(sdk(batch.slice(400, 410))));
  });
});
