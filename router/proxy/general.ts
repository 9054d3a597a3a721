/**
 * General proxy path (reference §3.5): route one request to one engine and stream its answer back unchanged
 * (status, body bytes, headers minus hop-by-hop; a redirect is a 502). An engine that cannot be reached is replaced
 * by another candidate up to `--max-instance-failover-reroute-attempts` times.
 */
import type { ServerResponse } from 'node:http';
import type { Endpoint } from '../discovery/types.js';
import { RouterError, sendError } from '../errors.js';
import type { RoutingLogic } from '../routing/logics.js';
import {
  ClientLink,
  type ProxiedRequest,
  type ProxyDeps,
  account,
  candidatesFor,
  isStreaming,
  noEndpoint,
  relay,
  startCall,
  type StartedCall,
} from './shared.js';
import { isAbort, isUnreachable, redirectError, requestHeaders, responseHeaders, transportError } from './upstream.js';

export async function proxyGeneral(
  deps: ProxyDeps,
  logic: RoutingLogic,
  failoverAttempts: number,
  req: ProxiedRequest,
  res: ServerResponse,
  accept?: (e: Endpoint) => boolean,
): Promise<void> {
  let candidates = candidatesFor(deps, req, accept);
  if (candidates.length === 0) return sendError(res, noEndpoint(deps, req.model), req.requestId);
  deps.metrics.incoming.inc({ model: req.model });
  const client = new ClientLink(res);
  const headers = requestHeaders(req.incoming.headers, req.requestId);
  const method = req.incoming.method === 'GET' ? 'GET' : 'POST';
  let lastError: RouterError | undefined;
  for (let attempt = 0; attempt <= failoverAttempts && candidates.length > 0; attempt++) {
    const endpoint = logic.route(candidates, { headers: req.incoming.headers, body: req.body });
    if (deps.log.enabled('debug')) {
      deps.log.debug(`Routing request ${req.requestId} to ${endpoint.url} at ${Date.now() / 1000}`);
    }
    let call: StartedCall;
    try {
      call = await startCall(deps, client, req, 'process_request', endpoint.url, method, headers, req.raw);
    } catch (err) {
      if (isAbort(err)) return;
      lastError = transportError(deps.log, 'upstream', endpoint.url, err, req.requestId);
      if (!isUnreachable(err)) break;
      candidates = candidates.filter((e) => e.url !== endpoint.url);
      continue;
    }
    const { upstream } = call;
    if (upstream.status >= 300 && upstream.status < 400) {
      upstream.abort();
      account(deps, call, endpoint.url, req.model, `http_${upstream.status}`);
      return sendError(
        res,
        redirectError(deps.log, 'upstream', endpoint.url, upstream.status, req.requestId),
        req.requestId,
      );
    }
    const ok = upstream.status < 400;
    const headersOut = responseHeaders(upstream.headers, req.requestId);
    await relay(
      deps,
      client,
      req,
      'upstream',
      endpoint.url,
      call,
      res,
      headersOut,
      ok && !isStreaming(req.body),
      ok ? undefined : `http_${upstream.status}`,
    );
    return;
  }
  sendError(res, lastError ?? noEndpoint(deps, req.model), req.requestId);
}
