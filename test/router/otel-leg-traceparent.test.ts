/**
 * Each engine call of a traced request sends the `traceparent` of its own span, though a request's calls share one
 * headers object (router/tracing.ts `propagate`, written just before each call's dispatch): a prefill retried after
 * an unreachable engine sends the second attempt's span to the live engine, the failed attempt's span is exported
 * with status ERROR; in concurrent (push-mode) dispatch, where both legs leave at once, prefill and decode each get
 * their own leg's span.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll } from '../sim/processes.js';
import { type OtlpReceiver, STATUS_ERROR, startOtlpGrpcReceiver } from '../support/otlp-receiver.js';
import { MODEL, eventually, inference, pdArgs, postJson } from './fixtures.js';

const DEAD = 'http://127.0.0.1:1';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const traceIdOf = (i: number) => `4bf92f3577b34da6a3ce929d0e0e47${String(i).padStart(2, '0')}`;

let collector: OtlpReceiver;
let prefill: EngineSim;
let decode: EngineSim;
beforeAll(async () => {
  collector = await startOtlpGrpcReceiver();
  [prefill, decode] = await Promise.all([spawnEngineSim({ models: [MODEL] }), spawnEngineSim({ models: [MODEL] })]);
}, 30_000);
afterAll(async () => {
  await stopAll();
  await collector.close();
}, 30_000);

function traced(prefills: string[], extra: string[] = []): Promise<Spawned> {
  return spawnRouter(
    [
      ...pdArgs(prefills, [decode.url], extra, extra.length ? 'disaggregated_prefill_orchestrated' : undefined),
      '--otel-endpoint',
      collector.endpoint,
    ],
    { OTEL_BSP_SCHEDULE_DELAY: '20' },
  );
}

/** Sends request `i` with a client trace of its own; the traceparent each engine received for it. */
async function send(router: Spawned, i: number): Promise<{ prefill: string; decode: string; transferId: unknown }> {
  await Promise.all([prefill.clearRequests(), decode.clearRequests()]);
  const res = await postJson(
    `${router.url}/v1/completions`,
    { model: MODEL, prompt: `p${i}`, max_tokens: 2 },
    { traceparent: `00-${traceIdOf(i)}-${CLIENT_SPAN_ID}-01` },
  );
  expect(res.status).toBe(200);
  const [p] = await inference(prefill);
  const [d] = await inference(decode);
  return {
    prefill: String(p!.headers['traceparent']),
    decode: String(d!.headers['traceparent']),
    // set in push mode only (pd-push.test.ts)
    transferId: (d!.body?.kv_transfer_params as { transfer_id?: unknown } | undefined)?.transfer_id,
  };
}

const spansOf = (i: number) => collector.spans.filter((s) => s.traceId === traceIdOf(i));

describe("each engine call sends its own span's traceparent", { timeout: 30_000 }, () => {
  it('a prefill retried after an unreachable engine: the live engine gets the second attempt', async () => {
    const router = await traced([DEAD, prefill.url]);
    let retried = 0;
    for (let i = 0; i < 4; i++) {
      const got = await send(router, i);
      await eventually(async () => spansOf(i).length >= 3);
      const prefills = spansOf(i).filter((s) => s.name === 'prefill');
      const live = prefills.find((s) => s.attributes['vllm.backend_url'] === prefill.url)!;
      const d = spansOf(i).find((s) => s.name === 'decode')!;
      expect(got.prefill).toBe(`00-${traceIdOf(i)}-${live.spanId}-01`);
      expect(got.decode).toBe(`00-${traceIdOf(i)}-${d.spanId}-01`);
      const dead = prefills.find((s) => s.attributes['vllm.backend_url'] === DEAD);
      if (dead) {
        retried++;
        expect(dead.statusCode).toBe(STATUS_ERROR);
        expect(dead.spanId).not.toBe(live.spanId);
      }
    }
    expect(retried).toBeGreaterThan(0);
  });

  it('concurrent (push-mode) dispatch: both legs leave at once, each with its own span', async () => {
    const router = await traced([prefill.url], ['--pd-dispatch', 'concurrent', '--pd-fallback', 'error']);
    await send(router, 10); // the first request is serial: it teaches the router the prefill engine's coordinates
    const got = await send(router, 11);
    expect(typeof got.transferId).toBe('string'); // dispatched in push mode
    await eventually(async () => spansOf(11).length >= 3);
    const byName = (name: string) => spansOf(11).find((s) => s.name === name)!;
    expect(got.prefill).toBe(`00-${traceIdOf(11)}-${byName('prefill').spanId}-01`);
    expect(got.decode).toBe(`00-${traceIdOf(11)}-${byName('decode').spanId}-01`);
    expect(byName('prefill').spanId).not.toBe(byName('decode').spanId);
  });
});
