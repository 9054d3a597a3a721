#!/usr/bin/env node
/**
 * The benchmark's floor: about the least a P/D proxy on node:http and undici can do, for `npm run bench:router` to
 * show what this machine allows any Node.js P/D proxy beside what pdstack-router reaches.
 *
 *   node build/test/bench/floor-proxy.js PREFILL_URL DECODE_URL
 *
 * Per request: read the body, send it to the prefill engine with `max_tokens: 1, stream: false` and wait for the
 * answer, then stream the decode engine's answer back with back-pressure. Nothing else: no fastify, no routing or
 * balancing, no checks, no error mapping (a failure is a bare 502, or a cut stream once the answer has started), no
 * header forwarding, no stats or metrics. Not a router; never deploy it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const [prefillUrl, decodeUrl] = process.argv.slice(2);
if (!prefillUrl || !decodeUrl) {
  process.stderr.write('usage: floor-proxy PREFILL_URL DECODE_URL\n');
  process.exit(2);
}
const prefill = new Pool(prefillUrl, { pipelining: 1 });
const decode = new Pool(decodeUrl, { pipelining: 1 });
const headers = { 'content-type': 'application/json' };

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const path = req.url ?? '/';
      const p = await prefill.request({
        path,
        method: 'POST',
        headers,
        body: JSON.stringify({ ...body, max_tokens: 1, stream: false }),
      });
      await p.body.text();
      const d = await decode.request({ path, method: 'POST', headers, body: raw });
      res.writeHead(d.statusCode, { 'content-type': String(d.headers['content-type']) });
      for await (const chunk of d.body) if (!res.write(chunk)) await once(res, 'drain');
      res.end();
    })().catch((err: unknown) => (res.headersSent ? res.destroy() : res.writeHead(502).end(String(err))));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`floor-proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
