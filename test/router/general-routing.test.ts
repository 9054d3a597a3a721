/**
 * The general proxy path and its routing logics: roundrobin, session, prefixaware, failover to another engine,
 * aliases, and pass-through of the engine's status, body and headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, postJson } from './fixtures.js';

let a: EngineSim;
let b: EngineSim;

beforeAll(async () => {
  [a, b] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
}, 30_000);
afterAll(stopAll, 30_000);

const routerFor = (logic: string, extra: string[] = [], backends = [a.url, b.url]) =>
  spawnRouter([
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    backends.join(','),
    '--static-models',
    backends.map(() => MODEL).join(','),
    '--routing-logic',
    logic,
    ...extra,
  ]);
const clear = () => Promise.all([a.clearRequests(), b.clearRequests()]);
const served = async () => [(await inference(a)).length, (await inference(b)).length];

describe('general proxy path', { timeout: 30_000 }, () => {
  it('roundrobin alternates and forwards path, body bytes and headers', async () => {
    const router = await routerFor('roundrobin');
    await clear();
    for (let i = 0; i < 6; i++) {
      const r = await postJson(
        `${router.url}/v1/completions`,
        { model: MODEL, prompt: `r${i}`, max_tokens: 1 },
        {
          authorization: 'Bearer client',
          'x-request-id': `rr-${i}`,
        },
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('x-request-id')).toBe(`rr-${i}`);
    }
    expect(await served()).toEqual([3, 3]);
    const [first] = await inference(a);
    expect(first!.path).toBe('/v1/completions');
    expect(first!.headers['authorization']).toBe('Bearer client');
    expect(first!.body).toMatchObject({ model: MODEL, max_tokens: 1 });
  });

  it('passes an engine error status and body through unchanged', async () => {
    const router = await routerFor('roundrobin');
    await a.config({ failStatus: 429 });
    await b.config({ failStatus: 429 });
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x' });
    expect(r.status).toBe(429);
    expect((r.json() as { error: { message: string } }).error.message).toBe('Simulated failure 429');
    await a.config({ failStatus: null });
    await b.config({ failStatus: null });
  });

  it('session: the same session id always reaches the same engine (header or body field)', async () => {
    const router = await routerFor('session', ['--session-key', 'x-user-id']);
    await clear();
    for (let i = 0; i < 5; i++) {
      await postJson(
        `${router.url}/v1/completions`,
        { model: MODEL, prompt: 'x', max_tokens: 1 },
        { 'x-user-id': 'alice' },
      );
    }
    const afterHeader = await served();
    expect(afterHeader.sort()).toEqual([0, 5]);
    await clear();
    for (let i = 0; i < 4; i++) {
      await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1, 'x-user-id': 'bob' });
    }
    expect((await served()).sort()).toEqual([0, 4]);
  });

  it('prefixaware: prompts sharing a long prefix go to the same engine', async () => {
    const router = await routerFor('prefixaware');
    await clear();
    const prefix = 'You are a helpful assistant. '.repeat(20);
    for (let i = 0; i < 6; i++) {
      await postJson(`${router.url}/v1/chat/completions`, {
        model: MODEL,
        messages: [
          { role: 'system', content: prefix },
          { role: 'user', content: `question ${i}` },
        ],
        max_tokens: 1,
      });
    }
    expect((await served()).sort()).toEqual([0, 6]);
  });

  it('an unreachable engine is replaced with --max-instance-failover-reroute-attempts 1', async () => {
    const router = await routerFor(
      'roundrobin',
      ['--max-instance-failover-reroute-attempts', '1'],
      ['http://127.0.0.1:1', a.url],
    );
    await clear();
    for (let i = 0; i < 4; i++) {
      expect(
        (await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 })).status,
      ).toBe(200);
    }
    expect((await inference(a)).length).toBe(4);
    const plain = await routerFor('roundrobin', [], ['http://127.0.0.1:1']);
    const r = await postJson(`${plain.url}/v1/completions`, { model: MODEL, prompt: 'x' });
    expect(r.status).toBe(502);
    expect((r.json() as { error: { type: string } }).error.type).toBe('upstream_error');
  });

  it('aliases rewrite the model before routing', async () => {
    const router = await routerFor('roundrobin', ['--static-aliases', `llama:${MODEL}`]);
    await clear();
    const r = await postJson(`${router.url}/v1/completions`, { model: 'llama', prompt: 'x', max_tokens: 1 });
    expect(r.status).toBe(200);
    const all = [...(await inference(a)), ...(await inference(b))];
    expect(all.map((x) => x.body!.model)).toEqual([MODEL]);
  });

  it('other endpoints (embeddings) are proxied to the same path', async () => {
    const router = await routerFor('roundrobin');
    await clear();
    const r = await postJson(`${router.url}/v1/embeddings`, { model: MODEL, input: 'hi' });
    expect(r.status).toBe(200);
    expect((r.json() as { object: string }).object).toBe('list');
    const all = [...(await inference(a)), ...(await inference(b))];
    expect(all.map((x) => x.path)).toEqual(['/v1/embeddings']);
  });
});
