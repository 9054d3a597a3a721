/**
 * Slow and idle clients are bounded in time: headers must arrive within --client-header-timeout-seconds and the
 * whole request within --client-body-timeout-seconds (else 408, OpenAI-style, and the connection is closed, its
 * buffered bytes given back); a connection without a request in progress is closed after
 * --client-idle-timeout-seconds, whether it never sent one or sits idle after one. (Without these, 8 clients
 * trickling 30 MB bodies held 232 MB for as long as they liked, and a connection that sent nothing stayed open.)
 */
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_TERMS } from '../../router/proxy/buffers.js';
import { type Spawned, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, MiB, type RawEngine, completion, pdArgs, peakRss, postJson, rawEngine, rssOf } from './fixtures.js';

let engine: RawEngine;
let router: Spawned;

beforeAll(async () => {
  engine = await rawEngine(completion, true);
  router = await spawnRouter(
    pdArgs(
      [engine.url],
      [engine.url],
      [
        '--client-header-timeout-seconds',
        '1',
        '--client-body-timeout-seconds',
        '2',
        '--client-idle-timeout-seconds',
        '1',
        '--max-buffered-bytes',
        String(64 * MiB),
      ],
    ),
  );
}, 30_000);
afterAll(async () => {
  await stopAll();
  await engine.close();
}, 30_000);

/** A raw connection to the router: what it received, and a promise of its close (rejects after 15 s). */
async function open(): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(router.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => {}); // a reset while writing is one way of being closed
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the router kept the connection open for 15 s')), 15_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { socket, received: () => text, closed };
}

/** Writes `text` one piece every 200 ms until the socket closes (bounded: 100 pieces). */
function trickle(socket: Socket, piece: string): void {
  let n = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || n++ >= 100) return clearInterval(timer);
    socket.write(piece);
  }, 200);
  socket.once('close', () => clearInterval(timer));
}

function expect408(raw: string): void {
  expect(raw).toMatch(/^HTTP\/1\.1 408 /);
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as unknown;
  expect(body).toEqual({
    error: {
      message: expect.stringContaining('--client-body-timeout-seconds') as unknown,
      type: 'invalid_request_error',
      code: 408,
    },
  });
}

describe('client timeouts', () => {
  it('headers trickled a byte at a time: 408 and the connection closed', async () => {
    const c = await open();
    c.socket.write('POST /v1/completions HTTP/1.1\r\nhost: x\r\n');
    trickle(c.socket, 'x');
    await c.closed;
    expect408(c.received());
  });

  it('8 clients trickling 30 MB bodies: over the budget at once 503, the others 408; the budget is given back', async () => {
    const baseline = rssOf(router);
    const { result: clients, peak } = await peakRss(router, async () => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => open()));
      for (const c of clients) {
        c.socket.write(
          `POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
            `content-length: ${30_000_000}\r\n\r\n{"model":"${MODEL}","prompt":"` +
            'y'.repeat(MiB),
        );
        trickle(c.socket, 'y'.repeat(1000));
      }
      await Promise.all(clients.map((c) => c.closed.catch(() => undefined)));
      return clients;
    });
    const statuses = clients.map((c) => Number(/^HTTP\/1\.1 (\d+) /.exec(c.received())?.[1]));
    // 64 MiB holds two 30 MB bodies: the other six are refused before their bodies are read
    expect(statuses.filter((s) => s === 503)).toHaveLength(6);
    for (const c of clients.filter((x) => x.received().startsWith('HTTP/1.1 408 '))) expect408(c.received());
    expect(statuses.filter((s) => s === 408)).toHaveLength(2);
    // one answer each: a refused client whose body keeps coming is closed at the timeout without a second one
    for (const c of clients) expect(c.received().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(peak - baseline).toBeLessThan(MEMORY_TERMS.perBufferedByte * 64 * MiB);
    // nothing is held any more: a request is served
    expect((await postJson(`${router.url}/v1/completions`, { model: MODEL, prompt: 'hi' })).status).toBe(200);
    expect(engine.received.filter((r) => r.path === '/v1/completions')).toHaveLength(2);
  }, 30_000);

  it('a connection that never sends a request is closed after the idle timeout', async () => {
    const c = await open();
    await c.closed;
    expect(c.received()).toBe('');
  });

  it('a keep-alive connection idle after its answer is closed after the idle timeout', async () => {
    const c = await open();
    const body = JSON.stringify({ model: MODEL, prompt: 'hi' });
    c.socket.write(
      `POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n\r\n${body}`,
    );
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});
