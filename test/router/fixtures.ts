/** Shared set-ups of the router tests: simulators plus a router, all real processes on 127.0.0.1. */
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Endpoint } from '../../router/discovery/types.js';
import { waitFor } from '../k8s/helpers.js';
import {
  type EngineSim,
  type SimOptions,
  type Spawned,
  spawnEngineSim,
  spawnRouter,
  stopAll,
} from '../sim/processes.js';

export const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

export interface PdStack {
  readonly router: Spawned;
  readonly prefills: EngineSim[];
  readonly decodes: EngineSim[];
}

/** Router arguments for static discovery on `127.0.0.1:0`: every URL serving MODEL; `extra` is appended last. */
export function staticArgs(urls: readonly string[], logic: string, extra: readonly string[] = []): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    urls.join(','),
    '--static-models',
    urls.map(() => MODEL).join(','),
    '--routing-logic',
    logic,
    ...extra,
  ];
}

/**
 * Router arguments for a static P/D set-up on `127.0.0.1:0`: the prefill URLs (label `llama-prefill`) then the decode
 * URLs (label `llama-decode`), all serving MODEL; `extra` is appended last.
 */
export function pdArgs(
  prefillUrls: readonly string[],
  decodeUrls: readonly string[],
  extra: readonly string[] = [],
  logic: 'disaggregated_prefill' | 'disaggregated_prefill_orchestrated' = 'disaggregated_prefill',
): string[] {
  return staticArgs([...prefillUrls, ...decodeUrls], logic, [
    '--static-model-labels',
    [...prefillUrls.map(() => 'llama-prefill'), ...decodeUrls.map(() => 'llama-decode')].join(','),
    '--prefill-model-labels',
    'llama-prefill',
    '--decode-model-labels',
    'llama-decode',
    ...extra,
  ]);
}

/** A static endpoint serving MODEL at `url` (its id is the URL), for routing logics tested in process. */
export const endpoint = (url: string): Endpoint => ({
  id: url,
  url,
  modelNames: [MODEL],
  modelLabel: 'default',
  addedTimestamp: 0,
  sleep: false,
  modelInfo: {},
});

/** `p` prefill and `d` decode simulators (labels `llama-prefill` / `llama-decode`) behind one router. */
export async function pdStack(opts: {
  p: number;
  d: number;
  logic?: 'disaggregated_prefill' | 'disaggregated_prefill_orchestrated';
  sim?: Partial<SimOptions>;
  extraArgs?: string[];
  /** The router's environment, over the test's. */
  env?: NodeJS.ProcessEnv;
}): Promise<PdStack> {
  const sim = { models: [MODEL], ...opts.sim };
  const prefills = await Promise.all(Array.from({ length: opts.p }, () => spawnEngineSim(sim)));
  const decodes = await Promise.all(Array.from({ length: opts.d }, () => spawnEngineSim(sim)));
  const router = await spawnRouter(
    pdArgs(
      prefills.map((s) => s.url),
      decodes.map((s) => s.url),
      opts.extraArgs,
      opts.logic,
    ),
    opts.env,
  );
  return { router, prefills, decodes };
}

/** Inference requests a simulator recorded (control and scrape calls are not recorded). */
export async function inference(sim: EngineSim): Promise<Awaited<ReturnType<EngineSim['requests']>>> {
  return (await sim.requests()).filter((r) => r.path.startsWith('/v1/') && r.method === 'POST');
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Polls `check` every 100 ms until it returns true (bounded: `timeoutMs`); `waitFor` of the k8s tests does the polling. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  await waitFor('condition', check, timeoutMs, 100);
}

/** A request a raw engine received: method, path, headers and the body's bytes. */
export interface RawRecord {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RawEngine {
  readonly url: string;
  readonly received: RawRecord[];
  close(): Promise<void>;
}

/**
 * A hostile or broken engine in the test process (node:http on 127.0.0.1, port 0): records every request, then
 * `answer` writes whatever it likes on the raw response (headers a real engine would never send, stalls, ...).
 * With `dropBodies` the bodies are read but not kept (recorded empty), for tests that send large ones.
 */
export async function rawEngine(
  answer: (rec: RawRecord, res: ServerResponse) => void,
  dropBodies = false,
): Promise<RawEngine> {
  const received: RawRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (!dropBodies) chunks.push(c);
    });
    req.on('end', () => {
      const rec = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(rec);
      answer(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const engine: RawEngine = {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        rawEngines.delete(engine);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  rawEngines.add(engine);
  return engine;
}

const rawEngines = new Set<RawEngine>();

/** For `afterAll`: stops every spawned process (`stopAll`), then closes every raw engine. */
export async function stopEverything(): Promise<void> {
  await stopAll();
  await Promise.all([...rawEngines].map((e) => e.close()));
}

/** The body a raw engine got, as JSON. */
export const jsonOf = (rec: RawRecord | undefined): Record<string, unknown> =>
  JSON.parse(rec!.body.toString('utf8')) as Record<string, unknown>;

/** An answer as read off the socket: status line, headers (lower-cased names) and body (de-chunked). */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything received, interim answers (`100 Continue`) included. */
  readonly wire: string;
}

/**
 * One HTTP/1.1 exchange on a raw socket, for what fetch will not send: `head` is written as is (CRLF line ends are
 * added, then the empty line); `body` follows at once or, with `waitForContinue`, only after the router's
 * `100 Continue` (never, when it answers first). The answer is read until the router closes the connection (send
 * `Connection: close`) or 10 s pass.
 */
export function rawHttp(
  url: string,
  head: readonly string[],
  body: string | Buffer = '',
  waitForContinue = false,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let bodySent = !waitForContinue;
    const timer = setTimeout(() => socket.destroy(new Error('no complete answer within 10 s')), 10_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!bodySent && Buffer.concat(chunks).toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        bodySent = true;
        socket.write(body);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      // latin1: one character per byte, so chunk sizes count characters; the body is decoded as UTF-8 at the end
      const wire = Buffer.concat(chunks).toString('latin1');
      const final = wire.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      const split = final.indexOf('\r\n\r\n');
      const lines = final.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let text = final.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') {
        let out = '';
        for (;;) {
          const eol = text.indexOf('\r\n');
          const size = parseInt(text.slice(0, eol), 16);
          if (!(size > 0)) break;
          out += text.slice(eol + 2, eol + 2 + size);
          text = text.slice(eol + 4 + size);
        }
        text = out;
      }
      const bodyText = Buffer.from(text, 'latin1').toString('utf8');
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: bodyText, wire });
    });
    socket.write(head.join('\r\n') + '\r\n\r\n');
    if (bodySent) socket.write(body);
  });
}

/** Answers a small completion, as a prefill engine (or a non-streaming decode engine) does. */
export function completion(_rec: RawRecord, res: ServerResponse): void {
  const body = JSON.stringify({ id: 'c', object: 'text_completion', choices: [{ index: 0, text: 'ok' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export const MiB = 1 << 20;

/** The router's resident set size in bytes (VmRSS of /proc/PID/status). */
export function rssOf(router: Spawned): number {
  const status = readFileSync(`/proc/${router.proc.pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${router.proc.pid}/status`);
  return Number(kb[1]) * 1024;
}

/** Samples the router's RSS every 20 ms while `work` runs; resolves with its result and the highest RSS seen. */
export async function peakRss<T>(router: Spawned, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = rssOf(router);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(router));
  }, 20);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssOf(router)) };
  } finally {
    clearInterval(timer);
  }
}
