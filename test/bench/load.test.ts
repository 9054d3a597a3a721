/**
 * The benchmark's load generator parses HTTP/1.1 itself, so its framing is checked here: chunked SSE from a raw
 * server that splits every answer at every kind of place, and against node's own server content-length bodies,
 * error statuses, truncated streams and dropped connections.
 */
import { type Server, createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { load } from './load.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SSE = Array.from({ length: 5 }, (_, i) => `data: {"text":" t${i}"}\n\n`).join('') + 'data: [DONE]\n\n';
const opts = (maxRequests: number) => ({
  concurrency: 3,
  maxRequests,
  maxSeconds: 10,
  path: '/v1/completions',
  body: '{"model":"m"}',
});

describe('bench load generator', () => {
  it('reads chunked SSE answers however the bytes are split, and records TTFT before the end', async () => {
    // a raw server writes each answer in slices of 1 to 13 bytes, 1 ms apart, so the status line, headers, chunk-size
    // lines, payloads and the final CRLF all arrive split across reads
    const events = Array.from({ length: 5 }, (_, i) => `data: {"text":" t${i}"}\n\n`).concat('data: [DONE]\n\n');
    const answer =
      'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n' +
      events.map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join('') +
      '0\r\n\r\n';
    const bodies: string[] = [];
    let n = 0;
    const raw = createNetServer((socket) => {
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? NaN);
          if (end < 0 || buf.length < end + 4 + len) return;
          bodies.push(buf.slice(end + 4, end + 4 + len));
          buf = buf.slice(end + 4 + len);
          const step = (n++ % 13) + 1;
          const slices: string[] = [];
          for (let i = 0; i < answer.length; i += step) slices.push(answer.slice(i, i + step));
          const write = () => {
            if (socket.destroyed) return;
            socket.write(slices.shift()!);
            if (slices.length > 0) setTimeout(write, 1);
          };
          write();
        }
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const r = await load(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`, opts(26));
      expect(r).toMatchObject({ requests: 26, errors: 0 });
      expect(bodies).toEqual(Array(26).fill('{"model":"m"}'));
      for (let i = 0; i < 26; i++) expect(r.e2e[i]!).toBeGreaterThan(r.ttft[i]!);
    } finally {
      await new Promise((resolve) => raw.close(resolve));
    }
  });

  it('reads content-length answers and counts non-200 answers and truncated streams as errors', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        const k = n++ % 3;
        if (k === 0)
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
        else if (k === 1) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{}}');
        else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"text":"no end"}\n\n');
      });
    });
    const r = await load(url, opts(30));
    expect(r).toMatchObject({ requests: 10, errors: 20 });
  });

  it('counts a dropped connection as an error and goes on with a new one', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        if (n++ % 4 === 3) return void res.socket!.destroy();
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(SSE);
      });
    });
    const r = await load(url, opts(20));
    expect(r.requests + r.errors).toBe(20);
    expect(r.errors).toBe(5);
  });
});
