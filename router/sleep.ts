/**
 * vLLM sleep mode through the router (reference §3.8): `POST /sleep?id=<engineId>[&level=..&mode=..]`,
 * `POST /wake_up?id=<engineId>[&tags=..]` and `GET /is_sleeping?id=<engineId>` go to the engine whose `engine_id`
 * `GET /engines` shows, with the other query parameters unchanged.
 *
 * - With `VLLM_API_KEY` set, the client must send `Authorization: Bearer $VLLM_API_KEY` (else 401, nothing
 *   forwarded; api-key.ts checks it on every route). The client's Authorization goes to the engine.
 * - Timeouts are the data path's (the shared `Upstream`): `--upstream-connect-timeout-seconds` and
 *   `--upstream-first-byte-timeout-seconds`. Putting a large model to sleep or waking it up can take tens of
 *   seconds; a shorter timeout firing while the engine completes would leave the router's state wrong. For the same
 *   reason a client that disconnects does not abort the call.
 * - The engine's routing state lives in service discovery (static: in memory; Kubernetes: the `sleeping=true`
 *   label). The order is always the one that never lets client traffic reach an engine that cannot serve it:
 *   `/sleep` takes the engine out of routing first, then calls it (and routes it again if the engine refuses);
 *   `/wake_up` calls the engine first and routes it again only once it is awake. Both answer
 *   `{"status": "success"}` with the engine's status; `/is_sleeping` answers the engine's JSON.
 * - `/sleep` and `/wake_up` of one engine run one at a time, so crossing calls cannot leave an awake engine marked
 *   sleeping (or the reverse).
 * - Errors are OpenAI-style: 401 without the key, 400 for a missing or unknown id, the engine's status and message
 *   when it refuses (4xx/5xx; a 3xx is 502), 502 when it cannot be reached, its answer is longer than
 *   `--max-upstream-body-bytes` or the routing state cannot be changed, 503 when the buffer budget is spent, 504 when
 *   it times out.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Endpoint, ServiceDiscovery } from './discovery/types.js';
import { RouterError, badRequest } from './errors.js';
import type { Logger } from './log.js';
import type { BufferBudget, Lease } from './proxy/buffers.js';
import { enginePath, requestIdOf } from './proxy/shared.js';
import { type Upstream, engineErrorMessage, redirectError, transportError } from './proxy/upstream.js';

export interface SleepDeps {
  readonly discovery: ServiceDiscovery;
  readonly upstream: Upstream;
  /** The engine's answer is read whole: its bytes come from the router's buffer budget. */
  readonly budget: BufferBudget;
  readonly log: Logger;
}

type EnginePath = '/sleep' | '/wake_up' | '/is_sleeping';

/** The answer of an engine call that succeeded (2xx). */
interface EngineAnswer {
  readonly status: number;
  readonly text: string;
}

export function registerSleepEndpoints(app: FastifyInstance, deps: SleepDeps): void {
  const serialise = perEngineQueue();
  const route = (path: EnginePath) => async (request: FastifyRequest, reply: FastifyReply) => {
    const requestId = requestIdOf(request.headers);
    reply.header('x-request-id', requestId);
    // a RouterError thrown here is answered by the app's error handler (its status and OpenAI-style body)
    const given = request.headers.authorization;
    const target = enginePath(path, request.url);
    const id = target.engineId;
    if (!id) throw badRequest('Invalid request: missing target Engine Id.');
    const lease = deps.budget.leaseUntilClosed(reply.raw);
    const call: EngineCall = { deps, path, enginePath: target.path, authorization: given, requestId, lease };
    if (path === '/is_sleeping') {
      const answer = await isSleeping(call, find(deps, id));
      return reply.code(answer.status).send(answer.body);
    }
    const status = await serialise(id, () =>
      path === '/sleep' ? sleep(call, find(deps, id)) : wakeUp(call, find(deps, id)),
    );
    return reply.code(status).send({ status: 'success' });
  };
  app.post('/sleep', route('/sleep'));
  app.post('/wake_up', route('/wake_up'));
  app.get('/is_sleeping', route('/is_sleeping'));
}

/**
 * Runs the tasks given for one key one after the other (a promise chain per key); a key's entry is removed once its
 * chain has settled, so the map holds only engines with calls in progress.
 */
function perEngineQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => {},
      () => {},
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

function find(deps: SleepDeps, id: string): Endpoint {
  const endpoint = deps.discovery.endpoints().find((e) => e.id === id);
  if (!endpoint) throw badRequest(`Engine with Id ${id} not found.`);
  return endpoint;
}

interface EngineCall {
  readonly deps: SleepDeps;
  readonly path: EnginePath;
  /** Path on the engine, with the client's query minus `id`. */
  readonly enginePath: string;
  readonly authorization: string | undefined;
  readonly requestId: string;
  readonly lease: Lease;
}

/** Calls the engine; rejects with the client-visible error unless it answered 2xx. */
async function callEngine(call: EngineCall, endpoint: Endpoint): Promise<EngineAnswer> {
  let status: number;
  let text: string;
  try {
    const answer = await call.deps.upstream.exchange({
      url: endpoint.url,
      path: call.enginePath,
      method: call.path === '/is_sleeping' ? 'GET' : 'POST',
      headers: { 'x-request-id': call.requestId, ...(call.authorization ? { authorization: call.authorization } : {}) },
      body: null,
    }).started;
    status = answer.status;
    text = await answer.text(call.lease);
  } catch (err) {
    throw transportError(call.deps.log, 'engine', endpoint.url, err, call.requestId);
  }
  if (status >= 400) throw new RouterError(status, 'engine_error', engineErrorMessage(text, status));
  // a redirect is not an answer of vLLM's sleep endpoints (and is no error status to pass on)
  if (status >= 300) throw redirectError(call.deps.log, 'engine', endpoint.url, status, call.requestId);
  return { status, text };
}

async function isSleeping(call: EngineCall, endpoint: Endpoint): Promise<{ status: number; body: unknown }> {
  const { status, text } = await callEngine(call, endpoint);
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    call.deps.log.warn(`Engine ${endpoint.url} answered ${call.path} with invalid JSON`);
    throw new RouterError(502, 'engine_error', `Engine ${endpoint.id} answered ${call.path} with invalid JSON.`);
  }
}

/** Out of routing first, then the engine; routed again if the engine refuses. Resolves with the engine's status. */
async function sleep(call: EngineCall, endpoint: Endpoint): Promise<number> {
  const { deps } = call;
  const where = `Engine ${endpoint.id}`;
  try {
    await deps.discovery.setSleeping(endpoint, true);
  } catch (err) {
    const message = `${where} was not put to sleep: the router could not take it out of routing: ${(err as Error).message}`;
    deps.log.error(message);
    throw new RouterError(502, 'service_discovery_error', message);
  }
  let answer: EngineAnswer;
  try {
    answer = await callEngine(call, endpoint);
  } catch (err) {
    // an engine already marked sleeping before this call stays so
    throw endpoint.sleep ? err : await routeAgain(deps, endpoint, err as RouterError);
  }
  deps.log.info(`${where} is asleep: no traffic until /wake_up`);
  return answer.status;
}

/**
 * Routes the engine again after its `/sleep` failed; resolves with the error to answer: the engine's, which also
 * says so when the engine could not be routed again.
 */
async function routeAgain(deps: SleepDeps, endpoint: Endpoint, failure: RouterError): Promise<RouterError> {
  try {
    await deps.discovery.setSleeping(endpoint, false);
    return failure;
  } catch (err) {
    const message =
      `${failure.message} (and the router could not route engine ${endpoint.id} again, ` +
      `so it gets no traffic: ${(err as Error).message})`;
    deps.log.error(`/sleep failed: ${message}`);
    return new RouterError(failure.status, failure.type, message);
  }
}

/** The engine first, routed again only once it is awake. Resolves with the engine's status. */
async function wakeUp(call: EngineCall, endpoint: Endpoint): Promise<number> {
  const { deps } = call;
  const where = `Engine ${endpoint.id}`;
  const answer = await callEngine(call, endpoint);
  try {
    await deps.discovery.setSleeping(endpoint, false);
  } catch (err) {
    const message = `${where} is awake, but still marked sleeping, so it gets no traffic: ${(err as Error).message}`;
    deps.log.error(message);
    throw new RouterError(502, 'service_discovery_error', message);
  }
  deps.log.info(`${where} is awake: routed again`);
  return answer.status;
}
