/**
 * `--static-backend-health-checks`: each backend gets a tiny real request of its model type; failing backends are
 * hidden (a model whose only backend fails → 503) and come back once they pass again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { eventually, postJson } from './fixtures.js';

let chat: EngineSim;
let completion: EngineSim;
let router: Spawned;

beforeAll(async () => {
  [chat, completion] = await Promise.all([
    spawnEngineSim({ models: ['chat-model'] }),
    spawnEngineSim({ models: ['base-model'] }),
  ]);
  router = await spawnRouter([
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    `${chat.url},${completion.url}`,
    '--static-models',
    'chat-model,base-model',
    '--static-model-types',
    'chat,completion',
    '--static-backend-health-checks',
    '--static-backend-health-check-interval',
    '1',
    '--routing-logic',
    'roundrobin',
  ]);
}, 30_000);
afterAll(stopAll, 30_000);

const models = async () =>
  ((await (await fetch(`${router.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id).sort();

describe('static backend health checks', { timeout: 30_000 }, () => {
  it('probes each backend with a request of its model type', async () => {
    await eventually(async () => {
      const [c, b] = [await chat.requests(), await completion.requests()];
      return c.some((r) => r.path === '/v1/chat/completions') && b.some((r) => r.path === '/v1/completions');
    });
    const probe = (await chat.requests()).find((r) => r.path === '/v1/chat/completions')!;
    expect(probe.body).toEqual({ model: 'chat-model', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 });
    expect(await models()).toEqual(['base-model', 'chat-model']);
  });

  it('hides a failing backend (503 for its model) and restores it when it passes again', async () => {
    await chat.config({ failStatus: 500 });
    await eventually(async () => (await models()).length === 1);
    expect(await models()).toEqual(['base-model']);
    const r = await postJson(`${router.url}/v1/chat/completions`, { model: 'chat-model', messages: [] });
    expect(r.status).toBe(503);
    expect((r.json() as { error: { message: string } }).error.message).toBe(
      "Model 'chat-model' is temporarily unavailable. Please try again later.",
    );
    await chat.config({ failStatus: null });
    await eventually(async () => (await models()).length === 2);
    const ok = await postJson(`${router.url}/v1/chat/completions`, {
      model: 'chat-model',
      messages: [],
      max_tokens: 1,
    });
    expect(ok.status).toBe(200);
  });
});
