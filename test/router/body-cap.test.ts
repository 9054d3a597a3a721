/**
 * Request bodies are held within --max-buffered-bytes across all requests: past it a request gets 503 with
 * Retry-After and an OpenAI-style error (before its body is read when Content-Length says so), the engines never see
 * it, and the router's memory stays bounded by the flag, not by the clients (without the bound, 8 concurrent 31 MB
 * P/D requests took the router to about 1 GB).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_TERMS } from '../../router/proxy/buffers.js';
import { type Spawned, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, MiB, type RawEngine, completion, pdArgs, peakRss, postJson, rawEngine, rssOf } from './fixtures.js';

let prefill: RawEngine;
let decode: RawEngine;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([rawEngine(completion, true), rawEngine(completion, true)]);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await Promise.all([prefill.close(), decode.close()]);
}, 30_000);

const routerWith = (budget: number, maxBody: number) =>
  spawnRouter(
    pdArgs(
      [prefill.url],
      [decode.url],
      ['--max-buffered-bytes', String(budget), '--max-request-body-bytes', String(maxBody)],
    ),
  );

async function send(router: Spawned, body: Buffer) {
  const res = await fetch(`${router.url}/v1/completions`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as unknown };
}

const overloaded = {
  error: {
    message: expect.stringContaining('--max-buffered-bytes') as unknown,
    type: 'service_unavailable',
    code: 503,
  },
};

describe('--max-buffered-bytes 64 MiB', () => {
  let router: Spawned;
  beforeAll(async () => {
    router = await routerWith(64 * MiB, 32 * MiB);
  }, 30_000);

  it('3 rounds of 8 concurrent 31 MB P/D requests: those over the budget get 503, RSS stays bounded', async () => {
    // one 31 MB completion body, shared by every request (the test process holds it once)
    const big = Buffer.from(JSON.stringify({ model: MODEL, prompt: 'x'.repeat(31_000_000), max_tokens: 1 }));
    const baseline = rssOf(router);
    let served = 0;
    for (let round = 0; round < 3; round++) {
      const { result, peak } = await peakRss(router, () =>
        Promise.all(Array.from({ length: 8 }, () => send(router, big))),
      );
      // each buffered byte costs up to MEMORY_TERMS.perBufferedByte in the router (the README's formula)
      expect(peak - baseline).toBeLessThan(MEMORY_TERMS.perBufferedByte * 64 * MiB);
      const ok = result.filter((r) => r.status === 200);
      const rejected = result.filter((r) => r.status !== 200);
      expect(ok.length).toBeGreaterThan(0);
      expect(rejected.length).toBeGreaterThan(0);
      for (const r of rejected) {
        expect(r.status).toBe(503);
        expect(r.retryAfter).toBe('1');
        expect(r.json).toEqual(overloaded);
      }
      served += ok.length;
    }
    // the engines saw exactly the requests that were served
    const completions = (e: RawEngine) => e.received.filter((r) => r.path === '/v1/completions').length;
    expect(completions(prefill)).toBe(served);
    expect(completions(decode)).toBe(served);
  }, 120_000);

  it('gives the budget back: afterwards a request is served', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'hi', max_tokens: 1 });
    expect(r.status).toBe(200);
  });
});

describe('--max-buffered-bytes 1 MiB, a chunked body', () => {
  it('a request that would pass the budget while another holds it gets 503; once that one ends, it is served', async () => {
    const router = await routerWith(MiB, MiB);
    // a client holding 900 KB of an unfinished chunked body
    const socket = connect(router.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const head = `{"model":"${MODEL}","max_tokens":1,"prompt":"`;
    const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
    await new Promise((resolve) =>
      socket.write(
        `POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n` +
          chunk(head + 'y'.repeat(900_000)),
        resolve,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // the router reads what the kernel holds
    const small = { model: MODEL, prompt: 'z'.repeat(200_000), max_tokens: 1 };
    // should the router not have read all 900 KB yet, the small request is served: try again
    let r = await postJson(`${router.url}/v1/completions`, small);
    for (let i = 0; i < 50 && r.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await postJson(`${router.url}/v1/completions`, small);
    }
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json()).toEqual(overloaded);
    // the held request completes and is answered; then the budget is free again
    const answer = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write(chunk('"}') + '0\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
    expect((await postJson(`${router.url}/v1/completions`, small)).status).toBe(200);
  }, 60_000);
});
