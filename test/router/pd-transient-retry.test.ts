/**
 * A prefill engine answering 502/503/504 is replaced once by another prefill engine: the client gets the answer of
 * the second, the failing engine's answer counts as an error in the metrics. A 500 is not tried again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, inference, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({ p: 2, d: 1, extraArgs: ['--pd-fallback', 'error'] });
}, 30_000);
afterAll(stopAll, 30_000);

const clear = () => Promise.all([...stack.prefills, ...stack.decodes].map((s) => s.clearRequests()));

describe('prefill transient-error retry', { timeout: 30_000 }, () => {
  it.each([502, 503, 504])('a prefill %i once → the other prefill engine serves', async (status) => {
    await clear();
    const [failing, other] = stack.prefills as [EngineSim, EngineSim];
    await failing.config({ failOnceStatus: status });
    // requests rotate over the two engines: send until one was tried on the failing engine first
    const prompts: string[] = [];
    for (let i = 0; i < 4 && (await inference(failing)).length === 0; i++) {
      prompts.push(`r${status}-${i}`);
      const r = await postJson(`${stack.router.url}/v1/completions`, {
        model: MODEL,
        prompt: prompts[i],
        max_tokens: 2,
      });
      expect(r.status).toBe(200);
      expect((r.json() as { choices: { text: string }[] }).choices[0]!.text).toBe(' t0 t1');
    }
    expect((await inference(failing)).map((p) => p.body?.prompt)).toEqual([prompts.at(-1)]);
    expect((await inference(other)).map((p) => p.body?.prompt)).toEqual(prompts);
    expect((await inference(stack.decodes[0]!)).map((d) => d.body?.prompt)).toEqual(prompts);
    const metrics = await (await fetch(`${stack.router.url}/metrics`)).text();
    const errors = new RegExp(
      `vllm:request_errors_total\\{server="${failing.url}",model="${MODEL}",error_type="http_${status}"\\} (\\d+)`,
    ).exec(metrics);
    expect(errors?.[1]).toBe('1');
  });

  it('a prefill 500 is not tried again (with --pd-fallback error the client gets it)', async () => {
    await clear();
    await Promise.all(stack.prefills.map((p) => p.config({ failStatus: 500 })));
    const r = await postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 });
    expect(r.status).toBe(500);
    const calls = (await Promise.all(stack.prefills.map(inference))).flat();
    expect(calls.length).toBe(1);
    expect(await inference(stack.decodes[0]!)).toEqual([]);
    await Promise.all(stack.prefills.map((p) => p.config({ failStatus: null })));
  });

  it('both prefill engines 503 → the client gets the second 503 after one retry', async () => {
    await clear();
    await Promise.all(stack.prefills.map((p) => p.config({ failStatus: 503 })));
    const r = await postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 });
    expect(r.status).toBe(503);
    expect((r.json() as { error: { type: string } }).error.type).toBe('prefiller_error');
    const [a, b] = await Promise.all(stack.prefills.map(inference));
    expect([a!.length, b!.length]).toEqual([1, 1]);
    await Promise.all(stack.prefills.map((p) => p.config({ failStatus: null })));
  });
});
