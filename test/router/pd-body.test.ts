/**
 * A P/D request's engine bodies come from one serialization of the client's (pd-body.ts): the legs' own keys follow
 * the shared bytes. A large body's shared bytes are sent as they are, to both legs and again to an engine retried
 * after an unreachable one, with its total as `content-length`.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdBodies } from '../../router/proxy/pd-body.js';
import { prefillBody } from '../../router/proxy/pd.js';
import { RouterError } from '../../router/errors.js';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import { MODEL, type RawEngine, jsonOf, pdArgs, postJson, rawEngine, stopEverything } from './fixtures.js';

const parse = (body: Buffer | string | readonly Buffer[]) =>
  JSON.parse(Buffer.concat(Array.isArray(body) ? body : [Buffer.from(body as Buffer | string)]).toString()) as unknown;

const client = {
  model: MODEL,
  prompt: 'p',
  max_tokens: 7,
  min_tokens: 2,
  stream: true,
  stream_options: { include_usage: true },
  temperature: 0.5,
};
const kv = { remote_engine_id: 'e1', remote_block_ids: [1, 2] };

describe('PdBodies', () => {
  for (const [size, parts] of [
    ['a small body', false],
    ['a body of 64 KiB or more', true],
  ] as const) {
    it(`${size}: prefill's and decode's bodies are the client's with their own keys${parts ? ', sharing its bytes' : ''}`, () => {
      const body = { ...client, prompt: 'p'.repeat(parts ? 70_000 : 10) };
      const bodies = new PdBodies(body);
      const prefill = bodies.with(prefillBody(bodies.own, true));
      const decode = bodies.with({ ...bodies.own, kv_transfer_params: kv });
      expect(parse(prefill)).toEqual(prefillBody(body, true));
      expect(parse(decode)).toEqual({ ...body, kv_transfer_params: kv });
      expect(parse(bodies.with(bodies.own))).toEqual(body);
      expect(Array.isArray(prefill)).toBe(parts);
      if (Array.isArray(prefill) && Array.isArray(decode)) expect(prefill[0]).toBe(decode[0]);
    });
  }

  it('a body with none of the leg keys gets none back; a "__proto__" key is kept as a key', () => {
    const bodies = new PdBodies({ model: MODEL, prompt: 'p' });
    expect(parse(bodies.with(bodies.own))).toEqual({ model: MODEL, prompt: 'p' });
    const odd = JSON.parse(`{"model":"${MODEL}","__proto__":{"x":1},"prompt":"p"}`) as Record<string, unknown>;
    const sent = new PdBodies(odd).with({ max_tokens: 1 });
    expect(Buffer.from(sent as Buffer).toString()).toBe(
      `{"model":"${MODEL}","__proto__":{"x":1},"prompt":"p","max_tokens":1}`,
    );
  });

  it('a body nested too deeply is a 400 at once, in the shared part or in a key a leg sets', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    for (const body of [
      { model: MODEL, prompt: deep },
      { model: MODEL, prompt: 'p', stream_options: deep },
    ]) {
      const thrown = (() => {
        try {
          return new PdBodies(body);
        } catch (err) {
          return err;
        }
      })();
      expect(thrown).toBeInstanceOf(RouterError);
      expect((thrown as RouterError).status).toBe(400);
    }
  });
});

const answer = (_rec: unknown, res: ServerResponse) => {
  const payload = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: MODEL, choices: [{ text: 'x' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

describe('a 300 KB P/D request (two-byte characters) through the router', { timeout: 30_000 }, () => {
  let prefill: RawEngine;
  let decode: RawEngine;
  let router: Spawned;
  beforeAll(async () => {
    [prefill, decode] = await Promise.all([rawEngine(answer), rawEngine(answer)]);
    // a prefill engine that cannot be reached first: a request it is tried on is sent again to the live one
    router = await spawnRouter(pdArgs(['http://127.0.0.1:1', prefill.url], [decode.url]));
  }, 30_000);
  afterAll(stopEverything, 30_000);

  it('both engines get the whole body with its length declared, also after a retry', async () => {
    // 150,000 × 'é': the declared length counts bytes, not characters
    const body = { ...client, stream: false, prompt: 'é'.repeat(150_000) };
    for (let i = 0; i < 4; i++) expect((await postJson(`${router.url}/v1/completions`, body)).status).toBe(200);
    const sent = (e: RawEngine) => e.received.filter((r) => r.path === '/v1/completions');
    expect(sent(prefill)).toHaveLength(4);
    expect(sent(decode)).toHaveLength(4);
    for (const r of [...sent(prefill), ...sent(decode)]) {
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers['transfer-encoding']).toBeUndefined();
    }
    for (const r of sent(prefill)) expect(jsonOf(r)).toEqual(prefillBody(body, false));
    for (const r of sent(decode)) expect(jsonOf(r)).toEqual(body);
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(
      /vllm:request_errors_total\{server="http:\/\/127\.0\.0\.1:1",[^}]*connection_error"\} [1-9]/,
    );
  });
});
