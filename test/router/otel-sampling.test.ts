/**
 * Sampling follows OpenTelemetry's standard variables (OTEL_TRACES_SAMPLER, _ARG; default parentbased_always_on): a
 * request the sampler drops exports nothing, yet the engines still get a `traceparent` of the trace (not sampled), so
 * the trace stays whole wherever it is recorded; a client's sampled flag is followed under the parent-based default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { type OtlpReceiver, startOtlpGrpcReceiver } from '../support/otlp-receiver.js';
import { MODEL, inference, postJson, staticArgs } from './fixtures.js';

let collector: OtlpReceiver;
let engine: EngineSim;
let sampledOut: Spawned;
let parentBased: Spawned;

beforeAll(async () => {
  [collector, engine] = await Promise.all([startOtlpGrpcReceiver(), spawnEngineSim({ models: [MODEL] })]);
  const args = [...staticArgs([engine.url], 'roundrobin'), '--otel-endpoint', collector.endpoint];
  [sampledOut, parentBased] = await Promise.all([
    spawnRouter(args, { OTEL_TRACES_SAMPLER: 'always_off', OTEL_BSP_SCHEDULE_DELAY: '50' }),
    spawnRouter(args, { OTEL_BSP_SCHEDULE_DELAY: '50' }),
  ]);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await collector.close();
}, 30_000);

async function send(router: Spawned, traceparent?: string): Promise<string> {
  await engine.clearRequests();
  const res = await postJson(
    `${router.url}/v1/completions`,
    { model: MODEL, prompt: 'Hi', max_tokens: 1 },
    traceparent ? { traceparent } : {},
  );
  expect(res.status).toBe(200);
  const [received] = await inference(engine);
  return String(received!.headers['traceparent']);
}

describe('OpenTelemetry sampling', { timeout: 30_000 }, () => {
  it('OTEL_TRACES_SAMPLER=always_off: nothing is exported, the engine still continues the trace, not sampled', async () => {
    const traceId = '1'.repeat(32);
    expect(await send(sampledOut, `00-${traceId}-${'2'.repeat(16)}-01`)).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`),
    );
    expect(await send(sampledOut)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await new Promise((r) => setTimeout(r, 500));
    expect(collector.spans).toEqual([]);
  });

  it("the default follows the client's flag: an unsampled client trace is not exported", async () => {
    const traceId = '3'.repeat(32);
    expect(await send(parentBased, `00-${traceId}-${'4'.repeat(16)}-00`)).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(collector.spans.filter((s) => s.traceId === traceId)).toEqual([]);
  });
});
