/**
 * Every engine answer the router reads whole is read with a cap (--max-upstream-body-bytes): a prefill answer, a
 * decode error body or a sleep answer over it gives the client a clear 502 (the engine's request is cut off), and a
 * /metrics answer over it is a failed scrape; the router's memory does not follow the engine's answer (without the
 * cap, a 300 MB prefill answer took the router to 1 GB).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModels } from '../../router/discovery/k8s/engine-probe.js';
import { spawnRouter, stopAll } from '../sim/processes.js';
import {
  MODEL,
  MiB,
  type RawEngine,
  type RawRecord,
  completion,
  eventually,
  pdArgs,
  peakRss,
  postJson,
  rawEngine,
  rssOf,
  staticArgs,
} from './fixtures.js';

const ANSWER_BYTES = 64 * MiB;
const CAP = MiB;

/** Writes `ANSWER_BYTES` of JSON-ish text with back-pressure; records whether the router cut it off. */
function huge(status: number, cut: { count: number }) {
  return (_rec: RawRecord, res: ServerResponse) => {
    const block = Buffer.alloc(MiB, 'x');
    let sent = 0;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': ANSWER_BYTES });
    res.once('close', () => {
      if (sent < ANSWER_BYTES) cut.count++;
    });
    const more = () => {
      while (sent < ANSWER_BYTES && !res.destroyed) {
        sent += block.length;
        if (!res.write(block)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  };
}

/** Routes by path: `/v1/*` to `inference`, everything else (scrapes, sleep) to `other`. */
function byPath(inference: ReturnType<typeof huge>, other: ReturnType<typeof huge> = completion) {
  return (rec: RawRecord, res: ServerResponse) => (rec.path.startsWith('/v1/') ? inference : other)(rec, res);
}

let okEngine: RawEngine;
beforeAll(async () => {
  okEngine = await rawEngine(completion, true);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await okEngine.close();
}, 30_000);

const capArgs = ['--max-upstream-body-bytes', String(CAP)];
const prompt = { model: MODEL, prompt: 'hello', max_tokens: 1 };

describe('--max-upstream-body-bytes', () => {
  it('a 64 MiB prefill answer: 502 naming the flag, the prefill is cut off, decode never called, RSS flat', async () => {
    const cut = { count: 0 };
    const prefill = await rawEngine(byPath(huge(200, cut)), true);
    const router = await spawnRouter(pdArgs([prefill.url], [okEngine.url], capArgs));
    const before = okEngine.received.length;
    const baseline = rssOf(router);
    const { result: r, peak } = await peakRss(router, () => postJson(`${router.url}/v1/completions`, prompt));
    expect(r.status).toBe(502);
    expect(r.json()).toEqual({
      error: {
        message: expect.stringContaining(`larger than ${CAP} bytes (--max-upstream-body-bytes)`) as unknown,
        type: 'prefiller_error',
        code: 502,
      },
    });
    await eventually(async () => cut.count === 1);
    expect(okEngine.received.slice(before).filter((rec) => rec.path.startsWith('/v1/'))).toEqual([]);
    expect(peak - baseline).toBeLessThan(32 * MiB);
    await prefill.close();
  });

  it('a 64 MiB decode error body: 502 naming the flag, the decode answer is cut off', async () => {
    const cut = { count: 0 };
    const decode = await rawEngine(byPath(huge(500, cut)), true);
    const router = await spawnRouter(pdArgs([okEngine.url], [decode.url], capArgs));
    const r = await postJson(`${router.url}/v1/completions`, prompt);
    expect(r.status).toBe(502);
    expect(r.json()).toEqual({
      error: {
        message: expect.stringContaining('--max-upstream-body-bytes') as unknown,
        type: 'decoder_error',
        code: 502,
      },
    });
    await eventually(async () => cut.count === 1);
    await decode.close();
  });

  it('a 64 MiB sleep answer: 502 naming the flag', async () => {
    const cut = { count: 0 };
    const engine = await rawEngine((rec, res) =>
      (rec.path.startsWith('/sleep') ? huge(200, cut) : completion)(rec, res),
    );
    const router = await spawnRouter(staticArgs([engine.url], 'roundrobin', capArgs));
    const [{ engine_id: id }] = (await (await fetch(`${router.url}/engines`)).json()) as [{ engine_id: string }];
    const r = await postJson(`${router.url}/sleep?id=${id}`, '');
    expect(r.status).toBe(502);
    expect(r.json()).toEqual({
      error: {
        message: expect.stringContaining('--max-upstream-body-bytes') as unknown,
        type: 'engine_error',
        code: 502,
      },
    });
    await eventually(async () => cut.count === 1);
    await engine.close();
  });

  it('a 64 MiB /metrics answer is a failed scrape, logged with the flag', async () => {
    const cut = { count: 0 };
    const engine = await rawEngine(
      (rec, res) => (rec.path === '/metrics' ? huge(200, cut) : completion)(rec, res),
      true,
    );
    const router = await spawnRouter(
      pdArgs([okEngine.url], [engine.url], [...capArgs, '--engine-stats-interval', '1']),
    );
    await eventually(async () => router.stderr().includes(`Failed to scrape metrics from ${engine.url}`));
    expect(router.stderr()).toContain('--max-upstream-body-bytes');
    expect(cut.count).toBeGreaterThan(0);
    // requests are still served
    expect((await postJson(`${router.url}/v1/completions`, prompt)).status).toBe(200);
    await engine.close();
  });

  it('a 64 MiB /v1/models answer fails the Kubernetes discovery probe, naming the flag', async () => {
    const cut = { count: 0 };
    const engine = await rawEngine(huge(200, cut), true);
    const result = await probeModels(engine.url, undefined, 10_000, CAP);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(`larger than ${CAP} bytes (--max-upstream-body-bytes)`) as unknown,
    });
    await eventually(async () => cut.count === 1);
    await engine.close();
  });
});
