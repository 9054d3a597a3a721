/**
 * A collector that cannot be reached, or that stalls, never fails or holds a request: spans are queued without
 * waiting, the queue is bounded (OTEL_BSP_MAX_QUEUE_SIZE) and spans beyond it are dropped; a failing export is logged
 * once, not per span.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { startOtlpGrpcReceiver } from '../support/otlp-receiver.js';
import { MODEL, eventually, pdStack, postJson } from './fixtures.js';

afterAll(stopAll, 30_000);

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function completions(url: string, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const res = await postJson(`${url}/v1/completions`, { model: MODEL, prompt: 'Hi', max_tokens: 2 });
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

describe('an unreachable or stalled OTLP collector', { timeout: 60_000 }, () => {
  it('unreachable: every request is answered, and the failed exports are logged once', async () => {
    const endpoint = `127.0.0.1:${await closedPort()}`;
    const stack = await pdStack({
      p: 1,
      d: 1,
      extraArgs: ['--otel-endpoint', endpoint],
      env: { OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_EXPORTER_OTLP_TIMEOUT: '300' },
    });
    const statuses = await completions(stack.router.url, 50, 4);
    expect(statuses).toEqual(Array(50).fill(200));
    const failure = `OpenTelemetry export to ${endpoint} failed (spans are dropped while it fails)`;
    await eventually(async () => stack.router.stderr().includes(failure));
    expect(await completions(stack.router.url, 20, 2)).toEqual(Array(20).fill(200));
    await new Promise((r) => setTimeout(r, 700)); // more exports fail meanwhile
    expect(stack.router.stderr().split(failure).length - 1).toBe(1);
    expect(await stack.router.stop()).toBe(0);
  });

  it('stalled: requests are answered while an export hangs, and spans beyond the bounded queue are dropped', async () => {
    const collector = await startOtlpGrpcReceiver({ hold: true });
    try {
      const stack = await pdStack({
        p: 1,
        d: 1,
        extraArgs: ['--otel-endpoint', collector.endpoint],
        env: {
          OTEL_BSP_SCHEDULE_DELAY: '20',
          OTEL_BSP_MAX_QUEUE_SIZE: '20',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
          OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
        },
      });
      expect(await completions(stack.router.url, 4, 1)).toEqual(Array(4).fill(200));
      await eventually(async () => collector.exports() >= 1); // an export is held by the collector
      const statuses = await completions(stack.router.url, 100, 4); // 300 spans more
      expect(statuses).toEqual(Array(100).fill(200));
      expect(collector.exports()).toBe(1); // still the one export, unanswered: nothing waited for it
      collector.release();
      await eventually(async () => collector.exports() >= 2);
      await new Promise((r) => setTimeout(r, 500));
      // at most the held batch plus the bounded queue arrive: the other spans were dropped
      expect(collector.spans.length).toBeGreaterThan(0);
      expect(collector.spans.length).toBeLessThanOrEqual(10 + 20);
      expect(await stack.router.stop()).toBe(0);
    } finally {
      await collector.close();
    }
  });

  it('stalled: SIGTERM still stops the router cleanly while its last export hangs', async () => {
    const collector = await startOtlpGrpcReceiver({ hold: true });
    try {
      const stack = await pdStack({
        p: 1,
        d: 1,
        extraArgs: ['--otel-endpoint', collector.endpoint],
        env: { OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' },
      });
      expect(await completions(stack.router.url, 4, 1)).toEqual(Array(4).fill(200));
      await eventually(async () => collector.exports() >= 1);
      // exit 0: the flush at shutdown gave up on the hung export (a SIGKILL after 10 s would give null)
      expect(await stack.router.stop()).toBe(0);
      expect(collector.spans).toEqual([]);
    } finally {
      collector.release();
      await collector.close();
    }
  });
});
