/**
 * vLLM sleep mode through the router (reference §3.8): `POST /sleep?id=<engineId>[&level=..&mode=..]`,
 * `POST /wake_up?id=<engineId>[&tags=..]` and `GET /is_sleeping?id=<engineId>` go to the engine whose `engine_id`
 * `GET /engines` shows, with the other query parameters unchanged.
 *
 * - The engine gets `Authorization: Bearer $VLLM_API_KEY` when that is set, else the client's Authorization.
 * - Timeouts are the data path's (the shared `Upstream`): `--upstream-connect-timeout-seconds` and
 *   `--upstream-first-byte-timeout-seconds`. Putting a large model to sleep or waking it up can take tens of
 *   seconds; a shorter timeout firing while the engine completes would leave the router routing to a sleeping
 *   engine. For the same reason a client that disconnects does not abort the call.
 * - When the engine succeeds, `/sleep` and `/wake_up` record the new state in service discovery (static: in memory;
 *   Kubernetes: the `sleeping=true` label), so routing skips the engine or uses it again, and answer
 *   `{"status": "success"}` with the engine's status; `/is_sleeping` answers the engine's JSON.
 * - Errors are OpenAI-style: 400 for a missing or unknown id, the engine's status and message when it refuses,
 *   502 when it cannot be reached or its new state cannot be recorded, 504 when it times out.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceDiscovery } from './discovery/types.js';
import { RouterError, badRequest } from './errors.js';
import type { Logger } from './log.js';
import { enginePath } from './proxy/shared.js';
import { type Upstream, engineErrorMessage, transportError } from './proxy/upstream.js';

export interface SleepDeps {
  readonly discovery: ServiceDiscovery;
  readonly upstream: Upstream;
  readonly log: Logger;
  /** `VLLM_API_KEY`, sent to the engine as a bearer token in place of the client's Authorization. */
  readonly apiKey: string | undefined;
}

type EnginePath = '/sleep' | '/wake_up' | '/is_sleeping';

export function registerSleepEndpoints(app: FastifyInstance, deps: SleepDeps): void {
  const route = (path: EnginePath) => async (request: FastifyRequest, reply: FastifyReply) => {
    const given = request.headers['x-request-id'];
    const requestId = typeof given === 'string' && given !== '' ? given : randomUUID();
    reply.header('x-request-id', requestId);
    try {
      return await forward(deps, path, request, reply, requestId);
    } catch (err) {
      if (!(err instanceof RouterError)) throw err;
      return reply.code(err.status).send(err.body());
    }
  };
  app.post('/sleep', route('/sleep'));
  app.post('/wake_up', route('/wake_up'));
  app.get('/is_sleeping', route('/is_sleeping'));
}

async function forward(
  deps: SleepDeps,
  path: EnginePath,
  request: FastifyRequest,
  reply: FastifyReply,
  requestId: string,
): Promise<FastifyReply> {
  const target = enginePath(path, request.url);
  const id = target.engineId;
  if (!id) throw badRequest('Invalid request: missing target Engine Id.');
  const endpoint = deps.discovery.endpoints().find((e) => e.id === id);
  if (!endpoint) throw badRequest(`Engine with Id ${id} not found.`);
  const authorization = deps.apiKey ? `Bearer ${deps.apiKey}` : request.headers.authorization;

  let status: number;
  let text: string;
  try {
    const answer = await deps.upstream.exchange({
      url: endpoint.url,
      path: target.path,
      method: path === '/is_sleeping' ? 'GET' : 'POST',
      headers: { 'x-request-id': requestId, ...(authorization ? { authorization } : {}) },
      body: null,
    }).started;
    status = answer.status;
    text = await answer.text();
  } catch (err) {
    throw transportError('engine', endpoint.url, err);
  }
  if (status >= 300) throw new RouterError(status, 'engine_error', engineErrorMessage(text, status));

  if (path === '/is_sleeping') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RouterError(502, 'engine_error', `Engine ${endpoint.url} answered ${path} with invalid JSON.`);
    }
    return reply.code(status).send(body);
  }
  const sleeping = path === '/sleep';
  const state = sleeping ? 'asleep' : 'awake';
  try {
    await deps.discovery.setSleeping(endpoint, sleeping);
  } catch (err) {
    const message = `Engine ${id} at ${endpoint.url} is ${state}, but the router could not record it: ${(err as Error).message}`;
    deps.log.error(message);
    throw new RouterError(502, 'service_discovery_error', message);
  }
  deps.log.info(`Engine ${id} at ${endpoint.url} is ${state}${sleeping ? ': no traffic until /wake_up' : ''}`);
  return reply.code(status).send({ status: 'success' });
}
