/**
 * The multipart endpoints `POST /v1/audio/transcriptions` and `POST /v1/images/edits` (reference §3.8): the client's
 * bytes reach the engine unchanged (bar an aliased `model`), routing, `?id=` pinning, failover, metrics and P/D
 * (decode only) apply, and every bad form gets an OpenAI-style error with its status, never a crash.
 * The simulator parses forms with undici's parser, so the router's parser is checked against another one.
 */
import { createHash, randomBytes } from 'node:crypto';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterError } from '../../router/errors.js';
import { parseFormRequest } from '../../router/proxy/multipart.js';
import {
  type EngineSim,
  type SimRecord,
  type Spawned,
  spawnEngineSim,
  spawnRouter,
  stopAll,
} from '../sim/processes.js';
import type { FormRecord } from '../sim/engine-sim.js';
import { MODEL, type PdStack, inference, pdStack } from './fixtures.js';

const LIMIT = 100_000;
let a: EngineSim;
let b: EngineSim;
let router: Spawned;
let pd: PdStack;

beforeAll(async () => {
  [a, b] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
  [router, pd] = await Promise.all([
    spawnRouter([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'static',
      '--static-backends',
      `${a.url},${b.url}`,
      '--static-models',
      `${MODEL},${MODEL}`,
      '--static-aliases',
      `llama:${MODEL}`,
      '--routing-logic',
      'roundrobin',
      '--max-request-body-bytes',
      String(LIMIT),
    ]),
    pdStack({ p: 1, d: 1 }),
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Binary content that contains CRLF and dashes, as audio and images do. */
const binary = (n: number) => Buffer.concat([randomBytes(n), Buffer.from('\r\n--\r\n\r\n--x')]);
const sdk = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'client-key', maxRetries: 0 });
const clear = () => Promise.all([a, b, ...pd.prefills, ...pd.decodes].map((s) => s.clearRequests()));
const received = async (...sims: EngineSim[]) => (await Promise.all(sims.map(inference))).flat();
const form = (r: SimRecord) => r.body as unknown as FormRecord;

/** A form body built by hand, so the test knows every byte the router gets. */
function formBody(
  boundary: string,
  parts: { name: string; value: string | Buffer; filename?: string }[],
  preamble = '',
  epilogue = '',
): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const p of parts) {
    const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename !== undefined ? '\r\nContent-Type: application/octet-stream' : '';
    chunks.push(
      Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`),
      Buffer.from(p.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--${epilogue}`));
  return Buffer.concat(chunks);
}

async function post(path: string, body: Buffer | string, contentType?: string, headers: Record<string, string> = {}) {
  const res = await fetch(router.url + path, {
    method: 'POST',
    body,
    headers: { ...(contentType !== undefined ? { 'content-type': contentType } : {}), ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

describe('POST /v1/audio/transcriptions and /v1/images/edits', { timeout: 30_000 }, () => {
  it('a transcription through the SDK reaches the engine byte for byte, with Authorization and X-Request-Id', async () => {
    await clear();
    const audio = binary(20_000);
    const r = await sdk(router.url).audio.transcriptions.create(
      {
        file: await toFile(audio, 'a.wav', { type: 'audio/wav' }),
        model: MODEL,
        language: 'de',
        temperature: 0.2,
        prompt: 'Grüße',
      },
      { headers: { 'X-Request-Id': 'tr-1' } },
    );
    expect(r).toEqual({ text: `transcribed a.wav (${audio.length} bytes)` });
    const [rec, ...more] = await received(a, b);
    expect(more).toEqual([]);
    expect(rec!.path).toBe('/v1/audio/transcriptions');
    expect(rec!.headers['authorization']).toBe('Bearer client-key');
    expect(rec!.headers['x-request-id']).toBe('tr-1');
    expect(rec!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(form(rec!).fields).toEqual({ model: MODEL, language: 'de', temperature: '0.2', prompt: 'Grüße' });
    expect(form(rec!).files).toEqual([
      { name: 'file', filename: 'a.wav', type: 'audio/wav', size: audio.length, sha256: sha256(audio) },
    ]);
  });

  it('response_format=text: the engine answers plain text and the client gets it unchanged', async () => {
    const audio = binary(100);
    const text = await sdk(router.url).audio.transcriptions.create({
      file: await toFile(audio, 'b.mp3'),
      model: MODEL,
      response_format: 'text',
    });
    expect(text).toBe(`transcribed b.mp3 (${audio.length} bytes)`);
  });

  it('a hand-built form (preamble, epilogue, quoted boundary, two files) arrives with the same bytes and content-type', async () => {
    await clear();
    const boundary = "odd'()+_,-./:=? boundary";
    const contentType = `Multipart/Form-Data; charset=utf-8; boundary="${boundary}"`;
    const body = formBody(
      boundary,
      [
        { name: 'model', value: MODEL },
        { name: 'file', value: binary(5000), filename: 'x.flac' },
        { name: 'stream', value: 'false' },
        { name: 'extra', value: binary(300), filename: 'y.bin' },
      ],
      'a preamble\r\n',
      '\r\nan epilogue',
    );
    const r = await post('/v1/audio/transcriptions', body, contentType);
    expect(r.status).toBe(200);
    const [rec] = await received(a, b);
    expect(rec!.headers['content-type']).toBe(contentType);
    expect(form(rec!).raw).toEqual({ size: body.length, sha256: sha256(body) });
    expect(form(rec!).files.map((f) => f.name)).toEqual(['file', 'extra']);
  });

  it('an alias: only the model value is rewritten, every other byte is kept (SDK and hand-built form)', async () => {
    await clear();
    const audio = binary(3000);
    await sdk(router.url).audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: 'llama' });
    const boundary = 'XyZ';
    const parts = (model: string) => [
      { name: 'prompt', value: 'model' },
      { name: 'model', value: model },
      { name: 'image', value: audio, filename: 'i.png' },
    ];
    const r = await post(
      '/v1/images/edits',
      formBody(boundary, parts('llama')),
      `multipart/form-data; boundary=${boundary}`,
    );
    expect(r.status).toBe(200);
    const [viaSdk, byHand] = (await received(a, b)).sort((x, y) => x.receivedAt - y.receivedAt);
    expect(form(viaSdk!).fields.model).toBe(MODEL);
    expect(form(viaSdk!).files[0]!.sha256).toBe(sha256(audio));
    const expected = formBody(boundary, parts(MODEL));
    expect(form(byHand!).raw).toEqual({ size: expected.length, sha256: sha256(expected) });
    expect(form(byHand!).fields).toEqual({ prompt: 'model', model: MODEL });
  });

  it('an image edit through the SDK (one image, then two as image[] with a mask)', async () => {
    await clear();
    const png = binary(4000);
    const client = sdk(router.url);
    const one = await client.images.edit(
      { image: await toFile(png, 'in.png', { type: 'image/png' }), prompt: 'add a hat', model: MODEL, n: 1 },
      { headers: { 'X-Request-Id': 'img-1' } },
    );
    expect(typeof one.created).toBe('number');
    expect(Buffer.from(one.data![0]!.b64_json!, 'base64').toString()).toBe(`edited in.png (${png.length} bytes)`);
    await client.images.edit({
      image: [
        await toFile(png, 'p1.png', { type: 'image/png' }),
        await toFile(binary(10), 'p2.png', { type: 'image/png' }),
      ],
      mask: await toFile(binary(10), 'm.png', { type: 'image/png' }),
      prompt: 'x',
      model: 'llama',
    });
    const [first, second] = (await received(a, b)).sort((x, y) => x.receivedAt - y.receivedAt);
    expect(first!.path).toBe('/v1/images/edits');
    expect(first!.headers['x-request-id']).toBe('img-1');
    expect(first!.headers['authorization']).toBe('Bearer client-key');
    expect(form(first!).fields).toEqual({ prompt: 'add a hat', model: MODEL, n: '1' });
    expect(form(first!).files).toEqual([
      { name: 'image', filename: 'in.png', type: 'image/png', size: png.length, sha256: sha256(png) },
    ]);
    expect(form(second!).fields.model).toBe(MODEL);
    expect(form(second!).files.map((f) => `${f.name}=${f.filename}`)).toEqual([
      'image[]=p1.png',
      'image[]=p2.png',
      'mask=m.png',
    ]);
  });

  it('roundrobin spreads them, ?id= pins one engine (and is not forwarded), metrics count them', async () => {
    await clear();
    const client = sdk(router.url);
    const file = await toFile(binary(10), 'a.wav');
    for (let i = 0; i < 4; i++) await client.audio.transcriptions.create({ file, model: MODEL });
    expect([(await inference(a)).length, (await inference(b)).length]).toEqual([2, 2]);
    const engines = (await (await fetch(`${router.url}/engines`)).json()) as { engine_id: string }[];
    await clear();
    const pinned = engines[0]!.engine_id;
    for (let i = 0; i < 3; i++) {
      await client.audio.transcriptions.create({ file, model: MODEL }, { query: { id: pinned, lang: 'x' } });
    }
    const counts = [(await inference(a)).length, (await inference(b)).length];
    expect(counts.sort()).toEqual([0, 3]);
    expect((await received(a, b)).map((r) => r.path)).toEqual(Array(3).fill('/v1/audio/transcriptions?lang=x'));
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(
      Number(new RegExp(`^vllm:num_incoming_requests_total\\{model="${MODEL}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(7);
  });

  it('failover: an engine that cannot be reached is replaced by another', async () => {
    const dead = 'http://127.0.0.1:1';
    const r2 = await spawnRouter([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'static',
      '--static-backends',
      `${dead},${a.url}`,
      '--static-models',
      `${MODEL},${MODEL}`,
      '--routing-logic',
      'roundrobin',
      '--max-instance-failover-reroute-attempts',
      '1',
    ]);
    const client = sdk(r2.url);
    const file = await toFile(binary(10), 'a.wav');
    for (let i = 0; i < 2; i++)
      expect((await client.audio.transcriptions.create({ file, model: MODEL })).text).toMatch(/^transcribed/);
    await r2.stop();
  });

  it('P/D: both endpoints go to the decode engine only', async () => {
    await clear();
    const client = sdk(pd.router.url);
    const r = await client.audio.transcriptions.create({ file: await toFile(binary(50), 'a.wav'), model: MODEL });
    expect(r.text).toMatch(/^transcribed a\.wav/);
    await client.images.edit({
      image: await toFile(binary(50), 'i.png', { type: 'image/png' }),
      prompt: 'x',
      model: MODEL,
    });
    expect(await received(...pd.prefills)).toEqual([]);
    expect((await received(...pd.decodes)).map((x) => x.path)).toEqual([
      '/v1/audio/transcriptions',
      '/v1/images/edits',
    ]);
  });
});

describe('bad multipart requests', { timeout: 30_000 }, () => {
  const B = 'bnd';
  const CT = `multipart/form-data; boundary=${B}`;
  const file = { name: 'file', value: binary(100), filename: 'a.wav' };
  const image = { name: 'image', value: binary(100), filename: 'i.png' };
  const model = { name: 'model', value: MODEL };
  const malformed = /^Invalid request: malformed multipart\/form-data \(.+\)\.$/;
  const cases: [string, string, Buffer | string, string | undefined, number, string | RegExp][] = [
    [
      'a JSON body',
      '/v1/audio/transcriptions',
      JSON.stringify({ model: MODEL }),
      'application/json',
      400,
      'Invalid request: request body must be multipart/form-data.',
    ],
    [
      'no content-type',
      '/v1/images/edits',
      formBody(B, [model, image]),
      undefined,
      400,
      'Invalid request: request body must be multipart/form-data.',
    ],
    [
      'no boundary',
      '/v1/audio/transcriptions',
      formBody(B, [model, file]),
      'multipart/form-data',
      400,
      'Invalid request: multipart/form-data needs a valid boundary parameter in its content-type.',
    ],
    [
      'an invalid boundary',
      '/v1/audio/transcriptions',
      formBody(B, [model, file]),
      `multipart/form-data; boundary=${'x'.repeat(71)}`,
      400,
      'Invalid request: multipart/form-data needs a valid boundary parameter in its content-type.',
    ],
    ['an empty body', '/v1/audio/transcriptions', '', CT, 400, malformed],
    ['another boundary in the body', '/v1/audio/transcriptions', formBody('other', [model, file]), CT, 400, malformed],
    ['a truncated body', '/v1/audio/transcriptions', formBody(B, [model, file]).subarray(0, 150), CT, 400, malformed],
    [
      'a part without Content-Disposition',
      '/v1/audio/transcriptions',
      `--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`,
      CT,
      400,
      malformed,
    ],
    ['a part without headers', '/v1/audio/transcriptions', `--${B}\r\n\r\nx\r\n--${B}--`, CT, 400, malformed],
    [
      'an unterminated quoted name',
      '/v1/audio/transcriptions',
      `--${B}\r\nContent-Disposition: form-data; name="model\r\n\r\nx\r\n--${B}--`,
      CT,
      400,
      malformed,
    ],
    [
      'part headers without their empty line',
      '/v1/audio/transcriptions',
      `--${B}\r\nContent-Disposition: form-data; name="model"\r\n${'x'.repeat(20_000)}\r\n--${B}--`,
      CT,
      400,
      malformed,
    ],
    [
      'transcription without file',
      '/v1/audio/transcriptions',
      formBody(B, [model]),
      CT,
      400,
      "Invalid request: missing 'file' in form data.",
    ],
    [
      'transcription with file as a text field',
      '/v1/audio/transcriptions',
      formBody(B, [model, { name: 'file', value: 'x' }]),
      CT,
      400,
      "Invalid request: missing 'file' in form data.",
    ],
    [
      'transcription without model',
      '/v1/audio/transcriptions',
      formBody(B, [file]),
      CT,
      400,
      "Invalid request: missing 'model' in form data.",
    ],
    [
      'transcription with an empty model',
      '/v1/audio/transcriptions',
      formBody(B, [{ name: 'model', value: '' }, file]),
      CT,
      400,
      "Invalid request: missing 'model' in form data.",
    ],
    [
      'transcription with model as a file',
      '/v1/audio/transcriptions',
      formBody(B, [{ ...model, filename: 'm.txt' }, file]),
      CT,
      400,
      "Invalid request: missing 'model' in form data.",
    ],
    [
      'two model fields',
      '/v1/audio/transcriptions',
      formBody(B, [model, file, { name: 'model', value: 'nope' }]),
      CT,
      400,
      "Invalid request: more than one 'model' in form data.",
    ],
    [
      'image edit without model',
      '/v1/images/edits',
      formBody(B, [image, { name: 'prompt', value: 'x' }]),
      CT,
      400,
      "Invalid request: missing 'model' in form data.",
    ],
    [
      'image edit without image',
      '/v1/images/edits',
      formBody(B, [model, { name: 'prompt', value: 'x' }]),
      CT,
      400,
      "Invalid request: missing 'image' in form data.",
    ],
    [
      '1001 text fields',
      '/v1/images/edits',
      formBody(B, [model, image, ...Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}`, value: '' }))]),
      CT,
      400,
      'Invalid request: more than 1000 fields in form data.',
    ],
    [
      'an unknown model',
      '/v1/audio/transcriptions',
      formBody(B, [{ name: 'model', value: 'nope' }, file]),
      CT,
      404,
      "Model 'nope' not found. Available models can be listed at /v1/models.",
    ],
    [
      'a known model, no endpoint (?id= of no engine)',
      '/v1/images/edits?id=none',
      formBody(B, [model, image]),
      CT,
      503,
      `Model '${MODEL}' is temporarily unavailable. Please try again later.`,
    ],
    [
      'a body over --max-request-body-bytes',
      '/v1/audio/transcriptions',
      formBody(B, [model, { ...file, value: binary(LIMIT) }]),
      CT,
      413,
      `Request body is larger than ${LIMIT} bytes.`,
    ],
  ];

  beforeAll(clear);
  for (const [name, path, body, contentType, status, message] of cases) {
    it(`${name} → ${status}`, async () => {
      const r = await post(path, body, contentType, { 'x-request-id': 'bad-1' });
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      if (status !== 413) expect(r.headers.get('x-request-id')).toBe('bad-1');
      const e = (JSON.parse(r.text) as { error: { message: string; type: string; code: number } }).error;
      if (typeof message === 'string') expect(e.message).toBe(message);
      else expect(e.message).toMatch(message);
      expect(e.code).toBe(status);
      expect(typeof e.type).toBe('string');
    });
  }
  it('the engines saw none of them; the router still serves', async () => {
    expect(await received(a, b)).toEqual([]);
    expect(
      (await sdk(router.url).audio.transcriptions.create({ file: await toFile(binary(10), 'a.wav'), model: MODEL }))
        .text,
    ).toMatch(/^transcribed/);
  });

  it('mangled forms (truncated, bytes flipped, random) never crash the parser or the router', async () => {
    const good = formBody(B, [model, file, { name: 'prompt', value: 'hello' }]);
    const variants: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const v = Buffer.from(good);
      if (i % 3 === 0) variants.push(v.subarray(0, Math.floor(Math.random() * v.length)));
      else if (i % 3 === 1) {
        for (let k = 0; k < 1 + (i % 5); k++)
          v[Math.floor(Math.random() * v.length)] = [0x0d, 0x0a, 0x2d, 0x22, 0x3b, Math.floor(Math.random() * 256)][
            k % 6
          ]!;
        variants.push(v);
      } else variants.push(randomBytes(Math.floor(Math.random() * 400)));
    }
    for (const v of variants) {
      try {
        parseFormRequest('/v1/audio/transcriptions', v, CT, new Map([['llama', MODEL]]));
      } catch (err) {
        expect(err).toBeInstanceOf(RouterError);
        expect((err as RouterError).status).toBe(400);
      }
    }
    const statuses = new Set<number>();
    for (const v of variants.slice(0, 150)) statuses.add((await post('/v1/audio/transcriptions', v, CT)).status);
    expect([...statuses].every((s) => [200, 400, 404].includes(s))).toBe(true);
    expect((await fetch(`${router.url}/health`)).status).toBe(200);
  });
});
