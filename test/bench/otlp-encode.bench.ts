/**
 * `npm run bench:otlp-encode`: CPU per span of encoding the router's spans for OTLP export: the SDK's
 * `ProtobufTraceSerializer` on the SDK's span objects against the router's encoder (router/tracing-encoder.ts) on the
 * router's records of the same spans (test/support/router-spans.ts), batches of 512 spans (the default export batch)
 * of P/D requests. The two alternate in rounds; each round is printed, and the medians.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanEncoder } from '../../router/tracing-encoder.js';
import { add, finishedSpans, identityOf, pdRequest, recordOf } from '../support/router-spans.js';

const ROUNDS = 7;
const BATCHES = 300;

const batch = finishedSpans((tracer) => {
  for (let i = 0; i < 171; i++) pdRequest(tracer, i);
}).slice(0, 512);
const records = batch.map(recordOf);
const encoder = new SpanEncoder(identityOf(batch[0]!));

const encoders = {
  'SDK ProtobufTraceSerializer': (): Uint8Array => ProtobufTraceSerializer.serializeRequest(batch)!,
  'router encoder': (): Uint8Array => {
    for (const r of records) add(encoder, r);
    return encoder.take(records.length);
  },
};

function usPerSpan(encode: () => Uint8Array): number {
  const start = process.cpuUsage();
  for (let i = 0; i < BATCHES; i++) encode();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / BATCHES / batch.length;
}

const rounds = new Map(Object.keys(encoders).map((name) => [name, [] as number[]]));
for (const encode of Object.values(encoders)) usPerSpan(encode); // warm-up (JIT)
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, encode] of Object.entries(encoders)) rounds.get(name)!.push(usPerSpan(encode));
}
for (const [name, encode] of Object.entries(encoders)) {
  const values = rounds.get(name)!;
  const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `${name}: ${median.toFixed(2)} µs per span, median of ${ROUNDS} rounds (${values.map((v) => v.toFixed(2)).join(' ')}); ` +
      `${encode().length} bytes per batch of ${batch.length}`,
  );
}
