/**
 * An OTLP trace receiver for the tests, on 127.0.0.1: the collector's TraceService/Export over gRPC (@grpc/grpc-js),
 * or OTLP/HTTP (`POST /v1/traces`, protobuf), plain or over TLS, the requests decoded with the protobufjs types
 * generated from the OTLP .proto files that `@opentelemetry/otlp-transformer` 0.216 carries (the dev dependency
 * `otlp-proto-0.216`; from 0.217 the exporter encodes with its own writer and ships no request types): a decoder
 * independent of the one that encodes the router's exports. Spans are flattened into `ReceivedSpan`s.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import generated from 'otlp-proto-0.216/build/src/generated/root';

/** protobufjs' decoded messages (the generated module has no TypeScript types of its messages). */
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | { toNumber(): number };
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface DecodedSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface DecodedRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: DecodedSpan[] }[] }[];
}

// protobufjs' generated module: typed as a bare Root, so its namespaces are given their shape here
const root = generated as unknown as {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: {
            ExportTraceServiceRequest: {
              decode(b: Uint8Array): DecodedRequest;
              toObject(m: DecodedRequest, options: object): unknown;
            };
          };
        };
      };
    };
  };
};
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** An ExportTraceServiceRequest decoded into plain values (64-bit integers as strings, bytes as base64), defaults too. */
export function decodedRequest(bytes: Uint8Array): unknown {
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), {
    longs: String,
    bytes: String,
    enums: Number,
    defaults: true,
  });
}

/** `SpanKind` of OTLP: 2 server, 3 client. */
export const SPAN_KIND = { server: 2, client: 3 } as const;
/** `Status.code` of OTLP: 2 error. */
export const STATUS_ERROR = 2;

export interface ReceivedSpan {
  readonly service: string | undefined;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly statusCode: number;
}

export interface OtlpReceiver {
  /** What the router's `--otel-endpoint` names: `127.0.0.1:<port>` (gRPC) or `http://127.0.0.1:<port>/v1/traces`. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Export calls received so far (answered or held). */
  exports(): number;
  close(): Promise<void>;
}

/** A server certificate and its key (PEM). */
export interface ReceiverTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface GrpcReceiverOptions {
  /** Serve over TLS with this certificate. @default plain */
  readonly tls?: ReceiverTls;
  /** Leave every export unanswered until `release()` (a collector that has stalled). @default false */
  readonly hold?: boolean;
  /** Decode the exports into `spans`; the benchmark only counts them, to spare its load generator's CPU. @default true */
  readonly decode?: boolean;
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');

function value(v: AnyValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.intValue !== undefined && v.intValue !== null)
    return typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  return v.boolValue ?? undefined;
}

function attributes(kvs: KeyValue[] | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));
}

function flatten(bytes: Uint8Array, into: ReceivedSpan[]): void {
  const request = ExportTraceServiceRequest.decode(bytes);
  for (const rs of request.resourceSpans ?? []) {
    const service = attributes(rs.resource?.attributes)['service.name'];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        into.push({
          service: typeof service === 'string' ? service : undefined,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          attributes: attributes(s.attributes),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
}

/** The collector's trace service: requests decoded by flatten(), an empty ExportTraceServiceResponse back. */
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: (b: Buffer) => b,
  },
};

export async function startOtlpGrpcReceiver(
  options: GrpcReceiverOptions = {},
): Promise<OtlpReceiver & { release(): void }> {
  const spans: ReceivedSpan[] = [];
  const held: (() => void)[] = [];
  let exports = 0;
  let holding = options.hold ?? false;
  const server = new Server();
  server.addService(TRACE_SERVICE, {
    Export: (call: { request: Buffer }, callback: sendUnaryData<Buffer>) => {
      exports++;
      const answer = () => {
        if (options.decode !== false) flatten(call.request, spans);
        callback(null, Buffer.alloc(0));
      };
      if (holding) held.push(answer);
      else answer();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      options.tls
        ? ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }])
        : ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return {
    endpoint: `${options.tls ? 'localhost' : '127.0.0.1'}:${port}`,
    spans,
    exports: () => exports,
    release() {
      holding = false;
      for (const answer of held.splice(0)) answer();
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** OTLP/HTTP on 127.0.0.1, over TLS (`https://localhost:<port>/v1/traces`) when `tls` is given. */
export async function startOtlpHttpReceiver(tls?: ReceiverTls): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let exports = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    exports++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/x-protobuf'
      ) {
        res.writeHead(404).end();
        return;
      }
      flatten(Buffer.concat(chunks), spans);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  };
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: tls ? `https://localhost:${port}/v1/traces` : `http://127.0.0.1:${port}/v1/traces`,
    spans,
    exports: () => exports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
