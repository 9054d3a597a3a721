/**
 * The router's `--otel-endpoint` (`routerSpec.otel.endpoint`): where traces are exported over OTLP, read the same way
 * by pdstack-router and by `pdstack validate`.
 *
 * vllm_router exports over OTLP/gRPC to `host:port` (`localhost:4317`), or to `http(s)://host:port`, where `https`
 * means TLS; `--otel-secure` asks for TLS otherwise. pdstack-router does the same, with the OTLP/gRPC port 4317 when
 * none is given, and also exports over OTLP/HTTP (protobuf bodies) when the endpoint is a URL whose path ends in
 * `/v1/traces` (the OTLP/HTTP traces path): TLS when its scheme is `https`. Any other path, a query, credentials or a
 * scheme other than http(s) is refused. An empty endpoint turns tracing off, as in vllm_router.
 */

/** The OTLP/gRPC port, used when an endpoint names none. */
export const OTLP_GRPC_PORT = 4317;
/** The path of OTLP/HTTP's traces endpoint; an endpoint URL ending in it is exported to over OTLP/HTTP. */
export const OTLP_HTTP_TRACES_PATH = '/v1/traces';

export type OtlpEndpoint =
  /** OTLP/gRPC to `address` (`host:port`). */
  | { readonly protocol: 'grpc'; readonly address: string; readonly tls: boolean }
  /** OTLP/HTTP with protobuf bodies, POSTed to `url`. */
  | { readonly protocol: 'http/protobuf'; readonly url: string };

const EXPECTED = `expected host:port for OTLP/gRPC (e.g. otel-collector:${OTLP_GRPC_PORT}) or http(s)://host:port${OTLP_HTTP_TRACES_PATH} for OTLP/HTTP`;
const HOST_PORT =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::(\d{1,5}))?$/;

/**
 * The endpoint `raw` names with `--otel-secure` set to `secure`, or a message saying what is wrong with it (the value
 * shown with any credentials masked). `raw` must not be empty (empty means no tracing).
 */
export function otlpEndpoint(raw: string, secure: boolean): OtlpEndpoint | string {
  const shown = `'${raw.replace(/\/\/[^/]*@/, '//***@')}'`;
  const bad = (why: string) => `${shown} ${why} (${EXPECTED})`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return bad(`has the scheme ${scheme}`);
  const authority = scheme === undefined ? raw : /^[^:]+:\/\/([^/?#]*)\/?$/.exec(raw)?.[1];
  if (authority?.includes('@') || (scheme !== undefined && /^[^:]+:\/\/[^/]*@/.test(raw)))
    return bad('carries credentials');
  if (authority !== undefined) {
    // gRPC: host[:port] or http(s)://host[:port]
    const m = HOST_PORT.exec(authority);
    if (!m) return bad('is not an OTLP endpoint');
    const port = m[2] === undefined ? OTLP_GRPC_PORT : Number(m[2]);
    if (port < 1 || port > 65535) return bad('has a port out of range');
    return { protocol: 'grpc', address: `${m[1]}:${port}`, tls: scheme === 'https' || secure };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad('is not a valid URL');
  }
  if (url.search !== '' || url.hash !== '') return bad('has a query or fragment');
  if (!url.pathname.endsWith(OTLP_HTTP_TRACES_PATH)) return bad(`has a path other than ${OTLP_HTTP_TRACES_PATH}`);
  if (secure && scheme !== 'https') return bad('is plain HTTP while --otel-secure asks for TLS: use https://');
  return { protocol: 'http/protobuf', url: raw };
}
