/**
 * The worst-case RSS formula of the README (router/proxy/buffers.ts worstCaseRss) with the default flags stays under
 * the chart's default router memory limit, so a router at its limits is not OOM-killed.
 */
import { describe, expect, it } from 'vitest';
import { ROUTER_DEFAULTS } from '../../constructs/defaults.js';
import { FLAGS } from '../../schema/facts/router-flags.js';
import { worstCaseRss } from '../../router/proxy/buffers.js';
import { quantityValue } from '../../schema/facts/quantity.js';

const flagDefault = (name: string) => FLAGS.find((f) => f.name === name)!.default as number;

describe('router memory bound', () => {
  it('with the default flags and 16 engines, the worst case is under the default memory limit (1000Mi)', () => {
    const limits = ROUTER_DEFAULTS.resources.limits as { memory: string };
    const limit = quantityValue(limits.memory)!;
    expect(limit).toBe(1000 * 2 ** 20);
    const worst = worstCaseRss({
      maxBufferedBytes: flagDefault('max-buffered-bytes'),
      maxConnections: flagDefault('max-connections'),
      maxUpstreamBodyBytes: flagDefault('max-upstream-body-bytes'),
      engines: 16,
    });
    expect(worst).toBeLessThan(limit);
  });
});
