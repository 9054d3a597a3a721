/**
 * The OTLP/protobuf encoding of the router's span batches (`ExportTraceServiceRequest`), handed to the SDK's own OTLP
 * export delegates (gRPC and HTTP: transport, retries, timeouts, headers, TLS stay the SDK's) in place of
 * `ProtobufTraceSerializer`. Why: profiled in the router under `npm run bench:router`, the SDK's serializer was the
 * largest single part of tracing's cost (README, "OpenTelemetry"): it walks each batch twice (size estimate, then
 * write) and writes every string char by char, while the router's spans repeat the same few strings (attribute keys,
 * route, model, engine URLs) in every request. This encoder writes a batch in one pass into a reused buffer, writes
 * ids with Buffer's hex decoder and other strings with its UTF-8 encoder, and keeps the encoded bytes of the
 * attributes that repeat (a key's first {@link MAX_CACHED_VALUES} distinct values; a key with more, such as a request
 * id, is written each time).
 *
 * It encodes what the router's spans carry; a batch with anything else (events, links, array or object attribute
 * values, several resources or instrumentation scopes) goes to the SDK's serializer unchanged. Decoded, both encodings
 * carry the same fields and values (test/router/tracing-encoder.test.ts decodes the two with the OTLP protobuf types).
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { IExportTraceServiceResponse, ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Distinct values of one attribute key whose encoding is kept; past it the key's values are written each time. */
export const MAX_CACHED_VALUES = 256;
/** Distinct attribute keys whose values are kept. */
const MAX_CACHED_KEYS = 256;
/** Distinct span names whose encoding is kept. */
const MAX_CACHED_NAMES = 1024;

/** The batch holds something this encoder leaves to the SDK's serializer. */
class NotHandled extends Error {}

let buf = Buffer.allocUnsafe(1 << 18);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const grown = Buffer.allocUnsafe(size);
  buf.copy(grown, 0, 0, pos);
  buf = grown;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** An unsigned varint below 2^32 (lengths, tags, enums, counts). */
function varint(v: number): void {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
}

/** A whole field into a standalone Buffer (cached encodings). */
function encoded(write: () => void): Buffer {
  const start = pos;
  write();
  const out = Buffer.from(buf.subarray(start, pos));
  pos = start;
  return out;
}

function put(b: Buffer): void {
  ensure(b.length);
  b.copy(buf, pos);
  pos += b.length;
}

/** A length-delimited string field (`tag` is the field's key byte(s) already shifted). */
function stringField(tag: number, s: string): void {
  const n = Buffer.byteLength(s, 'utf8');
  ensure(n + 7);
  varint(tag);
  varint(n);
  pos += buf.write(s, pos, n, 'utf8');
}

/** 2^32 */
const TWO32 = 0x100000000;

/** `[seconds, nanoseconds]` as a fixed64 of nanoseconds, exact (the product exceeds 2^53). */
function writeHrTime(t: readonly [number, number]): void {
  const [s, ns] = t;
  // s·10^9 = (hi·2^16 + lo)·10^9 = (hi·10^9)·2^16 + lo·10^9 + ns; every partial below 2^53
  const hi = Math.floor(s / 0x10000);
  const a = (s % 0x10000) * 1e9 + ns;
  const b = hi * 1e9;
  const bLow16 = b % 0x10000;
  let low = bLow16 * 0x10000 + (a % TWO32);
  const carry = Math.floor(low / TWO32);
  low -= carry * TWO32;
  const high = Math.floor(b / 0x10000) + Math.floor(a / TWO32) + carry;
  buf.writeUInt32LE(low, pos);
  buf.writeUInt32LE(high >>> 0, pos + 4);
  pos += 8;
}

/** An int64 varint of any integer (two's complement for negatives: 10 bytes). */
function int64(v: number): void {
  if (v >= 0 && v < TWO32) return varint(v);
  let x = BigInt.asUintN(64, BigInt(v));
  while (x > 0x7fn) {
    buf[pos++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  buf[pos++] = Number(x);
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** A `KeyValue` as the repeated field `tag` (Span.attributes 9, Resource.attributes 1). */
function keyValue(tag: number, key: string, value: unknown): void {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const keyPart = 1 + varintSize(keyBytes) + keyBytes;
  if (typeof value === 'string') {
    const n = Buffer.byteLength(value, 'utf8');
    const any = 1 + varintSize(n) + n;
    const kv = keyPart + 1 + varintSize(any) + any;
    ensure(kv + 12);
    varint(tag);
    varint(kv);
    buf[pos++] = 0x0a;
    varint(keyBytes);
    pos += buf.write(key, pos, keyBytes, 'utf8');
    buf[pos++] = 0x12;
    varint(any);
    buf[pos++] = 0x0a;
    varint(n);
    pos += buf.write(value, pos, n, 'utf8');
    return;
  }
  ensure(keyPart + 32);
  varint(tag);
  const lengthAt = pos++; // a number's or boolean's KeyValue is below 128 bytes when its key is: checked below
  buf[pos++] = 0x0a;
  varint(keyBytes);
  pos += buf.write(key, pos, keyBytes, 'utf8');
  buf[pos++] = 0x12;
  const anyAt = pos++;
  if (typeof value === 'boolean') {
    buf[pos++] = 0x10;
    buf[pos++] = value ? 1 : 0;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
    buf[pos++] = 0x18;
    int64(value);
  } else if (typeof value === 'number') {
    buf[pos++] = 0x21;
    buf.writeDoubleLE(value, pos);
    pos += 8;
  } else {
    throw new NotHandled();
  }
  buf[anyAt] = pos - anyAt - 1;
  const kv = pos - lengthAt - 1;
  if (kv > 0x7f) throw new NotHandled(); // a key of over 100 bytes: left to the SDK
  buf[lengthAt] = kv;
}

/** Encoded attributes (Span field 9) per key: its first values, or undefined once it had too many. */
const attributeCache = new Map<string, Map<unknown, Buffer> | undefined>();
const nameCache = new Map<string, Buffer>();

function attribute(key: string, value: unknown): void {
  let values = attributeCache.get(key);
  if (values === undefined) {
    if (attributeCache.has(key) || attributeCache.size >= MAX_CACHED_KEYS) return keyValue(0x4a, key, value);
    values = new Map();
    attributeCache.set(key, values);
  }
  let b = values.get(value);
  if (b === undefined) {
    if (values.size >= MAX_CACHED_VALUES) {
      attributeCache.set(key, undefined);
      return keyValue(0x4a, key, value);
    }
    b = encoded(() => keyValue(0x4a, key, value));
    values.set(value, b);
  }
  put(b);
}

function spanName(name: string): void {
  let b = nameCache.get(name);
  if (b === undefined) {
    if (nameCache.size >= MAX_CACHED_NAMES) return stringField(0x2a, name);
    b = encoded(() => stringField(0x2a, name));
    nameCache.set(name, b);
  }
  put(b);
}

function hexField(tag: number, hex: string, bytes: number): void {
  buf[pos++] = tag;
  buf[pos++] = bytes;
  if (buf.write(hex, pos, bytes, 'hex') !== bytes) throw new NotHandled();
  pos += bytes;
}

/** Span flags of OTLP: the trace flags, and whether the parent is remote (known: bit 8, remote: bit 9). */
function spanFlags(traceFlags: number, parentRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (parentRemote ? 0x200 : 0);
}

/** One Span message as ScopeSpans.spans (field 2). */
function span(s: ReadableSpan): void {
  if (s.events.length > 0 || s.links.length > 0) throw new NotHandled();
  ensure(96);
  buf[pos++] = 0x12;
  // the Span's length goes in 2 bytes reserved here (up to 16383 bytes); a longer span is moved forward after
  const lengthAt = pos;
  pos += 2;
  const start = pos;
  const ctx = s.spanContext();
  hexField(0x0a, ctx.traceId, 16);
  hexField(0x12, ctx.spanId, 8);
  const traceState = ctx.traceState?.serialize();
  if (traceState) stringField(0x1a, traceState);
  const parent = s.parentSpanContext;
  if (parent?.spanId) {
    ensure(10);
    hexField(0x22, parent.spanId, 8);
  }
  spanName(s.name);
  ensure(24);
  buf[pos++] = 0x30;
  varint(s.kind + 1);
  buf[pos++] = 0x39;
  writeHrTime(s.startTime);
  buf[pos++] = 0x41;
  writeHrTime(s.endTime);
  const attributes = s.attributes;
  for (const key in attributes) {
    if (Object.prototype.hasOwnProperty.call(attributes, key)) attribute(key, attributes[key]);
  }
  ensure(32);
  if (s.droppedAttributesCount) {
    buf[pos++] = 0x50;
    varint(s.droppedAttributesCount);
  }
  if (s.droppedEventsCount) {
    buf[pos++] = 0x60;
    varint(s.droppedEventsCount);
  }
  if (s.droppedLinksCount) {
    buf[pos++] = 0x70;
    varint(s.droppedLinksCount);
  }
  const message = s.status.message;
  if (message) {
    const n = Buffer.byteLength(message, 'utf8');
    ensure(n + 32);
    buf[pos++] = 0x7a;
    varint(1 + varintSize(n) + n + 1 + varintSize(s.status.code));
    buf[pos++] = 0x12;
    varint(n);
    pos += buf.write(message, pos, n, 'utf8');
  } else {
    buf[pos++] = 0x7a;
    buf[pos++] = 1 + varintSize(s.status.code);
  }
  buf[pos++] = 0x18;
  varint(s.status.code);
  buf[pos++] = 0x85; // field 16, fixed32
  buf[pos++] = 0x01;
  buf.writeUInt32LE(spanFlags(ctx.traceFlags, parent?.isRemote), pos);
  pos += 4;
  const length = pos - start;
  if (length < 0x80) {
    // one length byte, as the SDK writes it: the span moves back into the second byte reserved for the length
    buf[lengthAt] = length;
    buf.copyWithin(lengthAt + 1, start, pos);
    pos -= 1;
    return;
  }
  if (length < 0x4000) {
    buf[lengthAt] = (length & 0x7f) | 0x80;
    buf[lengthAt + 1] = length >>> 7;
    return;
  }
  const extra = varintSize(length) - 2;
  ensure(extra);
  buf.copyWithin(start + extra, start, pos);
  pos = lengthAt;
  varint(length);
  pos = start + extra + length;
}

/** The part of a batch before its spans: a Resource and an InstrumentationScope, encoded once each. */
interface Head {
  readonly resource: Buffer;
  readonly scope: Buffer;
}

const heads = new WeakMap<object, WeakMap<object, Head>>();

function head(s: ReadableSpan): Head {
  let byScope = heads.get(s.resource);
  if (!byScope) heads.set(s.resource, (byScope = new WeakMap()));
  let h = byScope.get(s.instrumentationScope);
  if (h) return h;
  const resource = encoded(() => {
    const attributes = s.resource.attributes;
    const inner = encoded(() => {
      for (const key in attributes) {
        const value = attributes[key];
        if (value !== undefined) keyValue(0x0a, key, value);
      }
    });
    ensure(inner.length + 16);
    buf[pos++] = 0x0a; // ResourceSpans.resource
    varint(inner.length);
    put(inner);
  });
  const scopeInfo = s.instrumentationScope;
  const scope = encoded(() => {
    const inner = encoded(() => {
      stringField(0x0a, scopeInfo.name);
      if (scopeInfo.version) stringField(0x12, scopeInfo.version);
    });
    ensure(inner.length + 16);
    buf[pos++] = 0x0a; // ScopeSpans.scope
    varint(inner.length);
    put(inner);
  });
  h = { resource, scope };
  byScope.set(s.instrumentationScope, h);
  return h;
}

/** The ExportTraceServiceRequest of `spans`, or undefined when the batch holds what only the SDK encodes. */
export function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array | undefined {
  if (spans.length === 0) return undefined;
  const first = spans[0]!;
  const resourceSchema = first.resource.schemaUrl;
  const scopeSchema = first.instrumentationScope.schemaUrl;
  if (resourceSchema || scopeSchema || first.resource.asyncAttributesPending) return undefined;
  let h: Head;
  try {
    h = head(first);
    pos = 0;
    for (const s of spans) {
      if (s.resource !== first.resource || s.instrumentationScope !== first.instrumentationScope) return undefined;
      span(s);
    }
  } catch (err) {
    if (err instanceof NotHandled) return undefined;
    throw err;
  }
  const spansBytes = pos;
  const scopeSpans = h.scope.length + spansBytes;
  const resourceSpans = h.resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
  const total = 1 + varintSize(resourceSpans) + resourceSpans;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  const v = (n: number) => {
    while (n > 0x7f) {
      out[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[at++] = n;
  };
  out[at++] = 0x0a; // ExportTraceServiceRequest.resource_spans
  v(resourceSpans);
  at += h.resource.copy(out, at);
  out[at++] = 0x12; // ResourceSpans.scope_spans
  v(scopeSpans);
  at += h.scope.copy(out, at);
  buf.copy(out, at, 0, spansBytes);
  return out;
}

/** The serializer given to the SDK's OTLP export delegates: this encoder, or the SDK's for what it leaves. */
export const traceSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: (spans) => encodeSpans(spans) ?? ProtobufTraceSerializer.serializeRequest(spans),
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};
