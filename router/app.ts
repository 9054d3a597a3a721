/**
 * The router: a fastify app wiring discovery, stats, routing and the two proxy paths together, plus its lifecycle
 * (start, graceful stop).
 */
import { type IncomingMessage, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyHttpOptions,
} from 'fastify';
import { isPdLogic } from '../schema/facts/routing-logic.js';
import type { RouterConfig } from './config/config.js';
import { apiKeyCheck, OPEN_PATHS, requireApiKey } from './api-key.js';
import { createDiscovery } from './discovery/index.js';
import { RouterError, bodyTooLarge, errorBody, sendError } from './errors.js';
import type { Logger } from './log.js';
import { LeastLoaded } from './routing/balance.js';
import { PrefixAwareRouter, RoundRobin, type RoutingLogic, SessionRouter } from './routing/logics.js';
import { BufferBudget, answeredBeforeBody, readBody } from './proxy/buffers.js';
import { proxyGeneral } from './proxy/general.js';
import { FORM_POST_PATHS, parseFormRequest } from './proxy/multipart.js';
import { PdProxy } from './proxy/pd.js';
import {
  type ProxiedRequest,
  type ProxyDeps,
  checkIdentityEncoding,
  enginePath,
  parseBody,
  requestIdOf,
} from './proxy/shared.js';
import { Upstream } from './proxy/upstream.js';
import { EngineStatsScraper } from './stats/engine-stats.js';
import { startLogStats } from './stats/log-stats.js';
import { RouterMetrics } from './stats/metrics.js';
import { RequestStatsMonitor } from './stats/request-stats.js';
import { registerSleepEndpoints } from './sleep.js';
import type { Tracing } from './tracing.js';
import { VERSION } from './version.js';

/** OpenAI-style endpoints proxied to engines (reference §3.8). */
export const PROXIED_POST_PATHS = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/tokenize',
  '/detokenize',
  '/v1/rerank',
  '/rerank',
  '/v1/score',
  '/score',
  '/v1/responses',
  '/v1/audio/speech',
  '/v1/audio/translations',
  '/v1/images/generations',
  '/v1/messages',
] as const;
export const PROXIED_GET_PATHS = ['/v1/audio/voices'] as const;
/** Endpoints that go through prefill + decode in the disaggregated logics; the others go to a decode engine. */
const GENERATION_PATHS = new Set(['/v1/chat/completions', '/v1/completions']);

export interface Router {
  readonly app: FastifyInstance;
  /** Starts discovery, stats and the HTTP listener; resolves with the URL actually listened on. */
  start(): Promise<string>;
  /** Stops accepting, drains in-flight requests (up to the grace time), closes upstream connections and discovery. */
  stop(): Promise<void>;
}

function routingLogic(config: RouterConfig, deps: ProxyDeps): RoutingLogic {
  switch (config.routingLogic) {
    case 'roundrobin':
      return new RoundRobin();
    case 'session':
      return new SessionRouter(config.sessionKey!, deps.requestStats);
    case 'prefixaware':
      return new PrefixAwareRouter(config.prefixMinMatchLength, config.prefixCacheMaxEntries, deps.requestStats);
    default: {
      // disaggregated logics: endpoints other than (chat) completions go to the least loaded decode engine
      const balancer = new LeastLoaded(deps.requestStats, deps.engineStats);
      return { route: (candidates) => balancer.pick(candidates) };
    }
  }
}

/**
 * At most --max-connections client connections (more are closed as they arrive); a connection that sends no request
 * within --client-idle-timeout-seconds is closed, as are keep-alive connections idle that long between requests
 * (Node's keepAliveTimeout). The first request lifts the first wait: after that Node's timers apply.
 */
function limitConnections(app: FastifyInstance, config: RouterConfig): void {
  const server = app.server;
  server.maxConnections = config.maxConnections;
  server.on('connection', (socket: Socket) => socket.setTimeout(config.clientIdleTimeoutMs));
  server.on('request', (req: FastifyRequest['raw']) => {
    if (req.socket.timeout) req.socket.setTimeout(0);
  });
}

const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'The request was not received in time (--client-header-timeout-seconds, --client-body-timeout-seconds).',
  ],
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large.'],
};

/** A request Node's parser refused or timed out: an OpenAI-style error, then the connection is closed. */
function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Malformed HTTP request.'];
  if (socket.writable && !answeredBeforeBody(socket)) {
    const payload = JSON.stringify(errorBody(status, 'invalid_request_error', message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy();
}

export async function createRouter(config: RouterConfig, log: Logger): Promise<Router> {
  const sd = await createDiscovery(config.discovery, log.child('service_discovery'));
  const requestStats = new RequestStatsMonitor(config.requestStatsWindowSeconds);
  const engineStats = new EngineStatsScraper(
    sd,
    config.engineStatsIntervalSeconds,
    config.engineStatsTimeoutSeconds,
    config.engineStatsFailureThreshold,
    config.maxUpstreamBodyBytes,
    log.child('engine_stats'),
    (urls) => requestStats.retain(urls),
  );
  const metrics = new RouterMetrics(sd, requestStats, engineStats);
  const upstream = new Upstream(config.connectTimeoutMs, config.firstByteTimeoutMs, config.maxUpstreamBodyBytes);
  const budget = new BufferBudget(config.maxBufferedBytes);
  const deps: ProxyDeps = { discovery: sd, upstream, budget, requestStats, engineStats, metrics, log };
  const logic = routingLogic(config, deps);
  // the OpenTelemetry SDK is loaded only when tracing is on
  const tracing: Tracing | undefined = config.otel
    ? (await import('./tracing.js')).startTracing(config.otel, config.routingLogic, log.child('otel'))
    : undefined;
  const pd = isPdLogic(config.routingLogic)
    ? new PdProxy(deps, new LeastLoaded(requestStats, engineStats), new LeastLoaded(requestStats, engineStats), {
        prefillLabels: config.prefillLabels,
        decodeLabels: config.decodeLabels,
        orchestrated: config.routingLogic === 'disaggregated_prefill_orchestrated',
        fallback: config.pdFallback,
        concurrent: config.pdDispatch === 'concurrent',
        decide: {
          minPromptTokens: config.pdMinPromptTokens,
          ...(config.pdMaxPrefillQueue !== undefined ? { maxPrefillQueue: config.pdMaxPrefillQueue } : {}),
        },
      })
    : undefined;

  const options: FastifyHttpOptions<Server> = {
    logger: false,
    // the whole request (headers and body) in --client-body-timeout-seconds, its headers in
    // --client-header-timeout-seconds; Node checks both every second
    requestTimeout: config.clientBodyTimeoutMs,
    http: { headersTimeout: config.clientHeaderTimeoutMs, connectionsCheckingInterval: 1000 },
    keepAliveTimeout: config.clientIdleTimeoutMs,
    clientErrorHandler: clientError,
  };
  if (config.rootPath) {
    options.rewriteUrl = (req) => {
      const url = req.url ?? '/';
      return url.startsWith(config.rootPath) ? url.slice(config.rootPath.length) || '/' : url;
    };
  }
  const app = Fastify(options);
  // `Expect: 100-continue` is the router's to answer (an engine never sees it): a body declared over the limit is
  // refused before the client sends it, any other gets `100 Continue`. (Other expectations get Node's 417.)
  // A client without the key is not invited to send its body: the API-key hook answers it 401 (or lets an open path
  // through) without the body ever being read.
  const authorized = apiKeyCheck(config.engineApiKey);
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > config.maxRequestBodyBytes) {
      res.shouldKeepAlive = false;
      return sendError(res, bodyTooLarge(config.maxRequestBodyBytes), requestIdOf(req.headers));
    }
    if (authorized && !authorized(req.headers.authorization)) res.shouldKeepAlive = false;
    else res.writeContinue();
    app.server.emit('request', req, res);
  });
  limitConnections(app, config);
  // bodies are read by the proxy handlers themselves (readBody: size cap and buffer budget); other routes read none
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  requireApiKey(app, config.engineApiKey, config.apiKeyForHealthAndMetrics ? [] : OPEN_PATHS);
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof RouterError)
      return reply
        .code(err.status)
        .headers(err.headers ?? {})
        .send(err.body());
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error(`Unhandled error: ${err.stack ?? err.message}`);
    return reply
      .code(status)
      .send(
        errorBody(
          status,
          status === 500 ? 'internal_error' : 'invalid_request_error',
          status === 500 ? 'Internal server error.' : err.message,
        ),
      );
  });
  // a known path asked with another method is a 405 with `Allow` (fastify's own answer would be a 404)
  const allowed = new Map<string, string[]>();
  app.addHook('onRoute', (route) => {
    allowed.set(route.url, [...(allowed.get(route.url) ?? []), ...[route.method].flat()]);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allow = allowed.get(path)?.join(', ');
    if (allow === undefined) {
      return reply.code(404).send(errorBody(404, 'not_found_error', `No route for ${req.method} ${path}.`));
    }
    return reply
      .code(405)
      .header('allow', allow)
      .send(errorBody(405, 'invalid_request_error', `Method ${req.method} is not allowed for ${path} (use ${allow}).`));
  });

  const jsonBody = (_request: FastifyRequest, body: Buffer) => parseBody(body, config.aliases);
  // P/D serializes both engines' bodies from the parsed request: the client's bytes are not kept (memory)
  const pdBody = (_request: FastifyRequest, body: Buffer) => parseBody(body, config.aliases, false);
  const proxy =
    (route: string, parse = jsonBody) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const requestId = requestIdOf(request.headers);
      reply.header('x-request-id', requestId);
      const trace = tracing?.request(route, request.method, request.headers, requestId, reply.raw);
      checkIdentityEncoding(request.headers); // a RouterError is answered by the error handler
      const lease = budget.leaseUntilClosed(reply.raw);
      // a RouterError (413, 503, 400) is answered by the error handler
      const parsed = parse(request, await readBody(request.raw, config.maxRequestBodyBytes, lease));
      reply.hijack();
      const res = reply.raw;
      trace?.model(parsed.model);
      const req: ProxiedRequest = {
        requestId,
        incoming: request.raw,
        lease,
        ...enginePath(route, request.url),
        ...parsed,
        trace,
      };
      try {
        if (pd && GENERATION_PATHS.has(route)) await pd.handle(req, res);
        else await proxyGeneral(deps, logic, config.failoverAttempts, req, res, pd?.isDecode);
      } catch (err) {
        log.error(`Request ${requestId} failed: ${(err as Error).stack ?? String(err)}`);
        sendError(res, new RouterError(500, 'internal_error', 'Internal server error.'), requestId);
      }
    };
  for (const path of PROXIED_POST_PATHS)
    app.post(path, proxy(path, pd && GENERATION_PATHS.has(path) ? pdBody : jsonBody));
  for (const path of PROXIED_GET_PATHS) app.get(path, proxy(path));
  for (const path of FORM_POST_PATHS) {
    app.post(
      path,
      proxy(path, (request, body) => parseFormRequest(path, body, request.headers['content-type'], config.aliases)),
    );
  }

  app.get('/v1/models', async () => {
    const seen = new Map<string, Record<string, unknown>>();
    for (const e of sd.endpoints()) {
      for (const name of e.modelNames) {
        if (seen.has(name)) continue;
        // both discoveries give every listed model its card (static builds one, k8s lists the engine's cards)
        const info = e.modelInfo[name];
        if (!info) continue;
        seen.set(name, {
          ...info.extra,
          id: info.id,
          object: info.object,
          created: info.created,
          owned_by: info.owned_by,
          root: info.root,
          parent: info.parent,
        });
      }
    }
    return { object: 'list', data: [...seen.values()] };
  });
  app.get('/engines', async () =>
    sd.endpoints().map((e) => ({ engine_id: e.id, serving_models: e.modelNames, created: e.addedTimestamp })),
  );
  app.get('/version', async () => ({ version: VERSION }));
  app.get('/health', async (_req, reply) => {
    const h = sd.health();
    if (!h.healthy) {
      return reply
        .code(503)
        .send({ status: 'Service discovery module is down.', ...(h.reason ? { reason: h.reason } : {}) });
    }
    return { status: 'healthy' };
  });
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.render()),
  );
  registerSleepEndpoints(app, { discovery: sd, upstream, budget, log });

  let stopLogStats: (() => void) | undefined;
  return {
    app,
    async start() {
      await sd.start();
      engineStats.start();
      if (config.logStats) {
        stopLogStats = startLogStats(
          config.logStatsIntervalSeconds,
          log.child('log_stats'),
          sd,
          engineStats,
          requestStats,
        );
      }
      await app.listen({ host: config.host, port: config.port });
      const addr = app.server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    async stop() {
      stopLogStats?.();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn(`In-flight requests still running after ${config.shutdownGraceMs / 1000} s; closing them`);
          app.server.closeAllConnections();
          resolve();
        }, config.shutdownGraceMs);
      });
      // keep-alive connections that become idle once their last answer is sent are closed as they appear
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      await Promise.race([app.close(), grace]);
      clearTimeout(timer);
      clearInterval(idle);
      await Promise.all([upstream.close(), engineStats.stop(), sd.stop(), tracing?.shutdown()]);
    },
  };
}
