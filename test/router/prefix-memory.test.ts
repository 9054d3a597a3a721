/** prefixaware keeps at most `--prefix-cache-max-entries` prefix chunks (LRU), unlike vllm_router's HashTrie (#687). */
import { describe, expect, it } from 'vitest';
import { PrefixAwareRouter } from '../../router/routing/logics.js';
import { RequestStatsMonitor } from '../../router/stats/request-stats.js';
import { endpoint } from './fixtures.js';

describe('prefixaware memory', () => {
  it('is capped, and recent prefixes still route to the engine that saw them', () => {
    const router = new PrefixAwareRouter(0, 1000, new RequestStatsMonitor(60));
    const engines = [endpoint('http://a:1'), endpoint('http://b:1'), endpoint('http://c:1')];
    for (let i = 0; i < 2000; i++) {
      router.route(engines, { headers: {}, body: { prompt: `${i} `.padEnd(600, 'x') } });
      expect(router.entries).toBeLessThanOrEqual(1000);
    }
    expect(router.entries).toBe(1000);
    const prompt = 'shared system prompt '.repeat(30);
    const first = router.route(engines, { headers: {}, body: { messages: [{ role: 'system', content: prompt }] } });
    for (let i = 0; i < 20; i++) {
      const next = router.route(engines, {
        headers: {},
        body: {
          messages: [
            { role: 'system', content: prompt },
            { role: 'user', content: `q${i}` },
          ],
        },
      });
      expect(next.url).toBe(first.url);
    }
  });
});
