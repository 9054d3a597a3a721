/**
 * Engines never redirect: a prefill 3xx is a P/D failure (decode never runs), and no engine's `Location` reaches the
 * client (P/D decode or the general path). The client gets a 502 naming no engine address; the log has it.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import {
  MODEL,
  stopEverything,
  type RawEngine,
  eventually,
  pdArgs,
  staticArgs,
  postJson,
  rawEngine,
} from './fixtures.js';

const completion = (res: ServerResponse) => {
  const payload = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: MODEL, choices: [{ text: 'x' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};
const redirect = (res: ServerResponse) =>
  res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end('moved');

/** Which engines redirect. */
const redirecting = { prefill: false, decode: false };
let prefill: RawEngine;
let decode: RawEngine;
let pd: Spawned;
let roundrobin: Spawned;

beforeAll(async () => {
  prefill = await rawEngine((_rec, res) => (redirecting.prefill ? redirect(res) : completion(res)));
  decode = await rawEngine((_rec, res) => (redirecting.decode ? redirect(res) : completion(res)));
  [pd, roundrobin] = await Promise.all([
    spawnRouter(pdArgs([prefill.url], [decode.url])),
    spawnRouter(staticArgs([decode.url], 'roundrobin')),
  ]);
}, 30_000);
afterAll(stopEverything, 30_000);

const request = { model: MODEL, prompt: 'abc', max_tokens: 2 };
const calls = (e: RawEngine) => e.received.filter((r) => r.path === '/v1/completions').length;
const reset = () => {
  prefill.received.length = 0;
  decode.received.length = 0;
};

describe('engine redirects', { timeout: 30_000 }, () => {
  it('a prefill 3xx is a 502 prefiller_error and decode is never called', async () => {
    reset();
    redirecting.prefill = true;
    redirecting.decode = false;
    const r = await postJson(`${pd.url}/v1/completions`, request);
    expect(r.status).toBe(502);
    expect(r.headers.get('location')).toBeNull();
    expect(r.json()).toEqual({
      error: { message: 'Prefiller answered with a redirect (HTTP 302).', type: 'prefiller_error', code: 502 },
    });
    expect([calls(prefill), calls(decode)]).toEqual([1, 0]);
    await eventually(async () => pd.stderr().includes(`Prefiller ${prefill.url} answered request`));
  });

  it('a decode 3xx is a 502 decoder_error, its Location never reaches the client', async () => {
    reset();
    redirecting.prefill = false;
    redirecting.decode = true;
    const r = await postJson(`${pd.url}/v1/completions`, request);
    expect(r.status).toBe(502);
    expect(r.headers.get('location')).toBeNull();
    expect(r.json()).toEqual({
      error: { message: 'Decoder answered with a redirect (HTTP 302).', type: 'decoder_error', code: 502 },
    });
    expect([calls(prefill), calls(decode)]).toEqual([1, 1]);
  });

  it('roundrobin: an engine 3xx is a 502, its Location never reaches the client', async () => {
    reset();
    redirecting.decode = true;
    const r = await postJson(`${roundrobin.url}/v1/completions`, request);
    expect(r.status).toBe(502);
    expect(r.headers.get('location')).toBeNull();
    expect(r.json()).toEqual({
      error: { message: 'Upstream answered with a redirect (HTTP 302).', type: 'upstream_error', code: 502 },
    });
    expect(r.text).not.toContain(decode.url);
  });
});
