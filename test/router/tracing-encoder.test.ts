/**
 * The router's OTLP span encoder (router/tracing-encoder.ts) against the SDK's `ProtobufTraceSerializer`: a batch of
 * the router's span shapes (remote parent with tracestate, client legs, an error status with its message, integer,
 * negative, beyond-2^32, fractional and boolean attributes, non-ASCII and long strings, a span over 16 KiB, more
 * distinct values of a key than are cached) decodes, with the OTLP protobuf types, to the same request from both; a
 * batch holding what the encoder leaves to the SDK (an event, an array attribute) is not encoded by it.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import generated from 'otlp-proto-0.216/build/src/generated/root';
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_VALUES, encodeSpans, traceSerializer } from '../../router/tracing-encoder.js';
import { clientContext, finishedSpans, pdRequest } from '../support/router-spans.js';

interface MessageType {
  decode(b: Uint8Array): object;
  toObject(m: object, o: object): unknown;
}
const Request = (
  generated as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const decoded = (bytes: Uint8Array | undefined) =>
  Request.toObject(Request.decode(bytes!), { longs: String, bytes: String, enums: Number, defaults: true });
const sdk = (batch: ReadableSpan[]) => decoded(ProtobufTraceSerializer.serializeRequest(batch));

describe('the router OTLP span encoder', () => {
  it('encodes a batch of the router spans as the SDK serializer does, decoded', () => {
    const batch = finishedSpans((tracer) => {
      const client = clientContext();
      for (let i = 0; i < MAX_CACHED_VALUES + 50; i++) {
        pdRequest(tracer, i, i % 3 ? client : ROOT_CONTEXT, 'modèle-ünïcode/Llama', {
          'test.large': 2 ** 40 + i,
          'test.negative': -i - 1,
          'test.flag': i % 3 === 0,
          'test.long': 'x'.repeat(200 + i),
        });
      }
      tracer.startSpan('big', { attributes: { 'test.big': 'y'.repeat(20_000) } }, ROOT_CONTEXT).end();
    });
    expect(batch).toHaveLength((MAX_CACHED_VALUES + 50) * 3 + 1);
    const ours = encodeSpans(batch);
    expect(ours).toBeDefined();
    expect(decoded(ours)).toEqual(sdk(batch));
    // again: the attributes seen before are written from their cached encodings now
    expect(decoded(encodeSpans(batch))).toEqual(sdk(batch));
  });

  it('writes a span under 128 bytes with a one-byte length (canonical protobuf, as the SDK writes it)', () => {
    const batch = finishedSpans((tracer) => tracer.startSpan('s', {}, ROOT_CONTEXT).end());
    const ours = encodeSpans(batch);
    expect(decoded(ours)).toEqual(sdk(batch));
    // the Span (ScopeSpans.spans, tag 0x12) is the batch's last message and opens with its trace id (tag 0x0a, 16 bytes)
    const hex = Buffer.from(ours!).toString('hex');
    const body = hex.indexOf(`0a10${batch[0]!.spanContext().traceId}`) / 2;
    expect(hex.slice(2 * body - 4, 2 * body - 2)).toBe('12');
    const length = ours![body - 1]!;
    expect(length).toBeLessThan(0x80);
    expect(body + length).toBe(ours!.length);
  });

  it('leaves a batch with an event or an array attribute to the SDK serializer', () => {
    const withEvent = finishedSpans((tracer) => {
      pdRequest(tracer, 1);
      tracer.startSpan('evented', {}, ROOT_CONTEXT).addEvent('something').end();
    });
    const withArray = finishedSpans((tracer) => {
      tracer.startSpan('arrays', { attributes: { 'test.list': ['a', 'b'] } }, ROOT_CONTEXT).end();
    });
    for (const batch of [withEvent, withArray]) {
      expect(encodeSpans(batch)).toBeUndefined();
      expect(decoded(traceSerializer.serializeRequest(batch))).toEqual(sdk(batch));
    }
  });
});
