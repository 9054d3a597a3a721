/**
 * With `VLLM_API_KEY` set, every route that reaches an engine or reveals engine ids needs
 * `Authorization: Bearer $VLLM_API_KEY` (401 otherwise, and nothing reaches an engine); `/health`, `/metrics` and
 * `/version` stay open for probes and scrapers unless `--api-key-for-health-and-metrics` is given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXIED_GET_PATHS, PROXIED_POST_PATHS } from '../../router/app.js';
import { FORM_POST_PATHS } from '../../router/proxy/multipart.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, pdArgs, rawHttp } from './fixtures.js';

const KEY = 'router-key-1';
let prefill: EngineSim;
let decode: EngineSim;
let router: Spawned;
let closed: Spawned;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  const env = { VLLM_API_KEY: KEY };
  [router, closed] = await Promise.all([
    spawnRouter(pdArgs([prefill.url], [decode.url]), env),
    spawnRouter(pdArgs([prefill.url], [decode.url], ['--api-key-for-health-and-metrics']), env),
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

/** Every route that reaches an engine or names one, with the method it takes. */
const GUARDED: readonly (readonly [string, string])[] = [
  ...PROXIED_POST_PATHS.map((p) => ['POST', p] as const),
  ...FORM_POST_PATHS.map((p) => ['POST', p] as const),
  ...PROXIED_GET_PATHS.map((p) => ['GET', p] as const),
  ['GET', '/v1/models'],
  ['GET', '/engines'],
  ['POST', '/sleep?id=x'],
  ['POST', '/wake_up?id=x'],
  ['GET', '/is_sleeping?id=x'],
  ['GET', '/no/such/path'],
];
const OPEN = ['/health', '/metrics', '/version'];

const call = async (url: string, method: string, path: string, authorization?: string) => {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    ...(method === 'POST' ? { body: JSON.stringify({ model: MODEL, prompt: 'x', max_tokens: 1 }) } : {}),
  });
  return { status: res.status, body: await res.text() };
};
const engineCalls = async () =>
  [...(await prefill.requests()), ...(await decode.requests())].filter((r) => r.path !== '/metrics');

describe('VLLM_API_KEY on every engine route', { timeout: 60_000 }, () => {
  for (const [method, path] of GUARDED) {
    it(`${method} ${path}: 401 without the key or with a wrong one, nothing forwarded`, async () => {
      await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
      for (const auth of [undefined, 'Bearer wrong', `Basic ${KEY}`, KEY]) {
        const r = await call(router.url, method, path, auth);
        expect(r.status).toBe(401);
        expect(JSON.parse(r.body)).toEqual({
          error: {
            message: 'Invalid or missing API key (Authorization: Bearer $VLLM_API_KEY).',
            type: 'authentication_error',
            code: 401,
          },
        });
      }
      expect(await engineCalls()).toEqual([]);
    });
  }

  it('with the key, requests are served and the engines get the client Authorization', async () => {
    await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
    const tokenize = await call(router.url, 'POST', '/tokenize', `Bearer ${KEY}`);
    expect(tokenize.status).toBe(200);
    expect(JSON.parse(tokenize.body)).toEqual({ tokens: [1, 2, 3], count: 3 });
    expect((await call(router.url, 'POST', '/v1/completions', `Bearer ${KEY}`)).status).toBe(200);
    const engines = await call(router.url, 'GET', '/engines', `Bearer ${KEY}`);
    expect(JSON.parse(engines.body)).toHaveLength(2);
    const got = await engineCalls();
    expect(got.map((r) => r.path)).toEqual(['/v1/completions', '/tokenize', '/v1/completions']);
    for (const r of got) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  for (const path of OPEN) {
    it(`GET ${path} is open by default, closed with --api-key-for-health-and-metrics`, async () => {
      expect((await call(router.url, 'GET', path)).status).toBe(200);
      expect((await call(closed.url, 'GET', path)).status).toBe(401);
      expect((await call(closed.url, 'GET', path, `Bearer ${KEY}`)).status).toBe(200);
    });
  }
  it('Expect: 100-continue without the key: 401 at once, the body is never invited', async () => {
    const body = JSON.stringify({ model: MODEL, prompt: 'x', max_tokens: 1 });
    const head = (auth?: string) => [
      'POST /v1/completions HTTP/1.1',
      'Host: router',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'Expect: 100-continue',
      ...(auth ? [`Authorization: ${auth}`] : []),
      'Connection: close',
    ];
    await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
    for (const auth of [undefined, 'Bearer wrong']) {
      const r = await rawHttp(router.url, head(auth), body, true);
      expect(r.wire).not.toContain('100 Continue');
      expect(r.status).toBe(401);
    }
    expect(await engineCalls()).toEqual([]);
    const ok = await rawHttp(router.url, head(`Bearer ${KEY}`), body, true);
    expect(ok.wire.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    expect(ok.status).toBe(200);
  });
});
