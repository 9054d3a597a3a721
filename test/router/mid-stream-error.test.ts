/**
 * A decode stream that breaks mid-way (the engine's connection drops after some tokens) ends with an OpenAI-style
 * error event before the router closes the answer, so a client sees an error instead of a stream that just stops.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter } from '../sim/processes.js';
import { MODEL, stopEverything, type RawEngine, eventually, pdArgs, postJson, rawEngine } from './fixtures.js';

const event = (text: string) =>
  `data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', model: MODEL, choices: [{ index: 0, text }] })}\n\n`;

let prefill: RawEngine;
let decode: RawEngine;
let router: Spawned;

beforeAll(async () => {
  prefill = await rawEngine((_rec, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  decode = await rawEngine((rec, res) => {
    if (rec.path !== '/v1/completions') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // two events, then (prompt `half`) half of a third, then the connection drops
    const half = (JSON.parse(rec.body.toString('utf8')) as { prompt: string }).prompt === 'half';
    res.write(event(' t0') + event(' t1') + (half ? 'data: {"id":"cmpl-1","choi' : ''), () =>
      setTimeout(() => res.socket?.destroy(), 50),
    );
  });
  router = await spawnRouter(pdArgs([prefill.url], [decode.url]));
}, 30_000);
afterAll(stopEverything, 30_000);

const request = { model: MODEL, prompt: 'whole', max_tokens: 8, stream: true as const };

describe('a decode stream that breaks mid-way', { timeout: 30_000 }, () => {
  it('ends with an OpenAI-style error event after the bytes already sent, a half event ended first', async () => {
    const r = await postJson(`${router.url}/v1/completions`, { ...request, prompt: 'half' });
    expect(r.status).toBe(200);
    const error = { error: { message: 'Decoder failed (UND_ERR_SOCKET).', type: 'decoder_error', code: 502 } };
    expect(r.text).toBe(
      `${event(' t0')}${event(' t1')}data: {"id":"cmpl-1","choi\n\ndata: ${JSON.stringify(error)}\n\n`,
    );
    await eventually(async () => router.stderr().includes(`Decoder ${decode.url} failed for request`));
  });

  it('the OpenAI SDK reads the tokens, then throws the error', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const stream = await client.completions.create(request);
    const texts: string[] = [];
    await expect(async () => {
      for await (const c of stream) texts.push(c.choices[0]?.text ?? '');
    }).rejects.toThrow('Decoder failed (UND_ERR_SOCKET).');
    expect(texts).toEqual([' t0', ' t1']);
  });
});
