/**
 * Gateway API route kinds for the router. production-stack renders every `routerSpec.route` entry with HTTPRoute's
 * fields whatever its `kind`; pdstack renders HTTPRoute and refuses the other kinds, each for its reason below.
 */

/** The Gateway API versions serving HTTPRoute (v1 since Gateway API 1.0; v1beta1 still served). */
export const HTTP_ROUTE_API_VERSIONS = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'] as const;
export type HttpRouteApiVersion = (typeof HTTP_ROUTE_API_VERSIONS)[number];

export const isHttpRouteApiVersion = (v: string): v is HttpRouteApiVersion =>
  (HTTP_ROUTE_API_VERSIONS as readonly string[]).includes(v);

/** Why each other kind production-stack's values accept is refused. */
export const REFUSED_ROUTE_KINDS: Readonly<Record<string, string>> = {
  GRPCRoute: 'the router serves the OpenAI HTTP/JSON API, not gRPC (a GRPCRoute matches gRPC services and methods)',
  TCPRoute:
    'a TCPRoute has no hostnames, matches or filters (production-stack renders them into it anyway); the router speaks HTTP, so an HTTPRoute routes it fully',
  TLSRoute:
    'a TLSRoute passes TLS through to the backend, and the router serves plain HTTP; terminate TLS at the Gateway (an HTTPS listener) with an HTTPRoute',
  UDPRoute: 'the router listens on TCP only',
};
