/** Bad requests get OpenAI-style JSON errors with the right status, and the router keeps serving. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, postJson } from './fixtures.js';

let sim: EngineSim;
let router: Spawned;
let pd: Spawned;

beforeAll(async () => {
  sim = await spawnEngineSim({ models: [MODEL] });
  const common = [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--max-request-body-bytes',
    '2000',
  ];
  [router, pd] = await Promise.all([
    spawnRouter([...common, '--static-backends', sim.url, '--static-models', MODEL, '--routing-logic', 'roundrobin']),
    spawnRouter([
      ...common,
      '--static-backends',
      `${sim.url},${sim.url}`,
      '--static-models',
      `${MODEL},${MODEL}`,
      '--static-model-labels',
      'p,d',
      '--routing-logic',
      'disaggregated_prefill',
      '--prefill-model-labels',
      'p',
      '--decode-model-labels',
      'd',
    ]),
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const cases: [string, string | unknown, number, string][] = [
  ['invalid JSON', '{"model": ', 400, 'Invalid request: request body must be valid JSON.'],
  ['a JSON array', '[1, 2]', 400, 'Invalid request: request body must be a JSON object.'],
  ['a JSON string', '"hello"', 400, 'Invalid request: request body must be a JSON object.'],
  ['no model', { prompt: 'x' }, 400, "Invalid request: missing 'model' in request body."],
  ['a non-string model', { model: 7 }, 400, "Invalid request: missing 'model' in request body."],
  ['an unknown model', { model: 'nope' }, 404, "Model 'nope' not found. Available models can be listed at /v1/models."],
  ['a body over the limit', { model: MODEL, prompt: 'x'.repeat(5000) }, 413, 'Request body is larger than 2000 bytes.'],
];

describe('bad requests', { timeout: 30_000 }, () => {
  for (const mode of ['roundrobin', 'disaggregated_prefill'] as const) {
    for (const [name, body, status, message] of cases) {
      it(`${mode}: ${name} → ${status}`, async () => {
        const url = mode === 'roundrobin' ? router.url : pd.url;
        const r = await postJson(`${url}/v1/chat/completions`, body);
        expect(r.status).toBe(status);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        const e = (r.json() as { error: { message: string; type: string; code: number } }).error;
        expect(e.message).toBe(message);
        expect(e.code).toBe(status);
        expect(typeof e.type).toBe('string');
      });
    }
  }

  it('a known model whose pinned engine is absent → 503', async () => {
    const r = await postJson(`${router.url}/v1/completions?id=no-such-engine`, { model: MODEL, prompt: 'x' });
    expect(r.status).toBe(503);
    expect((r.json() as { error: { type: string } }).error.type).toBe('service_unavailable');
  });

  it('unknown paths → 404 JSON; none of the above reached the engine; the router still serves', async () => {
    const r = await fetch(`${router.url}/v2/whatever`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: number } }).error.code).toBe(404);
    expect(await inference(sim)).toEqual([]);
    const ok = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 1 });
    expect(ok.status).toBe(200);
  });
});
