/**
 * Spawns the compiled engine simulator and router (`build/test/sim/engine-sim.js`, `build/router/main.js`) as real
 * processes on loopback addresses, for tests and the benchmark. The tests' global set-up (test/setup/build.ts)
 * compiles the tree first, so these files are never older than the sources.
 *
 * Readiness: both print one `... listening on http://HOST:PORT` line on stdout once they accept connections; the
 * helpers wait for that line (15 s at most) and read the actual port from it, so `--port 0` works.
 * Every process spawned here is remembered; call `stopAll()` in `afterAll` (it also runs when the test process
 * exits) so nothing is left behind even when a test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../schema/paths.js';

export const ROOT = PACKAGE_ROOT;
export const ROUTER_MAIN = join(ROOT, 'build', 'router', 'main.js');
export const SIM_MAIN = join(ROOT, 'build', 'test', 'sim', 'engine-sim.js');
export const FLOOR_PROXY_MAIN = join(ROOT, 'build', 'test', 'bench', 'floor-proxy.js');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface Spawned {
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM (then SIGKILL after 10 s) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

function start(
  main: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
  ready: RegExp,
): Promise<Spawned> {
  const proc = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    const code = await exited(proc);
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${main} not ready after 15 s\nstdout: ${out}\nstderr: ${err}`));
    }, 15_000);
    const onData = () => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      const url = m[1]!;
      resolve({ url, port: Number(new URL(url).port), proc, stdout: () => out, stderr: () => err, stop });
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${main} exited with ${code} before it was ready\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

export interface SimOptions {
  readonly models: readonly string[];
  readonly host?: string;
  /** Default 0 (any free port); Kubernetes pod-ip tests need one port shared by engines on distinct addresses. */
  readonly port?: number;
  readonly ttftMs?: number;
  readonly itlMs?: number;
  readonly tokens?: number;
  readonly apiKey?: string;
}

export interface SimRecord {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  readonly body: Record<string, unknown> | null;
  readonly receivedAt: number;
  readonly aborted: boolean;
  readonly completed: boolean;
}

export interface EngineSim extends Spawned {
  /** Recorded inference (and other non-control) requests, oldest first. */
  requests(): Promise<SimRecord[]>;
  clearRequests(): Promise<void>;
  config(c: {
    ttftMs?: number;
    itlMs?: number;
    failStatus?: number | null;
    failOnceStatus?: number | null;
    failDelayMs?: number;
    cachedTokens?: number | null;
    extraWaiting?: number;
    modelsStatus?: number;
    metricsStatus?: number;
    sleepStatus?: number;
  }): Promise<void>;
}

export async function spawnEngineSim(opts: SimOptions): Promise<EngineSim> {
  const args = ['--host', opts.host ?? '127.0.0.1', '--port', String(opts.port ?? 0)];
  for (const m of opts.models) args.push('--model', m);
  if (opts.ttftMs !== undefined) args.push('--ttft-ms', String(opts.ttftMs));
  if (opts.itlMs !== undefined) args.push('--itl-ms', String(opts.itlMs));
  if (opts.tokens !== undefined) args.push('--tokens', String(opts.tokens));
  if (opts.apiKey !== undefined) args.push('--api-key', opts.apiKey);
  const s = await start(SIM_MAIN, args, undefined, /engine-sim listening on (http:\/\/\S+)/);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  return {
    ...s,
    requests: () => call('GET', '/sim/requests') as Promise<SimRecord[]>,
    clearRequests: async () => void (await call('DELETE', '/sim/requests')),
    config: async (c) => void (await call('POST', '/sim/config', c)),
  };
}

/** The router built from this tree, or the compiled `main` of another build of it (the benchmark's baseline). */
export function spawnRouter(args: readonly string[], env?: NodeJS.ProcessEnv, main = ROUTER_MAIN): Promise<Spawned> {
  return start(main, args, env, /pdstack-router listening on (http:\/\/\S+)/);
}

/** The benchmark's bare P/D proxy (`test/bench/floor-proxy.ts`) in front of one prefill and one decode engine. */
export function spawnFloorProxy(prefill: string, decode: string): Promise<Spawned> {
  return start(FLOOR_PROXY_MAIN, [prefill, decode], undefined, /floor-proxy listening on (http:\/\/\S+)/);
}

/** Runs the router to completion (CLI checks): exit code and output; killed after `timeoutMs`. */
export function runRouter(
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [ROUTER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      live.delete(proc);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * The tutorial's router arguments (production-stack tutorial 16) for the given prefill and decode URLs; only the
 * listen address differs (`--host 127.0.0.1 --port 0` instead of `--port 8005`).
 */
export function tutorialArgs(prefill: string, decode: string, model = 'meta-llama/Llama-3.1-8B-Instruct'): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    `${prefill},${decode}`,
    '--static-models',
    `${model},${model}`,
    '--static-model-labels',
    'llama-prefill,llama-decode',
    '--log-stats',
    '--log-stats-interval',
    '10',
    '--engine-stats-interval',
    '10',
    '--request-stats-window',
    '10',
    '--routing-logic',
    'disaggregated_prefill',
    '--prefill-model-labels',
    'llama-prefill',
    '--decode-model-labels',
    'llama-decode',
  ];
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(async (p) => {
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited(p);
      clearTimeout(timer);
    }),
  );
}
