/** A known path asked with another method is a 405 with `Allow` (and an OpenAI-style body); an unknown path a 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, inference, staticArgs } from './fixtures.js';

let sim: EngineSim;
let router: Spawned;

beforeAll(async () => {
  sim = await spawnEngineSim({ models: [MODEL] });
  router = await spawnRouter(staticArgs([sim.url], 'roundrobin'));
}, 30_000);
afterAll(stopAll, 30_000);

describe('405 Method Not Allowed', { timeout: 30_000 }, () => {
  it('GET /v1/completions → 405, Allow: POST, nothing forwarded', async () => {
    const res = await fetch(`${router.url}/v1/completions?x=1`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({
      error: {
        message: 'Method GET is not allowed for /v1/completions (use POST).',
        type: 'invalid_request_error',
        code: 405,
      },
    });
    expect(await inference(sim)).toEqual([]);
  });

  it('POST /v1/models → 405, Allow: GET, HEAD', async () => {
    const res = await fetch(`${router.url}/v1/models`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('an unknown path is still a 404', async () => {
    const res = await fetch(`${router.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });
});
