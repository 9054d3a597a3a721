/**
 * The router owns the KV hand-off. A client's `kv_transfer_params` never reaches an engine (P/D or not). In
 * `disaggregated_prefill_orchestrated` decode gets exactly the NixlConnector fields of the prefill's answer, checked,
 * with `remote_host` the prefill engine's own address; a prefill answer without usable params is a P/D failure (502,
 * decode never called).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter } from '../sim/processes.js';
import {
  MODEL,
  stopEverything,
  type RawEngine,
  inference,
  jsonOf,
  pdArgs,
  staticArgs,
  postJson,
  rawEngine,
} from './fixtures.js';

/** What a client may try to steer the transfer with: the cloud metadata address. */
const HOSTILE_KV = {
  do_remote_prefill: true,
  do_remote_decode: false,
  remote_engine_id: 'evil',
  remote_block_ids: [7],
  remote_host: '169.254.169.254',
  remote_port: 80,
};
const request = { model: MODEL, prompt: 'abc', max_tokens: 4, kv_transfer_params: HOSTILE_KV };

const json = (res: ServerResponse, body: unknown) => {
  const payload = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};
const completion = (kv?: unknown) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  model: MODEL,
  choices: [{ index: 0, text: ' t0', finish_reason: 'length' }],
  ...(kv === undefined ? {} : { kv_transfer_params: kv }),
});

let sims: EngineSim[];
let plain: Spawned;
let orchestrated: Spawned;
let roundrobin: Spawned;
/** The prefill's answer `kv_transfer_params` (`undefined`: none) for the hostile-prefill router. */
let prefillKv: unknown;
let hostilePrefill: RawEngine;
let rawDecode: RawEngine;
let againstHostile: Spawned;

beforeAll(async () => {
  sims = await Promise.all([0, 1, 2, 3].map(() => spawnEngineSim({ models: [MODEL] })));
  hostilePrefill = await rawEngine((_rec, res) => json(res, completion(prefillKv)));
  rawDecode = await rawEngine((_rec, res) => json(res, completion()));
  const [p1, d1, p2, d2] = sims.map((s) => s.url) as [string, string, string, string];
  [plain, orchestrated, roundrobin, againstHostile] = await Promise.all([
    spawnRouter(pdArgs([p1], [d1])),
    spawnRouter(pdArgs([p2], [d2], [], 'disaggregated_prefill_orchestrated')),
    spawnRouter(staticArgs([d1], 'roundrobin')),
    spawnRouter(pdArgs([hostilePrefill.url], [rawDecode.url], [], 'disaggregated_prefill_orchestrated')),
  ]);
}, 30_000);
afterAll(stopEverything, 30_000);

const clear = () => Promise.all(sims.map((s) => s.clearRequests()));
const decodeCalls = () => rawDecode.received.filter((r) => r.path === '/v1/completions');

describe('the KV hand-off belongs to the router', { timeout: 30_000 }, () => {
  it('disaggregated_prefill: neither engine gets the client kv_transfer_params', async () => {
    await clear();
    const r = await postJson(`${plain.url}/v1/completions`, request);
    expect(r.status).toBe(200);
    const [p] = await inference(sims[0]!);
    const [d] = await inference(sims[1]!);
    expect(p!.body).toEqual({ model: MODEL, prompt: 'abc', max_tokens: 1, stream: false });
    expect(d!.body).toEqual({ model: MODEL, prompt: 'abc', max_tokens: 4 });
  });

  it('roundrobin: the engine does not get the client kv_transfer_params', async () => {
    await clear();
    const r = await postJson(`${roundrobin.url}/v1/completions`, request);
    expect(r.status).toBe(200);
    const [d] = await inference(sims[1]!);
    expect(d!.body).toEqual({ model: MODEL, prompt: 'abc', max_tokens: 4 });
  });

  it('orchestrated: prefill gets the router request, decode exactly the prefill params with its host', async () => {
    await clear();
    const r = await postJson(`${orchestrated.url}/v1/completions`, request);
    expect(r.status).toBe(200);
    const [p] = await inference(sims[2]!);
    const [d] = await inference(sims[3]!);
    // the router's own request for the hand-off, nothing of the client's
    expect(p!.body!.kv_transfer_params).toMatchObject({ do_remote_decode: true, remote_host: null, remote_port: null });
    const kv = d!.body!.kv_transfer_params as Record<string, unknown>;
    expect(kv).toEqual({
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_engine_id: kv.remote_engine_id,
      remote_block_ids: [0, 1, 2],
      remote_host: '127.0.0.1',
      remote_port: sims[2]!.port,
      remote_request_id: kv.remote_request_id,
      tp_size: 1,
    });
    expect(kv.remote_engine_id).not.toBe('evil');
    expect(typeof kv.remote_engine_id).toBe('string');
  });

  it('orchestrated: a hostile prefill answer is cut to the NixlConnector fields, remote_host the router’s', async () => {
    rawDecode.received.length = 0;
    prefillKv = {
      ...HOSTILE_KV,
      do_remote_decode: true,
      remote_engine_id: 'p-engine',
      remote_request_id: 'cmpl-p-0',
      remote_block_ids: [[1, 2], [3]],
      remote_port: 5600,
      tp_size: 2,
      extra_field: { nested: 'not for decode' },
    };
    const r = await postJson(`${againstHostile.url}/v1/completions`, request);
    expect(r.status).toBe(200);
    expect(jsonOf(decodeCalls()[0]).kv_transfer_params).toEqual({
      do_remote_prefill: true,
      do_remote_decode: false,
      remote_engine_id: 'p-engine',
      remote_request_id: 'cmpl-p-0',
      remote_block_ids: [[1, 2], [3]],
      remote_host: '127.0.0.1',
      remote_port: 5600,
      tp_size: 2,
    });
  });

  const unusable: [string, unknown][] = [
    ['no kv_transfer_params', undefined],
    ['kv_transfer_params null', null],
    ['kv_transfer_params an array', [HOSTILE_KV]],
    ['a remote_port out of range', { ...HOSTILE_KV, remote_port: 70000 }],
    ['a remote_port as a string', { ...HOSTILE_KV, remote_port: '80' }],
    ['no remote_engine_id', { ...HOSTILE_KV, remote_engine_id: undefined }],
    ['remote_block_ids not integers', { ...HOSTILE_KV, remote_block_ids: ['a'] }],
    ['a tp_size of 0', { ...HOSTILE_KV, tp_size: 0 }],
  ];
  for (const [name, kv] of unusable) {
    it(`orchestrated: a prefill answer with ${name} is a 502, and decode is never called`, async () => {
      rawDecode.received.length = 0;
      prefillKv = kv;
      const r = await postJson(`${againstHostile.url}/v1/completions`, request);
      expect(r.status).toBe(502);
      expect(r.json()).toEqual({
        error: {
          message: expect.stringMatching(/^Prefiller error: the prefill answer has no usable kv_transfer_params \(/),
          type: 'prefiller_error',
          code: 502,
        },
      });
      expect(r.text).not.toContain(hostilePrefill.url);
      expect(decodeCalls()).toEqual([]);
    });
  }
});
