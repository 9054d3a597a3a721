/**
 * Hop-by-hop headers (RFC 9110 §7.6.1), the headers a `Connection` header names and the proxy credentials stay on
 * their own hop, client→engine and engine→client, in the general and the P/D path; `Content-Encoding` never reaches
 * an engine (the router reads bodies unencoded and refuses an encoded one with 415).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import {
  MODEL,
  stopEverything,
  type RawEngine,
  type RawRecord,
  pdArgs,
  staticArgs,
  rawEngine,
  rawHttp,
} from './fixtures.js';

/** An engine answering a completion with every kind of header a proxy must not relay, plus one it must. */
function hostileAnswer(_rec: RawRecord, res: ServerResponse): void {
  const payload = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: MODEL, choices: [{ text: 'ok' }] });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    connection: 'keep-alive, X-Engine-Hop',
    'x-engine-hop': 'engine internal',
    'keep-alive': 'timeout=5',
    'proxy-authenticate': 'Basic realm="engine"',
    'x-engine-kept': 'kept',
  });
  res.end(payload);
}

let prefill: RawEngine;
let decode: RawEngine;
let roundrobin: Spawned;
let pd: Spawned;

beforeAll(async () => {
  [prefill, decode] = await Promise.all([rawEngine(hostileAnswer), rawEngine(hostileAnswer)]);
  [roundrobin, pd] = await Promise.all([
    spawnRouter(staticArgs([decode.url], 'roundrobin')),
    spawnRouter(pdArgs([prefill.url], [decode.url])),
  ]);
}, 30_000);
afterAll(stopEverything, 30_000);

const body = JSON.stringify({ model: MODEL, prompt: 'hello', max_tokens: 3 });
const head = (extra: readonly string[]) => [
  'POST /v1/completions HTTP/1.1',
  'Host: router',
  'Content-Type: application/json',
  `Content-Length: ${body.length}`,
  'Connection: close, X-Client-Hop',
  'X-Client-Hop: client internal',
  'Keep-Alive: timeout=300',
  'Proxy-Connection: keep-alive',
  'Proxy-Authorization: Basic cHJveHk6c2VjcmV0',
  'TE: trailers',
  'Authorization: Bearer client-key',
  'X-Client-Kept: kept',
  ...extra,
];
const HOP_REQUEST = ['x-client-hop', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'content-encoding'];

describe('hop-by-hop headers', { timeout: 30_000 }, () => {
  for (const mode of ['roundrobin', 'disaggregated_prefill'] as const) {
    it(`${mode}: neither direction passes hop-by-hop, Connection-named or proxy headers`, async () => {
      prefill.received.length = 0;
      decode.received.length = 0;
      const r = await rawHttp(
        mode === 'roundrobin' ? roundrobin.url : pd.url,
        head(['Content-Encoding: identity']),
        body,
      );
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ choices: [{ text: 'ok' }] });
      // engine → client: the end-to-end header arrives, the engine's hop headers do not
      expect(r.headers['x-engine-kept']).toBe('kept');
      expect(r.headers['x-engine-hop']).toBeUndefined();
      expect(r.headers['proxy-authenticate']).toBeUndefined();
      expect(r.headers['keep-alive']).toBeUndefined();
      expect(r.headers.connection).toBe('close');
      // client → engines
      const engines = mode === 'roundrobin' ? [decode] : [prefill, decode];
      const calls = (e: RawEngine) => e.received.filter((rec) => rec.path === '/v1/completions');
      expect(engines.map((e) => calls(e).length)).toEqual(engines.map(() => 1));
      for (const e of engines) {
        const got = calls(e)[0]!.headers;
        for (const name of HOP_REQUEST) expect(got[name], name).toBeUndefined();
        expect(got.connection).not.toMatch(/x-client-hop/i);
        expect(got.authorization).toBe('Bearer client-key');
        expect(got['x-client-kept']).toBe('kept');
      }
      if (mode === 'roundrobin') expect(calls(prefill)).toEqual([]);
    });

    it(`${mode}: an encoded body is refused with 415 and no engine is called`, async () => {
      prefill.received.length = 0;
      decode.received.length = 0;
      const r = await rawHttp(mode === 'roundrobin' ? roundrobin.url : pd.url, head(['Content-Encoding: gzip']), body);
      expect(r.status).toBe(415);
      expect(JSON.parse(r.body)).toEqual({
        error: {
          message: "Invalid request: Content-Encoding 'gzip' is not supported; send the body unencoded.",
          type: 'invalid_request_error',
          code: 415,
        },
      });
      expect([...prefill.received, ...decode.received].filter((rec) => rec.path === '/v1/completions')).toEqual([]);
    });
  }
});
