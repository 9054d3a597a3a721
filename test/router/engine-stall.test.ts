/**
 * A non-streaming engine that sends its headers and then stalls: the client gets a 504 with an OpenAI-style body once
 * `--upstream-first-byte-timeout-seconds` passes (the router sends no status before the engine's first body byte),
 * never an empty reply. General path and P/D decode alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import {
  MODEL,
  stopEverything,
  type RawEngine,
  eventually,
  pdArgs,
  postJson,
  rawEngine,
  staticArgs,
} from './fixtures.js';

let prefill: RawEngine;
let stalling: RawEngine;
let roundrobin: Spawned;
let pd: Spawned;

beforeAll(async () => {
  prefill = await rawEngine((_rec, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  // headers out at once, then nothing (the connection stays open)
  stalling = await rawEngine((_rec, res) => res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders());
  const timeout = ['--upstream-first-byte-timeout-seconds', '1'];
  [roundrobin, pd] = await Promise.all([
    spawnRouter(staticArgs([stalling.url], 'roundrobin', timeout)),
    spawnRouter(pdArgs([prefill.url], [stalling.url], timeout)),
  ]);
}, 30_000);
afterAll(stopEverything, 30_000);

describe('an engine stalling after its headers', { timeout: 30_000 }, () => {
  for (const [mode, side] of [
    ['roundrobin', 'upstream'],
    ['disaggregated_prefill', 'decoder'],
  ] as const) {
    it(`${mode}: 504 ${side}_error, not an empty reply`, async () => {
      const router = mode === 'roundrobin' ? roundrobin : pd;
      const r = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 });
      expect(r.status).toBe(504);
      const role = side === 'upstream' ? 'Upstream' : 'Decoder';
      expect(r.json()).toEqual({
        error: { message: `${role} timed out (UND_ERR_BODY_TIMEOUT).`, type: `${side}_error`, code: 504 },
      });
      await eventually(async () => router.stderr().includes(`${role} ${stalling.url} timed out for request`));
    });
  }
});
