/**
 * At most --max-connections client connections at once: one more is closed as it arrives, without an answer; once a
 * connection closes, a new one is served again.
 */
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnRouter, stopAll } from '../sim/processes.js';
import { MODEL, type RawEngine, completion, pdArgs, rawEngine } from './fixtures.js';

let engine: RawEngine;
let router: Spawned;

beforeAll(async () => {
  engine = await rawEngine(completion);
  router = await spawnRouter(pdArgs([engine.url], [engine.url], ['--max-connections', '4']));
}, 30_000);
afterAll(async () => {
  await stopAll();
  await engine.close();
}, 30_000);

const BODY = JSON.stringify({ model: MODEL, prompt: 'hi' });
const REQUEST =
  `POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
  `content-length: ${BODY.length}\r\n\r\n${BODY}`;

/** Sends one request on a new connection; resolves with what came back before the router closed it or answered. */
function request(): Promise<{ socket: Socket; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(router.port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => reject(new Error('neither answered nor closed within 10 s')), 10_000);
    const done = () => {
      clearTimeout(timer);
      resolve({ socket, answer });
    };
    socket.on('error', () => {}); // a reset is one way of being turned away
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('"ok"')) done();
    });
    socket.once('close', done);
    socket.once('connect', () => socket.write(REQUEST));
  });
}

describe('--max-connections 4', () => {
  it('a fifth connection is closed unanswered while four are open; then served once one closes', async () => {
    const open = await Promise.all(Array.from({ length: 4 }, () => request()));
    for (const c of open) expect(c.answer).toMatch(/^HTTP\/1\.1 200 /);
    const fifth = await request();
    expect(fifth.answer).toBe('');
    expect(fifth.socket.destroyed).toBe(true);
    open[0]!.socket.destroy();
    // the router notices the close asynchronously: a bounded number of tries
    let again = await request();
    for (let i = 0; i < 20 && again.answer === ''; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await request();
    }
    expect(again.answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const c of [...open, again]) c.socket.destroy();
  });
});
