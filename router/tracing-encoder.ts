/**
 * The OTLP/protobuf encoding of the router's spans (tracing.ts) into `ExportTraceServiceRequest` bytes, handed to the
 * SDK's OTLP export delegates (gRPC and HTTP: transport, retries, timeouts, headers, TLS stay the SDK's).
 *
 * A span is encoded once, when it ends, into the encoder's buffer, which is the export queue (tracing-queue.ts): a
 * queued span is its protobuf bytes, not an object, and an export copies the first spans' bytes behind the batch's
 * Resource and InstrumentationScope, encoded once. Why not the SDK's span objects and `ProtobufTraceSerializer`:
 * README, "Benchmarks", "Where tracing's cost is". The span fields are the router's fixed ones (no events, links or
 * array values); strings that repeat (attribute keys, route, method, model, engine URLs) keep their encoded bytes (a
 * slot's first {@link MAX_CACHED_VALUES} distinct values; past that its values are written each time, as a request
 * id always is). Decoded, a batch carries the fields and values the SDK's serializer writes for the same spans
 * (test/router/tracing-encoder.test.ts decodes both with the OTLP protobuf types).
 */

/** The engine calls of a request: P/D's two legs, or the general path's one. */
export type LegName = 'prefill' | 'decode' | 'process_request';

/** What every span of the router carries. Ids are lowercase hex; times are the SDK's: see {@link writeTimes}. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** The W3C `tracestate` serialized, '' for none. */
  readonly traceState: string;
  readonly parentSpanId: string | undefined;
  /** The parent is the client's (from its `traceparent`), not one of the router's spans. */
  readonly parentRemote: boolean;
  /** The start in milliseconds since the epoch, an integer (`Date.now()`). */
  readonly startMs: number;
  /** From start to end in milliseconds (`performance.now()`'s difference). */
  readonly durationMs: number;
  readonly httpStatus: number | undefined;
  /** Status ERROR (with `statusMessage` when defined) when true, else UNSET. */
  readonly error: boolean;
  readonly statusMessage: string | undefined;
}

/** A proxied request's SERVER span, `router <route>`. */
export interface ServerSpanRecord extends SpanRecord {
  readonly route: string;
  readonly method: string;
  readonly requestId: string;
  readonly routingLogic: string;
  readonly modelName: string | undefined;
  readonly backendUrl: string | undefined;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
}

/** An engine call's CLIENT span. */
export interface ClientSpanRecord extends SpanRecord {
  readonly name: LegName;
  readonly method: string;
  /** `http.url`: the engine's URL and the request's path. */
  readonly url: string;
  readonly backendUrl: string;
  readonly ttfbMs: number | undefined;
}

/** Distinct values of one attribute whose encoding is kept; past it the attribute's values are written each time. */
export const MAX_CACHED_VALUES = 256;
/**
 * The longest string attribute value, in UTF-16 units: a longer one (a client's model name or request id, a path with
 * its query string) is cut to it, as `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` cuts values, so a queued span stays within a
 * few KiB whatever the clients send (README, "Memory").
 */
export const MAX_ATTRIBUTE_CHARS = 1024;
/** Values longer than this are written each time, never kept. */
const MAX_CACHED_CHARS = 256;

/** The writer's state: the buffer of the encoder being written to (see {@link SpanEncoder}) and the position in it. */
let buf = Buffer.allocUnsafe(0);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  let size = Math.max(buf.length * 2, 1 << 16);
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

function put(b: Buffer): void {
  ensure(b.length);
  buf.set(b, pos);
  pos += b.length;
}

/** A string's UTF-8 bytes (its length known), ASCII without a call into C++. */
function utf8(s: string, n: number): void {
  if (n === s.length && n <= 64) {
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
    pos += n;
  } else {
    pos += buf.write(s, pos, n, 'utf8');
  }
}

/** A length-delimited string field (`tag` is the field's key byte(s) already shifted). */
function stringField(tag: number, s: string): void {
  const n = Buffer.byteLength(s, 'utf8');
  ensure(n + 7);
  varint(tag);
  varint(n);
  utf8(s, n);
}

/** Standalone bytes of what `write` writes (cached encodings). */
function encoded(write: () => void): Buffer {
  const outerBuf = buf;
  const outerPos = pos;
  buf = Buffer.allocUnsafe(256);
  pos = 0;
  write();
  const out = Buffer.from(buf.subarray(0, pos));
  buf = outerBuf;
  pos = outerPos;
  return out;
}

const HEX = new Uint8Array(128).fill(0xff);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;
for (let i = 10; i < 16; i++) HEX['ABCDEF'.charCodeAt(i - 10)] = i;

/** A bytes field of `bytes` bytes from `hex` (an id: validated by its maker). */
function hexField(tag: number, hex: string, bytes: number): void {
  buf[pos++] = tag;
  buf[pos++] = bytes;
  for (let i = 0; i < bytes; i++) {
    buf[pos + i] = (HEX[hex.charCodeAt(2 * i) & 0x7f]! << 4) | HEX[hex.charCodeAt(2 * i + 1) & 0x7f]!;
  }
  pos += bytes;
}

/** 2^32 */
const TWO32 = 0x100000000;

/** `s`·10^9 + `ns` (ns ≥ 0, below 2^52) as a fixed64, exact (the product exceeds 2^53). */
function fixed64Time(s: number, ns: number): void {
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

/**
 * Span fields 7 and 8, as the SDK makes them: the start is `Date.now()` as [seconds, nanoseconds], the end the start
 * plus the duration as `millisToHrTime` splits it (whole seconds, the rest rounded to nanoseconds).
 */
function writeTimes(startMs: number, durationMs: number): void {
  const s = Math.trunc(startMs / 1000);
  const ns = Math.round((startMs % 1000) * 1e6);
  buf[pos++] = 0x39;
  fixed64Time(s, ns);
  buf[pos++] = 0x41;
  fixed64Time(s + Math.trunc(durationMs / 1000), ns + Math.round((durationMs % 1000) * 1e6));
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

/** One attribute key's `KeyValue`s as the repeated field `tag` (Span.attributes 9, Resource.attributes 1). */
class Attribute {
  /** The KeyValue's key field (`key`, field 1). */
  private readonly keyField: Buffer;
  /** Encoded KeyValues by value, or undefined once the key had more than {@link MAX_CACHED_VALUES}. */
  private cache: Map<string | number, Buffer> | undefined = new Map();

  constructor(
    key: string,
    private readonly tag = 0x4a,
  ) {
    this.keyField = encoded(() => stringField(0x0a, key));
  }

  /** A string value, from the cache. */
  string(value: string): void {
    const b = this.cache?.get(value);
    if (b !== undefined) return put(b);
    if (this.cache === undefined || value.length > MAX_CACHED_CHARS) return this.writeString(value);
    if (this.cache.size >= MAX_CACHED_VALUES) {
      this.cache = undefined;
      return this.writeString(value);
    }
    const e = encoded(() => this.writeString(value));
    this.cache.set(value, e);
    put(e);
  }

  /** A string value written as it comes (a value that does not repeat, such as a request id), cut to its limit. */
  writeString(whole: string): void {
    const value = whole.length > MAX_ATTRIBUTE_CHARS ? whole.slice(0, MAX_ATTRIBUTE_CHARS) : whole;
    const n = Buffer.byteLength(value, 'utf8');
    const any = 1 + varintSize(n) + n;
    const kv = this.keyField.length + 1 + varintSize(any) + any;
    ensure(kv + 12);
    varint(this.tag);
    varint(kv);
    buf.set(this.keyField, pos);
    pos += this.keyField.length;
    buf[pos++] = 0x12;
    varint(any);
    buf[pos++] = 0x0a;
    varint(n);
    utf8(value, n);
  }

  /** A number: `int_value` when an integer in int64's range, else `double_value`, as the SDK's serializer. */
  number(value: number): void {
    ensure(this.keyField.length + 32);
    varint(this.tag);
    const lengthAt = pos++; // below 128 bytes: keys are the router's own, under 64 bytes
    buf.set(this.keyField, pos);
    pos += this.keyField.length;
    buf[pos++] = 0x12;
    const anyAt = pos++;
    if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
      buf[pos++] = 0x18;
      int64(value);
    } else {
      buf[pos++] = 0x21;
      buf.writeDoubleLE(value, pos);
      pos += 8;
    }
    buf[anyAt] = pos - anyAt - 1;
    buf[lengthAt] = pos - lengthAt - 1;
  }
}

const A = {
  method: new Attribute('http.method'),
  target: new Attribute('http.target'),
  url: new Attribute('http.url'),
  status: new Attribute('http.status_code'),
  requestId: new Attribute('vllm.request_id'),
  model: new Attribute('vllm.model'),
  routingLogic: new Attribute('vllm.routing_logic'),
  backendUrl: new Attribute('vllm.backend_url'),
  inputTokens: new Attribute('gen_ai.usage.input_tokens'),
  outputTokens: new Attribute('gen_ai.usage.output_tokens'),
  ttfb: new Attribute('pdstack.time_to_first_byte_ms'),
};

/** Span names (field 5) with the span kind (field 6): the legs', and the request's by route. */
const legNames = new Map<string, Buffer>();
const routeNames = new Map<string, Buffer>();
const MAX_CACHED_ROUTES = 1024;
/** SpanKind of OTLP (the API's plus one): SERVER 2, CLIENT 3. */
const KIND_SERVER = 2;
const KIND_CLIENT = 3;

function nameAndKind(name: string, kind: number): Buffer {
  return encoded(() => {
    stringField(0x2a, name);
    buf[pos++] = 0x30;
    buf[pos++] = kind;
  });
}

/** Status and flags, then the Span's length. */
function closeSpan(s: SpanRecord, lengthAt: number): void {
  ensure(32);
  const message = s.error ? s.statusMessage : undefined;
  const code = s.error ? 2 : 0;
  if (message) {
    const n = Buffer.byteLength(message, 'utf8');
    ensure(n + 16);
    buf[pos++] = 0x7a;
    varint(1 + varintSize(n) + n + 2);
    buf[pos++] = 0x12;
    varint(n);
    utf8(message, n);
  } else {
    buf[pos++] = 0x7a;
    buf[pos++] = 2;
  }
  buf[pos++] = 0x18;
  buf[pos++] = code;
  // Span.flags (field 16, fixed32): the trace flags (sampled: only sampled spans are recorded), the parent's
  // remoteness known (bit 8) and whether it is remote (bit 9)
  buf[pos++] = 0x85;
  buf[pos++] = 0x01;
  buf.writeUInt32LE(0x101 | (s.parentRemote ? 0x200 : 0), pos);
  pos += 4;
  const start = lengthAt + 2;
  const length = pos - start;
  // a router span is at least 128 bytes (two ids, a parent or a request id, times and three attributes), so its length
  // takes at least the two bytes reserved
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

/** Opens a Span message as ScopeSpans.spans (field 2) up to its first attribute: its length's offset. */
function openSpan(s: SpanRecord & { readonly method: string }, nameKind: Buffer): number {
  ensure(64 + s.traceState.length * 3);
  buf[pos++] = 0x12;
  // the Span's length goes in 2 bytes reserved here (up to 16383 bytes); fixed in closeSpan
  const lengthAt = pos;
  pos += 2;
  hexField(0x0a, s.traceId, 16);
  hexField(0x12, s.spanId, 8);
  if (s.traceState) stringField(0x1a, s.traceState);
  if (s.parentSpanId !== undefined) hexField(0x22, s.parentSpanId, 8);
  put(nameKind);
  ensure(18);
  writeTimes(s.startMs, s.durationMs);
  A.method.string(s.method);
  return lengthAt;
}

function serverSpan(s: ServerSpanRecord): void {
  let name = routeNames.get(s.route);
  if (name === undefined) {
    name = nameAndKind(`router ${s.route}`, KIND_SERVER);
    if (routeNames.size < MAX_CACHED_ROUTES) routeNames.set(s.route, name);
  }
  const lengthAt = openSpan(s, name);
  A.target.string(s.route);
  A.requestId.writeString(s.requestId);
  A.routingLogic.string(s.routingLogic);
  if (s.modelName !== undefined) A.model.string(s.modelName);
  if (s.backendUrl !== undefined) A.backendUrl.string(s.backendUrl);
  if (s.inputTokens !== undefined) A.inputTokens.number(s.inputTokens);
  if (s.outputTokens !== undefined) A.outputTokens.number(s.outputTokens);
  if (s.httpStatus !== undefined) A.status.number(s.httpStatus);
  closeSpan(s, lengthAt);
}

function clientSpan(s: ClientSpanRecord): void {
  let name = legNames.get(s.name);
  if (name === undefined) legNames.set(s.name, (name = nameAndKind(s.name, KIND_CLIENT)));
  const lengthAt = openSpan(s, name);
  A.url.string(s.url);
  A.backendUrl.string(s.backendUrl);
  if (s.ttfbMs !== undefined) A.ttfb.number(s.ttfbMs);
  if (s.httpStatus !== undefined) A.status.number(s.httpStatus);
  closeSpan(s, lengthAt);
}

/** The export's Resource (`service.*` attributes) and InstrumentationScope (name and version). */
export interface EncoderIdentity {
  readonly resource: Readonly<Record<string, string>>;
  readonly scope: { readonly name: string; readonly version: string };
}

/**
 * Spans encoded as they end, kept as bytes until taken for an export. Bounds are the caller's (tracing-queue.ts).
 */
export class SpanEncoder {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  /** The end offset of each span held. */
  private ends: number[] = [];
  /** ResourceSpans.resource and ScopeSpans.scope, encoded once. */
  private readonly resource: Buffer;
  private readonly scope: Buffer;
  /**
   * The buffer of a request whose export is over (`recycle`), for the next `take`: a new 170 KB buffer per export
   * made V8 run full collections (10 instead of 4 in 40,000 traced requests; its collector 10–11 µs per request
   * instead of 6.5–6.8: README, "Where tracing's cost is").
   */
  private spare: Buffer | undefined;
  /** The buffers `take` made (never pooled: Buffer.allocUnsafeSlow), the only ones `recycle` takes back. */
  private readonly made = new WeakSet<ArrayBuffer>();

  constructor(identity: EncoderIdentity) {
    this.resource = encoded(() => {
      const inner = encoded(() => {
        for (const [key, value] of Object.entries(identity.resource)) new Attribute(key, 0x0a).writeString(value);
      });
      ensure(inner.length + 8);
      buf[pos++] = 0x0a; // ResourceSpans.resource
      varint(inner.length);
      put(inner);
    });
    this.scope = encoded(() => {
      const inner = encoded(() => {
        stringField(0x0a, identity.scope.name);
        if (identity.scope.version) stringField(0x12, identity.scope.version);
      });
      ensure(inner.length + 8);
      buf[pos++] = 0x0a; // ScopeSpans.scope
      varint(inner.length);
      put(inner);
    });
  }

  /** Spans held. */
  get count(): number {
    return this.ends.length;
  }

  server(s: ServerSpanRecord): void {
    this.append(serverSpan, s);
  }

  client(s: ClientSpanRecord): void {
    this.append(clientSpan, s);
  }

  private append<S>(write: (s: S) => void, s: S): void {
    buf = this.buf;
    pos = this.pos;
    write(s);
    this.buf = buf;
    this.pos = pos;
    this.ends.push(pos);
  }

  /**
   * The ExportTraceServiceRequest of the first `n` spans held (at least one), which it no longer holds. Its bytes are
   * the caller's until it hands them back with `recycle`.
   */
  take(n: number): Uint8Array {
    const spansBytes = this.ends[n - 1]!;
    const scopeSpans = this.scope.length + spansBytes;
    const resourceSpans = this.resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
    const size = 1 + varintSize(resourceSpans) + resourceSpans;
    let out: Buffer;
    if (this.spare !== undefined && this.spare.length >= size) {
      out = this.spare.subarray(0, size);
      this.spare = undefined;
    } else {
      out = Buffer.allocUnsafeSlow(size);
      this.made.add(out.buffer as ArrayBuffer);
    }
    let at = 0;
    const v = (x: number) => {
      while (x > 0x7f) {
        out[at++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      out[at++] = x;
    };
    out[at++] = 0x0a; // ExportTraceServiceRequest.resource_spans
    v(resourceSpans);
    at += this.resource.copy(out, at);
    out[at++] = 0x12; // ResourceSpans.scope_spans
    v(scopeSpans);
    at += this.scope.copy(out, at);
    this.buf.copy(out, at, 0, spansBytes);
    // what is left moves to the front
    this.buf.copyWithin(0, spansBytes, this.pos);
    this.pos -= spansBytes;
    const rest = this.ends.length - n;
    for (let i = 0; i < rest; i++) this.ends[i] = this.ends[i + n]! - spansBytes;
    this.ends.length = rest;
    return out;
  }

  /** A request `take` returned whose export is over: its bytes may be written again (the largest one is kept). */
  recycle(request: Uint8Array): void {
    if (!this.made.has(request.buffer as ArrayBuffer)) return;
    const whole = Buffer.from(request.buffer, 0, request.buffer.byteLength);
    if (this.spare === undefined || whole.length > this.spare.length) this.spare = whole;
  }
}
