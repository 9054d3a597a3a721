/**
 * The repository's engine simulator (`test/sim/engine-sim.ts`, built) as real processes at a FIXED port on distinct
 * loopback addresses: in pod-ip mode every pod is reached at `http://<podIP>:<--k8s-port>`, so all simulated
 * engines must share one port number (`spawnEngineSim` of `test/sim/processes.ts` always asks for port 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SIM_MAIN } from '../sim/processes.js';

export interface FixedPortSim {
  readonly url: string;
  config(c: { extraWaiting?: number; modelsStatus?: number; metricsStatus?: number; failStatus?: number | null }): Promise<void>;
  /** Paths and bodies of the inference requests the engine received. */
  requests(): Promise<{ path: string; body: Record<string, unknown> | null }[]>;
  clearRequests(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export async function spawnSimAt(host: string, port: number, models: readonly string[]): Promise<FixedPortSim> {
  const args = [SIM_MAIN, '--host', host, '--port', String(port)];
  for (const m of models) args.push('--model', m);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  proc.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`engine-sim on ${host}:${port} not ready after 15 s: ${out}`));
    }, 15_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /engine-sim listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine-sim on ${host}:${port} exited with ${code}: ${out}`));
    });
  });
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(url + path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${url}${path}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    url,
    config: async (c) => void (await call('POST', '/sim/config', c)),
    requests: async () =>
      ((await call('GET', '/sim/requests')) as { path: string; body: Record<string, unknown> | null }[]).filter((r) =>
        r.path.startsWith('/v1/') && r.path !== '/v1/models',
      ),
    clearRequests: async () => void (await call('DELETE', '/sim/requests')),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
