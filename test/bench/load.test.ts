/**
 * The benchmark's load generator parses HTTP/1.1 itself, so its framing is checked here against node's own server:
 * chunked SSE split at every awkward place, content-length bodies, error statuses and dropped connections.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
const opts = (maxRequests: number) => ({ concurrency: 3, maxRequests, maxSeconds: 10, path: '/v1/completions', body: '{"model":"m"}' });

describe('bench load generator', () => {
  it('reads chunked SSE answers however the bytes are split, and records TTFT before the end', async () => {
    let n = 0;
    const bodies: string[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // request k writes the stream in pieces of k+1 bytes, with a 40 ms pause before the last piece
        const step = (n++ % 7) + 1;
        const pieces: string[] = [];
        for (let i = 0; i < SSE.length; i += step) pieces.push(SSE.slice(i, i + step));
        const last = pieces.pop()!;
        for (const p of pieces) res.write(p);
        setTimeout(() => res.end(last), 40);
      });
    });
    const r = await load(url, opts(30));
    expect(r).toMatchObject({ requests: 30, errors: 0 });
    expect(bodies.every((b) => b === '{"model":"m"}')).toBe(true);
    for (let i = 0; i < 30; i++) expect(r.e2e[i]! - r.ttft[i]!).toBeGreaterThan(20);
  });

  it('reads content-length answers and counts non-200 answers and truncated streams as errors', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        const k = n++ % 3;
        if (k === 0) res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
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
