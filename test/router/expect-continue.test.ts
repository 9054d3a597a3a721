/**
 * `Expect: 100-continue` (curl sends it by itself for bodies over about 1 MB): the router answers it, `100 Continue`
 * or at once 413 for a declared body over `--max-request-body-bytes`, and no engine ever sees the header (undici
 * refuses to send it, which made every such request a 502).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, pdArgs, staticArgs, rawHttp } from './fixtures.js';

const LIMIT = 3_000_000;
let prefill: EngineSim;
let decode: EngineSim;
let roundrobin: Spawned;
let pd: Spawned;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  const limit = ['--max-request-body-bytes', String(LIMIT)];
  [roundrobin, pd] = await Promise.all([
    spawnRouter(staticArgs([decode.url], 'roundrobin', limit)),
    spawnRouter(pdArgs([prefill.url], [decode.url], limit)),
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const prompt = 'p'.repeat(1_500_000);
const body = JSON.stringify({ model: MODEL, prompt, max_tokens: 2 });
const head = (length: number) => [
  'POST /v1/completions HTTP/1.1',
  'Host: router',
  'Content-Type: application/json',
  `Content-Length: ${length}`,
  'Expect: 100-continue',
  'Connection: close',
];

describe('Expect: 100-continue', { timeout: 30_000 }, () => {
  for (const mode of ['roundrobin', 'disaggregated_prefill'] as const) {
    it(`${mode}: answered 100 Continue by the router, the body reaches the engines without the header`, async () => {
      await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
      const r = await rawHttp(mode === 'roundrobin' ? roundrobin.url : pd.url, head(body.length), body, true);
      expect(r.wire.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as { choices: { text: string }[] }).choices[0]!.text).toBe(' t0 t1');
      const engines = mode === 'roundrobin' ? [decode] : [prefill, decode];
      for (const sim of engines) {
        const [got] = await inference(sim);
        expect(got!.headers.expect).toBeUndefined();
        expect((got!.body as { prompt: string }).prompt).toBe(prompt);
      }
      if (mode === 'roundrobin') expect(await inference(prefill)).toEqual([]);
    });
  }

  it('a declared body over the limit gets 413 before it is sent, and no engine is called', async () => {
    await decode.clearRequests();
    const r = await rawHttp(roundrobin.url, head(LIMIT + 1), 'never sent', true);
    expect(r.wire).not.toContain('100 Continue');
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({
      error: { message: `Request body is larger than ${LIMIT} bytes.`, type: 'invalid_request_error', code: 413 },
    });
    expect(await inference(decode)).toEqual([]);
  });
});
