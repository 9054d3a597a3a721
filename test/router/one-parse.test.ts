/**
 * One JSON parse: prefill and decode get bodies serialized from the same parsed object, so they cannot read two
 * different requests from bytes that JSON parsers disagree on (invalid UTF-8, `1e-400`, integers beyond 2^53).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import { MODEL, stopEverything, type RawEngine, jsonOf, pdArgs, rawEngine } from './fixtures.js';

const answer = (_rec: unknown, res: ServerResponse) => {
  const payload = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: MODEL, choices: [{ text: 'x' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

let prefill: RawEngine;
let decode: RawEngine;
let router: Spawned;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([rawEngine(answer), rawEngine(answer)]);
  router = await spawnRouter(pdArgs([prefill.url], [decode.url]));
}, 30_000);
afterAll(stopEverything, 30_000);

describe('one parse for both engines', { timeout: 30_000 }, () => {
  it('bytes parsers disagree on reach prefill and decode as one serialized request', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`{"model":"${MODEL}","prompt":"a`),
      Buffer.from([0xff, 0xc3]), // invalid UTF-8
      Buffer.from('b","temperature":1e-400,"seed":12345678901234567891,"max_tokens":3}'),
    ]);
    const res = await fetch(`${router.url}/v1/completions`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const [p] = prefill.received.filter((r) => r.path === '/v1/completions');
    const [d] = decode.received.filter((r) => r.path === '/v1/completions');
    // both bodies are the router's serialization: valid UTF-8, plain numbers
    const request = { model: MODEL, prompt: 'a\uFFFD\uFFFDb', temperature: 0, seed: 12345678901234567000 };
    expect(d!.body.toString('utf8')).toBe(JSON.stringify({ ...request, max_tokens: 3 }));
    expect(jsonOf(p)).toEqual({ ...request, max_tokens: 1, stream: false });
    expect(Buffer.from(d!.body.toString('utf8'), 'utf8').equals(d!.body)).toBe(true);
  });
});
