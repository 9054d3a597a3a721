/**
 * `npm run bench:router`: the router's P/D path against the same load sent straight to the decode simulator.
 *
 * Two engine simulators with zero delay (16 tokens) and the router with the tutorial's arguments, all real processes
 * on 127.0.0.1. At concurrency 1, 16 and 64 (each bounded by a request count and a time limit) it prints req/s,
 * p50/p99 time to first token and end-to-end latency, router CPU time per request (from /proc/<pid>/stat) and RSS;
 * then RSS while 100,000 requests (also bounded by time) go through, to show it does not grow.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type LoadResult, load } from './load.js';
import { type EngineSim, type Spawned, spawnEngineSim, spawnRouter, stopAll, tutorialArgs } from '../sim/processes.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const BODY = JSON.stringify({ model: MODEL, prompt: 'The capital of France is', max_tokens: 16, stream: true });
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
}

/** Machine-wide idle and total CPU ticks (all cores) from /proc/stat. */
function machineTicks(): { idle: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: cpu[3]! + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function run(url: string, concurrency: number, maxRequests: number, maxSeconds: number): Promise<LoadResult> {
  return load(url, { concurrency, maxRequests, maxSeconds, path: '/v1/completions', body: BODY });
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function main(): Promise<void> {
  let prefill: EngineSim | undefined;
  let decode: EngineSim | undefined;
  let router: Spawned | undefined;
  try {
    [prefill, decode] = await Promise.all([
      spawnEngineSim({ models: [MODEL], tokens: 16 }),
      spawnEngineSim({ models: [MODEL], tokens: 16 }),
    ]);
    router = await spawnRouter(tutorialArgs(prefill.url, decode.url));
    const routerPid = router.proc.pid!;
    console.log(`router ${router.url} (pid ${routerPid}), prefill ${prefill.url}, decode ${decode.url}; ${CLK_TCK} ticks/s`);
    await run(router.url, 16, 2000, 10); // warm-up (JIT, connections)
    await run(decode.url, 16, 2000, 10);

    const plan: [number, number, number][] = [
      [1, 2000, 15],
      [16, 10_000, 20],
      [64, 20_000, 25],
    ];
    const header = ['target', 'conc', 'requests', 'errors', 'req/s', 'ttft p50 ms', 'ttft p99 ms', 'e2e p50 ms', 'e2e p99 ms', 'router CPU ms/req', 'router RSS MB', 'client CPU %', 'sims CPU %', 'router CPU %', 'machine idle %'];
    const rows: string[][] = [];
    const summary: Record<string, { direct: LoadResult; pd: LoadResult; cpuMsPerReq: number }> = {};
    // share of one core used by the load generator (this process), both simulators and the router during an arm, and
    // the machine's idle share (all cores): shows whether one process or the whole machine limits each arm
    const simPids = [prefill.proc.pid!, decode.proc.pid!];
    const measured = async (url: string, c: number, n: number, secs: number) => {
      const client0 = process.cpuUsage();
      const sims0 = simPids.reduce((a, p) => a + cpuSeconds(p), 0);
      const router0 = cpuSeconds(routerPid);
      const m0 = machineTicks();
      const r = await run(url, c, n, secs);
      const m1 = machineTicks();
      const used = process.cpuUsage(client0);
      const pctOf = (cpu: number) => f((cpu / r.seconds) * 100, 0);
      const usage = {
        client: pctOf((used.user + used.system) / 1e6),
        sims: pctOf(simPids.reduce((a, p) => a + cpuSeconds(p), 0) - sims0),
        router: pctOf(cpuSeconds(routerPid) - router0),
        idle: f(((m1.idle - m0.idle) / Math.max(1, m1.total - m0.total)) * 100, 0),
      };
      return { r, usage, routerCpu: cpuSeconds(routerPid) - router0 };
    };
    for (const [c, n, secs] of plan) {
      const d = await measured(decode.url, c, n, secs);
      const p = await measured(router.url, c, n, secs);
      const direct = d.r;
      const pd = p.r;
      const cpuMsPerReq = (p.routerCpu * 1000) / Math.max(1, pd.requests + pd.errors);
      summary[c] = { direct, pd, cpuMsPerReq };
      for (const [name, r, u] of [['direct decode', direct, d.usage], ['router P/D', pd, p.usage]] as const) {
        rows.push([
          name, String(c), String(r.requests), String(r.errors), f(r.requests / r.seconds, 0),
          f(pct(r.ttft, 50)), f(pct(r.ttft, 99)), f(pct(r.e2e, 50)), f(pct(r.e2e, 99)),
          name === 'router P/D' ? f(cpuMsPerReq, 3) : '-', name === 'router P/D' ? f(rssMb(routerPid), 1) : '-',
          u.client, u.sims, u.router, u.idle,
        ]);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    console.log('\n' + line(header));
    for (const r of rows) console.log(line(r));

    const c64 = summary[64]!;
    const c1 = summary[1]!;
    const ratio = c64.pd.requests / c64.pd.seconds / (c64.direct.requests / c64.direct.seconds);
    const addedTtft = pct(c1.pd.ttft, 50) - pct(c1.direct.ttft, 50);
    const maxCpu = Math.max(...Object.values(summary).map((s) => s.cpuMsPerReq));
    console.log('\ntargets:');
    console.log(`  c=64 P/D req/s / direct req/s = ${f(ratio)} (target >= 0.5) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`);
    console.log(`  c=1 added p50 TTFT = ${f(addedTtft)} ms (target < 1.5) ${addedTtft < 1.5 ? 'OK' : 'MISSED'}`);
    console.log(`  router CPU per request (worst) = ${f(maxCpu, 3)} ms (target < 0.5) ${maxCpu < 0.5 ? 'OK' : 'MISSED'}`);

    console.log('\nRSS over 100,000 requests (c=64, at most 300 s):');
    const samples: number[] = [rssMb(routerPid)];
    console.log(`  after 0: ${f(samples[0]!, 1)} MB`);
    const t0 = performance.now();
    let done = 0;
    while (done < 100_000 && performance.now() - t0 < 300_000) {
      const r = await run(router.url, 64, 10_000, Math.max(1, 300 - (performance.now() - t0) / 1000));
      done += r.requests + r.errors;
      samples.push(rssMb(routerPid));
      console.log(`  after ${done}: ${f(samples.at(-1)!, 1)} MB (errors ${r.errors})`);
    }
    const peak = Math.max(...samples);
    const growth = samples.at(-1)! - samples[Math.min(2, samples.length - 1)]!;
    console.log(`  peak ${f(peak, 1)} MB (target < 150) ${peak < 150 ? 'OK' : 'MISSED'}; change after the first 20k: ${f(growth, 1)} MB`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(`router bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
