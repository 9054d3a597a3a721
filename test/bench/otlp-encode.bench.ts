/**
 * `npm run bench:otlp-encode`: CPU per span of encoding the router's span batches for OTLP export, the SDK's
 * `ProtobufTraceSerializer` against the router's encoder (router/tracing-encoder.ts), on batches of 512 spans (the
 * BatchSpanProcessor's default batch) of P/D requests (test/support/router-spans.ts). The two alternate in rounds;
 * each round is printed, and the medians.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeSpans } from '../../router/tracing-encoder.js';
import { finishedSpans, pdRequest } from '../support/router-spans.js';

const ROUNDS = 7;
const BATCHES = 300;

const batch = finishedSpans((tracer) => {
  for (let i = 0; i < 171; i++) pdRequest(tracer, i);
}).slice(0, 512);

const encoders = {
  'SDK ProtobufTraceSerializer': (): Uint8Array | undefined => ProtobufTraceSerializer.serializeRequest(batch),
  'router encoder': (): Uint8Array | undefined => encodeSpans(batch),
};

function usPerSpan(encode: () => Uint8Array | undefined): number {
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
      `${encode()!.length} bytes per batch of ${batch.length}`,
  );
}
