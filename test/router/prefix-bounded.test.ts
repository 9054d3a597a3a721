/**
 * prefixaware looks at a bounded prefix (PREFIX_MAX_CHARS characters): a huge prompt costs at most 256 table entries,
 * so it neither flushes the prefix table nor walks the whole prompt; prompts that share a prefix stay on their engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREFIX_MAX_CHARS, PrefixAwareRouter, promptText } from '../../router/routing/logics.js';
import { RequestStatsMonitor } from '../../router/stats/request-stats.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, endpoint, inference, postJson, staticArgs } from './fixtures.js';

describe('prefixaware on a huge prompt (in process)', () => {
  it('adds at most PREFIX_MAX_CHARS / 128 entries and keeps the entries of other prefixes', () => {
    const router = new PrefixAwareRouter(0, 1000, new RequestStatsMonitor(60));
    const engines = [endpoint('http://a:1'), endpoint('http://b:1')];
    const shared = 'shared system prompt '.repeat(30);
    const first = router.route(engines, { headers: {}, body: { prompt: shared } });
    const before = router.entries;
    router.route(engines, { headers: {}, body: { prompt: 'y'.repeat(4 << 20) } });
    expect(router.entries - before).toBe(PREFIX_MAX_CHARS / 128);
    router.route(engines, { headers: {}, body: { messages: [{ role: 'user', content: 'z'.repeat(4 << 20) }] } });
    expect(router.entries - before).toBe((2 * PREFIX_MAX_CHARS) / 128);
    for (let i = 0; i < 10; i++) {
      expect(router.route(engines, { headers: {}, body: { prompt: `${shared}q${i}` } }).url).toBe(first.url);
    }
  });

  it('matches on the same text as before for prompts under the bound, cut at the bound otherwise', () => {
    const messages = [
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }] },
    ];
    expect(promptText({ messages })).toBe('sys\na\nb');
    expect(promptText({ prompt: ['p', 'q'] })).toBe('p\nq');
    expect(promptText({ prompt: [1, 2] })).toBeUndefined();
    const long = 'x'.repeat(PREFIX_MAX_CHARS);
    expect(
      promptText({
        messages: [
          { role: 'user', content: 'ab' },
          { role: 'user', content: long },
        ],
      }),
    ).toBe(`ab\n${long}`.slice(0, PREFIX_MAX_CHARS));
    expect(promptText({ prompt: ['c', long, 'd'] })).toBe(`c\n${long}`.slice(0, PREFIX_MAX_CHARS));
  });
});

describe('prefixaware router process on a huge prompt', () => {
  let a: EngineSim;
  let b: EngineSim;
  let router: Spawned;

  beforeAll(async () => {
    [a, b] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
    router = await spawnRouter(staticArgs([a.url, b.url], 'prefixaware', ['--prefix-cache-max-entries', '1000']));
  }, 30_000);
  afterAll(stopAll, 30_000);

  it('answers it, and prompts sharing an earlier prefix still go to their engine', async () => {
    // 8 prefixes: were the table flushed, each would land on either engine by chance (all 8 back home: 1 in 256)
    const shared = (j: number) => `You are assistant number ${j}. `.repeat(20);
    const ask = (j: number, i: number) =>
      postJson(`${router.url}/v1/chat/completions`, {
        model: MODEL,
        messages: [
          { role: 'system', content: shared(j) },
          { role: 'user', content: `question ${i}` },
        ],
        max_tokens: 1,
      });
    for (let j = 0; j < 8; j++) expect((await ask(j, 0)).status).toBe(200);
    // 4 MiB of prompt: 32,768 chunks without the bound, enough to flush a 1000-entry table 32 times over
    const huge = await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'q'.repeat(4 << 20) });
    expect(huge.status).toBe(200);
    for (let j = 0; j < 8; j++) expect((await ask(j, 1)).status).toBe(200);
    const systemsOf = async (sim: EngineSim) =>
      (await inference(sim))
        .filter((r) => r.path === '/v1/chat/completions')
        .map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content);
    const onA = await systemsOf(a);
    const onB = await systemsOf(b);
    expect(onA.length + onB.length).toBe(16);
    for (let j = 0; j < 8; j++) {
      const here = onA.filter((c) => c === shared(j)).length;
      expect([0, 2]).toContain(here);
    }
  });
});
