/**
 * Sleep mode with static discovery (router/sleep.ts): `/sleep`, `/wake_up` and `/is_sleeping` need the router's key
 * when `VLLM_API_KEY` is set, reach the engine named by `?id=` with the other query parameters, a sleeping engine gets
 * no traffic (503 once no engine of the model is awake) until `/wake_up` — none even while `/sleep` waits for the
 * engine —, calls for one engine run one at a time, and every failure has its status and OpenAI-style message.
 */
import { once } from 'node:events';
import { type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineSim,
  type SimRecord,
  type Spawned,
  spawnEngineSim,
  spawnRouter,
  stopAll,
} from '../sim/processes.js';
import { MODEL, eventually, inference, postJson } from './fixtures.js';

/** An engine that accepts connections and never answers (for the timeout). */
const hung = createServer(() => {});
/** `METHOD path` of every request the controlled engine received, in order of arrival. */
const ctlCalls: string[] = [];
/** How the controlled engine answers a sleep-mode call (a test may hold the answer back); default an empty 200. */
let ctlAnswer: (path: string, res: ServerResponse) => void = (_path, res) => res.end();
/** An in-process engine (model `ctl-model`) whose sleep-mode answers the tests decide. */
const ctl = createServer((req, res) => {
  ctlCalls.push(`${req.method} ${req.url}`);
  req.resume();
  req.on('end', () => {
    if (req.url === '/v1/completions') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'text_completion',
          choices: [{ index: 0, text: 'y', finish_reason: 'length' }],
        }),
      );
    } else ctlAnswer(req.url!, res);
  });
});
const AUTH = { authorization: 'Bearer sk-router' };
let a: EngineSim;
let b: EngineSim;
let c: EngineSim;
/** Engines a, b (MODEL), the hung one, a closed port and ctl, with VLLM_API_KEY set and a 1 s first-byte timeout. */
let router: Spawned;
/** Engine c with health checks every second, without VLLM_API_KEY. */
let checked: Spawned;
/** Engine ids by name, from `GET /engines` (static discovery keeps the order of `--static-backends`). */
let id: { a: string; b: string; hung: string; closed: string; ctl: string; c: string };

async function engineIds(r: Spawned): Promise<string[]> {
  return ((await (await fetch(`${r.url}/engines`, { headers: AUTH })).json()) as { engine_id: string }[]).map(
    (e) => e.engine_id,
  );
}

async function call(r: Spawned, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) {
  const res = await fetch(r.url + path, { method, headers });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as any };
}

/** A completion for the controlled engine's model: its status (503 while the engine is out of routing). */
async function ctlCompletion(): Promise<number> {
  return (await postJson(`${router.url}/v1/completions`, { model: 'ctl-model', prompt: 'x', max_tokens: 1 }, AUTH))
    .status;
}

/** Makes the controlled engine hold its next answer to `path`; `reached` resolves when the call arrived. */
function holdCtl(path: string): { reached: Promise<void>; release: (status: number, body?: string) => void } {
  let held: ServerResponse | undefined;
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const previous = ctlAnswer;
  ctlAnswer = (p, res) => {
    if (held || !p.startsWith(path)) return previous(p, res);
    held = res;
    arrived();
  };
  return {
    reached,
    release: (status, body = '') => {
      ctlAnswer = previous;
      held!.writeHead(status, { 'content-type': 'application/json' }).end(body);
    },
  };
}

const lastRecord = async (sim: EngineSim): Promise<SimRecord> => (await sim.requests()).at(-1)!;

/** Sends `n` completions; returns how many each simulator received. */
async function spread(n: number): Promise<{ a: number; b: number }> {
  await Promise.all([a.clearRequests(), b.clearRequests()]);
  for (let i = 0; i < n; i++) {
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: `p${i}`, max_tokens: 1 }, AUTH);
    expect(r.status, r.text).toBe(200);
  }
  return { a: (await inference(a)).length, b: (await inference(b)).length };
}

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    spawnEngineSim({ models: [MODEL] }),
    spawnEngineSim({ models: [MODEL] }),
    spawnEngineSim({ models: [MODEL] }),
  ]);
  hung.listen(0, '127.0.0.1');
  ctl.listen(0, '127.0.0.1');
  await Promise.all([once(hung, 'listening'), once(ctl, 'listening')]);
  const closed = createServer().listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  const hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
  const ctlUrl = `http://127.0.0.1:${(ctl.address() as AddressInfo).port}`;
  router = await spawnRouter(
    [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'static',
      '--static-backends',
      [a.url, b.url, hungUrl, closedUrl, ctlUrl].join(','),
      '--static-models',
      [MODEL, MODEL, 'hung-model', 'gone-model', 'ctl-model'].join(','),
      '--routing-logic',
      'roundrobin',
      '--upstream-first-byte-timeout-seconds',
      '1',
    ],
    { VLLM_API_KEY: 'sk-router' },
  );
  checked = await spawnRouter([
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    c.url,
    '--static-models',
    MODEL,
    '--static-model-types',
    'chat',
    '--static-backend-health-checks',
    '--static-backend-health-check-interval',
    '1',
    '--routing-logic',
    'roundrobin',
  ]);
  const [ida, idb, idh, idc, idctl] = await engineIds(router);
  id = { a: ida!, b: idb!, hung: idh!, closed: idc!, ctl: idctl!, c: (await engineIds(checked))[0]! };
}, 30_000);

afterAll(async () => {
  for (const server of [hung, ctl]) {
    server.closeAllConnections();
    server.close();
  }
  await stopAll();
}, 30_000);

describe('sleep mode with static discovery', { timeout: 30_000 }, () => {
  it('a missing or unknown engine id → 400 with the reference wording, nothing forwarded', async () => {
    for (const [method, path] of [
      ['POST', '/sleep'],
      ['POST', '/wake_up'],
      ['GET', '/is_sleeping'],
    ] as const) {
      expect(await call(router, method, `${path}?level=1`, AUTH)).toMatchObject({
        status: 400,
        body: {
          error: { message: 'Invalid request: missing target Engine Id.', type: 'invalid_request_error', code: 400 },
        },
      });
      expect(await call(router, method, `${path}?id=nope`, AUTH)).toMatchObject({
        status: 400,
        body: { error: { message: 'Engine with Id nope not found.', type: 'invalid_request_error', code: 400 } },
      });
    }
    expect([...(await a.requests()), ...(await b.requests())]).toEqual([]);
  });

  it('with VLLM_API_KEY set, a client without Bearer $VLLM_API_KEY → 401, nothing forwarded', async () => {
    for (const [method, path] of [
      ['POST', '/sleep'],
      ['POST', '/wake_up'],
      ['GET', '/is_sleeping'],
    ] as const) {
      for (const headers of [
        {},
        { authorization: 'Bearer client-key' },
        { authorization: 'Bearer sk-router2' },
        { authorization: 'sk-router' },
      ] as Record<string, string>[]) {
        expect(await call(router, method, `${path}?id=${id.a}`, headers)).toMatchObject({
          status: 401,
          body: {
            error: {
              message: 'Invalid or missing API key (Authorization: Bearer $VLLM_API_KEY).',
              type: 'authentication_error',
              code: 401,
            },
          },
        });
      }
    }
    expect(await a.requests()).toEqual([]);
    expect(await spread(2)).toEqual({ a: 1, b: 1 }); // nobody was put to sleep
  });

  it('/is_sleeping answers the engine JSON; the engine gets Bearer $VLLM_API_KEY and the request id', async () => {
    const r = await call(router, 'GET', `/is_sleeping?id=${id.a}`, { ...AUTH, 'x-request-id': 'req-1' });
    expect(r).toEqual({ status: 200, requestId: 'req-1', body: { is_sleeping: false } });
    expect(await lastRecord(a)).toMatchObject({
      method: 'GET',
      path: '/is_sleeping',
      headers: { authorization: 'Bearer sk-router', 'x-request-id': 'req-1' },
    });
  });

  it('/sleep forwards the query minus id; the sleeping engine gets no traffic, and none awake → 503', async () => {
    const r = await call(router, 'POST', `/sleep?id=${id.a}&level=2&mode=wait`, AUTH);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'success' });
    expect(await lastRecord(a)).toMatchObject({
      method: 'POST',
      path: '/sleep?level=2&mode=wait',
      headers: { authorization: 'Bearer sk-router' },
    });
    expect((await call(router, 'GET', `/is_sleeping?id=${id.a}`, AUTH)).body).toEqual({ is_sleeping: true });
    expect(await spread(6)).toEqual({ a: 0, b: 6 });

    expect((await call(router, 'POST', `/sleep?id=${id.b}`, AUTH)).status).toBe(200);
    await b.clearRequests();
    const none = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 }, AUTH);
    expect(none.status).toBe(503);
    expect(none.json()).toEqual({
      error: {
        message: `Model '${MODEL}' is temporarily unavailable. Please try again later.`,
        type: 'service_unavailable',
        code: 503,
      },
    });
    expect([...(await inference(a)), ...(await inference(b))]).toEqual([]);
  });

  it('/wake_up forwards its tags and brings the engine back into routing', async () => {
    const r = await call(router, 'POST', `/wake_up?id=${id.a}&tags=weights&tags=kv_cache`, AUTH);
    expect(r).toMatchObject({ status: 200, body: { status: 'success' } });
    expect(await lastRecord(a)).toMatchObject({ method: 'POST', path: '/wake_up?tags=weights&tags=kv_cache' });
    expect(await spread(4)).toEqual({ a: 4, b: 0 });
  });

  it('an engine error → its status and message, and the router keeps the engine asleep', async () => {
    await b.config({ sleepStatus: 500 });
    expect(await call(router, 'POST', `/wake_up?id=${id.b}`, AUTH)).toMatchObject({
      status: 500,
      body: { error: { message: 'Simulated /wake_up failure', type: 'engine_error', code: 500 } },
    });
    expect(await spread(2)).toEqual({ a: 2, b: 0 });
    await b.config({ sleepStatus: 200 });
    expect((await call(router, 'POST', `/wake_up?id=${id.b}`, AUTH)).status).toBe(200);
    expect(await spread(4)).toEqual({ a: 2, b: 2 });
  });

  it('an engine that does not answer in time → 504, one that cannot be reached → 502', async () => {
    const slow = await call(router, 'POST', `/sleep?id=${id.hung}`, AUTH);
    expect(slow.status).toBe(504);
    expect(slow.body.error).toMatchObject({ type: 'engine_error', code: 504 });
    expect(slow.body.error.message).toBe('Engine timed out (UND_ERR_HEADERS_TIMEOUT).');
    const gone = await call(router, 'GET', `/is_sleeping?id=${id.closed}`, AUTH);
    expect(gone.status).toBe(502);
    expect(gone.body.error).toMatchObject({ type: 'engine_error', code: 502 });
    expect(gone.body.error.message).toBe('Engine cannot be reached (ECONNREFUSED).');
    // the engine's address is the log's, not the client's
    await eventually(async () =>
      /Engine http:\/\/127\.0\.0\.1:\d+ cannot be reached for request \S+: connect ECONNREFUSED/.test(router.stderr()),
    );
    expect(await engineIds(router)).toHaveLength(5);
  });

  it('/sleep takes the engine out of routing before calling it, and routes it again when the engine refuses', async () => {
    const sleep = holdCtl('/sleep');
    const answer = call(router, 'POST', `/sleep?id=${id.ctl}`, AUTH);
    await sleep.reached;
    // the engine is falling asleep: no request may reach it meanwhile
    expect(await ctlCompletion()).toBe(503);
    sleep.release(500, JSON.stringify({ error: { message: 'cannot sleep now' } }));
    expect(await answer).toMatchObject({
      status: 500,
      body: { error: { message: 'cannot sleep now', type: 'engine_error', code: 500 } },
    });
    expect(await ctlCompletion()).toBe(200);
    expect(ctlCalls.filter((c) => c === 'POST /v1/completions')).toHaveLength(1);
  });

  it('/sleep and /wake_up of one engine run one at a time, so crossing calls leave the state of the last', async () => {
    ctlCalls.splice(0);
    const sleep = holdCtl('/sleep');
    const asleep = call(router, 'POST', `/sleep?id=${id.ctl}`, AUTH);
    await sleep.reached;
    const awake = call(router, 'POST', `/wake_up?id=${id.ctl}`, AUTH);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a window for a /wake_up that did not wait its turn
    expect(ctlCalls).toEqual(['POST /sleep']);
    sleep.release(200);
    expect((await asleep).status).toBe(200);
    expect((await awake).status).toBe(200);
    expect(ctlCalls).toEqual(['POST /sleep', 'POST /wake_up']);
    expect(await ctlCompletion()).toBe(200);
  });

  it('a redirect from the engine → 502 (no error status to pass on), and /sleep routes the engine again', async () => {
    ctlAnswer = (_path, res) => res.writeHead(307, { location: '/elsewhere' }).end();
    try {
      for (const [method, path] of [
        ['GET', '/is_sleeping'],
        ['POST', '/sleep'],
        ['POST', '/wake_up'],
      ] as const) {
        const r = await call(router, method, `${path}?id=${id.ctl}`, AUTH);
        expect(r.status).toBe(502);
        expect(r.body.error).toMatchObject({
          type: 'engine_error',
          code: 502,
          message: 'Engine answered with a redirect (HTTP 307).',
        });
      }
    } finally {
      ctlAnswer = (_path, res) => res.end();
    }
    expect(await ctlCompletion()).toBe(200);
  });

  it("without VLLM_API_KEY the client's Authorization is forwarded; health checks spare a sleeping engine", async () => {
    const r = await call(checked, 'POST', `/sleep?id=${id.c}`, { authorization: 'Bearer client-key' });
    expect(r.status).toBe(200);
    expect(await lastRecord(c)).toMatchObject({ path: '/sleep', headers: { authorization: 'Bearer client-key' } });
    await c.clearRequests();
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two health-check rounds
    expect(await inference(c)).toEqual([]);
    expect(await engineIds(checked)).toEqual([id.c]); // still listed, so it can be woken up
    const chat = { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 1 };
    expect((await postJson(`${checked.url}/v1/chat/completions`, chat)).status).toBe(503);
    expect((await call(checked, 'POST', `/wake_up?id=${id.c}`)).status).toBe(200);
    expect((await postJson(`${checked.url}/v1/chat/completions`, chat)).status).toBe(200);
  });
});
