/**
 * `npm run bench:router`: the router's P/D path against the same load sent straight to the decode simulator.
 *
 * Two engine simulators with zero delay (16 tokens) and the router with the tutorial's arguments, all real processes
 * on 127.0.0.1, driven by the lean load generator of `load.ts`. At concurrency 1, 16 and 64 the direct and the P/D
 * arm alternate three times (each arm bounded by a request count and a time limit); it prints the median req/s of the
 * rounds (and each round's), p50/p99 time to first token and end-to-end latency over all rounds, router CPU time per
 * request (all its threads: {@link cpuSeconds}; median of the rounds) and RSS. Then the same c=64 rounds through
 * `floor-proxy.ts` (about the least a Node.js P/D proxy can do) show what this machine allows any such proxy. Last, RSS
 * while 100,000 requests (also bounded by time) go through, to show it does not grow. Last, the before/after line of
 * issue 10's hardening: fresh routers of this tree and ones built from the commit before it (`--baseline REF`, default
 * {@link BEFORE_HARDENING}; `--baseline none` skips it), two processes of each, alternate at c=1, 16 and 64 on the same
 * simulators, and their router CPU per request is compared in many short pairs of rounds ({@link compareCpu}).
 *
 * `--otel on` runs all of it with OpenTelemetry tracing on: the router exports every request's spans over OTLP/gRPC
 * to a receiver in this process that counts the exports without decoding them (its gRPC reading still costs the load
 * generator some CPU); then a router without and one with tracing alternate the same way, and their router CPU per
 * request is compared. `--otel off` (the default) is the router as deployed without an endpoint.
 *
 * Then the P/D decisions (pd-decide.ts) the same way: the tutorial router against one that evaluates
 * `--pd-min-prompt-tokens` and `--pd-max-prefill-queue` on every request, set so that every request is still
 * disaggregated (both legs run), so the difference is the decisions' CPU per request.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BEFORE_HARDENING, buildBaseline } from './baseline.js';
import { type LoadResult, load } from './load.js';
import {
  type EngineSim,
  type Spawned,
  spawnEngineSim,
  spawnFloorProxy,
  spawnRouter,
  stopAll,
  tutorialArgs,
} from '../sim/processes.js';
import { type OtlpReceiver, startOtlpGrpcReceiver } from '../support/otlp-receiver.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const BODY = JSON.stringify({ model: MODEL, prompt: 'The capital of France is', max_tokens: 16, stream: true });
const ROUNDS = 3;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Whether the kernel gives each thread's run time in nanoseconds (`/proc/<pid>/task/<tid>/schedstat`). */
const SCHEDSTAT = existsSync('/proc/self/schedstat');

/**
 * CPU seconds a process used so far, all its threads: the nanoseconds each ran (schedstat), or, on a kernel without
 * it, utime + stime in clock ticks (`/proc/<pid>/stat`: 10 ms steps, too coarse for {@link compareCpu}'s rounds). A
 * thread that ends takes its time with it (a round it ends in reads low); the router's threads (V8's, libuv's) last
 * as long as the router.
 */
function cpuSeconds(pid: number): number {
  if (SCHEDSTAT) {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
      } catch {
        // the thread ended since the listing
      }
    }
    return ns / 1e9;
  }
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

interface Arm {
  readonly r: LoadResult;
  /** Share of one core (%) used by the load generator, both simulators and the router; the machine's idle share. */
  readonly usage: { readonly client: number; readonly sims: number; readonly router: number; readonly idle: number };
  readonly routerCpu: number;
}

/** The rounds of one arm together: counts summed, latencies pooled, the rate the median of the rounds' rates. */
function pooled(arms: readonly Arm[]): LoadResult & { rate: number } {
  return {
    requests: arms.reduce((a, x) => a + x.r.requests, 0),
    errors: arms.reduce((a, x) => a + x.r.errors, 0),
    seconds: arms.reduce((a, x) => a + x.r.seconds, 0),
    ttft: arms.flatMap((x) => x.r.ttft),
    e2e: arms.flatMap((x) => x.r.e2e),
    rate: median(arms.map((x) => x.r.requests / x.r.seconds)),
  };
}

/** The middle value, or the mean of the two middle ones. */
function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function main(): Promise<void> {
  let prefill: EngineSim | undefined;
  let decode: EngineSim | undefined;
  let router: Spawned | undefined;
  let collector: OtlpReceiver | undefined;
  try {
    [prefill, decode] = await Promise.all([
      spawnEngineSim({ models: [MODEL], tokens: 16 }),
      spawnEngineSim({ models: [MODEL], tokens: 16 }),
    ]);
    collector = otel ? await startOtlpGrpcReceiver({ decode: false }) : undefined;
    router = await spawnRouter([
      ...tutorialArgs(prefill.url, decode.url),
      ...(collector ? ['--otel-endpoint', collector.endpoint] : []),
    ]);
    const routerPid = router.proc.pid!;
    console.log(
      `router ${router.url} (pid ${routerPid}), prefill ${prefill.url}, decode ${decode.url}; router CPU from ${SCHEDSTAT ? 'schedstat (ns)' : `ticks (${CLK_TCK}/s)`}; ` +
        `OpenTelemetry ${collector ? `on, exporting to ${collector.endpoint}` : 'off'}`,
    );
    await run(router.url, 16, 2000, 10); // warm-up (JIT, connections)
    await run(decode.url, 16, 2000, 10);

    const plan: [number, number, number][] = [
      [1, 2000, 15],
      [16, 10_000, 20],
      [64, 20_000, 25],
    ];
    const header = [
      'target',
      'conc',
      'requests',
      'errors',
      `req/s median (${ROUNDS} rounds)`,
      'ttft p50 ms',
      'ttft p99 ms',
      'e2e p50 ms',
      'e2e p99 ms',
      'router CPU ms/req median (rounds)',
      'router RSS MB',
      'client CPU %',
      'sims CPU %',
      'router CPU %',
      'machine idle %',
    ];
    const rows: string[][] = [];
    const summary: Record<
      string,
      { direct: ReturnType<typeof pooled>; pd: ReturnType<typeof pooled>; cpuMsPerReq: number }
    > = {};
    // share of one core used by the load generator (this process), both simulators and the router during an arm, and
    // the machine's idle share (all cores): shows whether one process or the whole machine limits each arm
    const simPids = [prefill.proc.pid!, decode.proc.pid!];
    const measured = async (url: string, c: number, n: number, secs: number, proxyPid = routerPid): Promise<Arm> => {
      const client0 = process.cpuUsage();
      const sims0 = simPids.reduce((a, p) => a + cpuSeconds(p), 0);
      const router0 = cpuSeconds(proxyPid);
      const m0 = machineTicks();
      const r = await run(url, c, n, secs);
      const m1 = machineTicks();
      const used = process.cpuUsage(client0);
      const pctOf = (cpu: number) => (cpu / r.seconds) * 100;
      const usage = {
        client: pctOf((used.user + used.system) / 1e6),
        sims: pctOf(simPids.reduce((a, p) => a + cpuSeconds(p), 0) - sims0),
        router: pctOf(cpuSeconds(proxyPid) - router0),
        idle: ((m1.idle - m0.idle) / Math.max(1, m1.total - m0.total)) * 100,
      };
      return { r, usage, routerCpu: cpuSeconds(proxyPid) - router0 };
    };
    // direct and P/D alternate, ROUNDS times each: on 2 shared cores one arm can be slowed by where the scheduler
    // happens to put four busy processes, so each figure is the median of the rounds (all rounds are printed)
    const rounds = async (proxy: Spawned, c: number, n: number, secs: number) => {
      const directs: Arm[] = [];
      const pds: Arm[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        directs.push(await measured(decode!.url, c, n, secs));
        pds.push(await measured(proxy.url, c, n, secs, proxy.proc.pid!));
      }
      const cpuPerReq = pds.map((p) => (p.routerCpu * 1000) / Math.max(1, p.r.requests + p.r.errors));
      return { directs, pds, cpuPerReq };
    };
    const col = (values: number[], d: number) => `${f(median(values), d)} (${values.map((v) => f(v, d)).join(' ')})`;
    for (const [c, n, secs] of plan) {
      const { directs, pds, cpuPerReq } = await rounds(router, c, n, secs);
      const direct = pooled(directs);
      const pd = pooled(pds);
      summary[c] = { direct, pd, cpuMsPerReq: median(cpuPerReq) };
      for (const [name, arms, r] of [
        ['direct decode', directs, direct],
        ['router P/D', pds, pd],
      ] as const) {
        const isPd = name === 'router P/D';
        rows.push([
          name,
          String(c),
          String(r.requests),
          String(r.errors),
          col(
            arms.map((a) => a.r.requests / a.r.seconds),
            0,
          ),
          f(pct(r.ttft, 50)),
          f(pct(r.ttft, 99)),
          f(pct(r.e2e, 50)),
          f(pct(r.e2e, 99)),
          isPd ? col(cpuPerReq, 3) : '-',
          isPd ? f(rssMb(routerPid), 1) : '-',
          ...(['client', 'sims', 'router', 'idle'] as const).map((k) => f(median(arms.map((a) => a.usage[k])), 0)),
        ]);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    console.log('\n' + line(header));
    for (const r of rows) console.log(line(r));

    const c64 = summary[64]!;
    const c1 = summary[1]!;
    const ratio = c64.pd.rate / c64.direct.rate;
    const addedTtft = pct(c1.pd.ttft, 50) - pct(c1.direct.ttft, 50);
    const maxCpu = Math.max(...Object.values(summary).map((s) => s.cpuMsPerReq));
    console.log('\ntargets:');
    console.log(`  c=64 P/D req/s / direct req/s = ${f(ratio)} (target >= 0.5) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`);
    console.log(`  c=1 added p50 TTFT = ${f(addedTtft)} ms (target < 1.5) ${addedTtft < 1.5 ? 'OK' : 'MISSED'}`);
    console.log(
      `  router CPU per request (worst) = ${f(maxCpu, 3)} ms (target < 0.5) ${maxCpu < 0.5 ? 'OK' : 'MISSED'}`,
    );

    // what this machine allows any Node.js P/D proxy: the same c=64 rounds through the bare floor-proxy.ts
    const floor = await spawnFloorProxy(prefill.url, decode.url);
    await run(floor.url, 16, 2000, 10);
    const fl = await rounds(floor, 64, 20_000, 25);
    await floor.stop();
    const floorRatio = pooled(fl.pds).rate / pooled(fl.directs).rate;
    console.log(
      '\nfloor: bare node:http + undici P/D proxy (test/bench/floor-proxy.ts; no fastify, checks, stats), c=64:',
    );
    console.log(
      `  direct req/s ${col(
        fl.directs.map((a) => a.r.requests / a.r.seconds),
        0,
      )}; floor P/D req/s ${col(
        fl.pds.map((a) => a.r.requests / a.r.seconds),
        0,
      )}`,
    );
    console.log(
      `  floor CPU ms/req ${col(fl.cpuPerReq, 3)}; floor P/D / direct = ${f(floorRatio)} (pdstack-router: ${f(ratio)})`,
    );

    // RSS, and the V8 heap in use from the router's own /metrics: RSS settles as V8 sizes its heap, the heap in use
    // shows whether anything is retained per request
    const heapUsedMb = async () => {
      const text = await (await fetch(`${router!.url}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]) / 1048576;
    };
    console.log('\nRSS over 100,000 requests (c=64, at most 300 s):');
    const samples: number[] = [rssMb(routerPid)];
    const heap: number[] = [await heapUsedMb()];
    console.log(`  after 0: RSS ${f(samples[0]!, 1)} MB, heap used ${f(heap[0]!, 1)} MB`);
    const t0 = performance.now();
    let done = 0;
    while (done < 100_000 && performance.now() - t0 < 300_000) {
      const r = await run(router.url, 64, 10_000, Math.max(1, 300 - (performance.now() - t0) / 1000));
      done += r.requests + r.errors;
      samples.push(rssMb(routerPid));
      heap.push(await heapUsedMb());
      console.log(
        `  after ${done}: RSS ${f(samples.at(-1)!, 1)} MB, heap used ${f(heap.at(-1)!, 1)} MB (errors ${r.errors})`,
      );
    }
    const peak = Math.max(...samples);
    const after20k = Math.min(2, samples.length - 1);
    console.log(
      `  peak RSS ${f(peak, 1)} MB (target < 150) ${peak < 150 ? 'OK' : 'MISSED'}; change after the first 20k: RSS ${f(samples.at(-1)! - samples[after20k]!, 1)} MB, heap used ${f(heap.at(-1)! - heap[after20k]!, 1)} MB`,
    );

    const [prefillUrl, decodeUrl] = [prefill.url, decode.url];
    if (baselineRef !== 'none') await beforeAfter(baselineRef, prefillUrl, decodeUrl);
    // conditional disaggregation evaluated on every request, set so that both legs still run: the prompt reaches 4
    // tokens and no engine reports a million waiting requests
    await compareCpu(
      'P/D decisions: the tutorial router (before) against one with --pd-min-prompt-tokens 4 --pd-max-prefill-queue 1000000 (after)',
      () => spawnRouter(tutorialArgs(prefillUrl, decodeUrl)),
      () =>
        spawnRouter([
          ...tutorialArgs(prefillUrl, decodeUrl),
          '--pd-min-prompt-tokens',
          '4',
          '--pd-max-prefill-queue',
          '1000000',
        ]),
    );
    if (collector) {
      console.log(`\nOpenTelemetry: ${collector.exports()} OTLP exports received`);
      const endpoint = collector.endpoint;
      await compareCpu(
        'OpenTelemetry: a router without tracing (before) against one exporting to the receiver (after)',
        () => spawnRouter(tutorialArgs(prefillUrl, decodeUrl)),
        () => spawnRouter([...tutorialArgs(prefillUrl, decodeUrl), '--otel-endpoint', endpoint]),
      );
    }
  } finally {
    await stopAll();
    await collector?.close();
  }
}

/**
 * Router CPU per request of the router built from `ref` against a fresh router of this tree: same simulators, same
 * load, in BASELINE_ROUNDS alternating pairs of rounds ({@link compareCpu}).
 */
async function beforeAfter(ref: string, prefillUrl: string, decodeUrl: string): Promise<void> {
  let baseline;
  try {
    baseline = buildBaseline(ref);
  } catch (err) {
    console.log(`\nbefore/after: the router of ${ref} against this tree's: skipped: ${(err as Error).message}`);
    return;
  }
  try {
    await compareCpu(
      `before/after: the router of ${ref} against this tree's`,
      () => spawnRouter(tutorialArgs(prefillUrl, decodeUrl), undefined, baseline.main),
      () => spawnRouter(tutorialArgs(prefillUrl, decodeUrl)),
    );
  } finally {
    baseline.remove();
  }
}

/**
 * Router CPU per request of two routers on the same simulators, each run as {@link PROCESSES_PER_ARM} processes:
 * BASELINE_ROUNDS short rounds each, in pairs run one right after the other (which goes first alternating), and the
 * median of the pairs' ratios. This VM's speed drifts within a minute, and a pair's two rounds, about a second apart,
 * see the same speed. The pairs go round the processes (every before process with every after process, alike often):
 * two processes of one build differ by themselves, by up to 6 points at c=16, and a comparison of one process each would
 * take that for the builds' difference. The method's calibration (a router made to spin a fixed time per request):
 * README, "Benchmarks".
 */
async function compareCpu(title: string, before: () => Promise<Spawned>, after: () => Promise<Spawned>): Promise<void> {
  console.log(
    `\n${title}, ${BASELINE_ROUNDS} alternating pairs of rounds over ${PROCESSES_PER_ARM} processes of each:`,
  );
  const spawned = await Promise.allSettled(Array.from({ length: PROCESSES_PER_ARM }, () => [before(), after()]).flat());
  const routers = spawned.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = spawned.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const befores = routers.filter((_, i) => i % 2 === 0);
    const afters = routers.filter((_, i) => i % 2 === 1);
    for (const r of routers) await run(r.url, 16, 2000, 10); // warm-up (JIT, connections)
    const cpuPerReq = async (r: Spawned, c: number, n: number, secs: number) => {
      const cpu0 = cpuSeconds(r.proc.pid!);
      const res = await run(r.url, c, n, secs);
      return ((cpuSeconds(r.proc.pid!) - cpu0) * 1000) / Math.max(1, res.requests + res.errors);
    };
    for (const [c, n, secs] of [
      [1, 400, 5],
      [16, 3000, 5],
      [64, 3000, 5],
    ] as const) {
      const b: number[] = [];
      const a: number[] = [];
      for (let i = 0; i < BASELINE_ROUNDS; i++) {
        // two pairs in a row (one of each order) of one before process and one after process, then the next two
        const meeting = Math.floor(i / 2);
        const bi = befores[meeting % PROCESSES_PER_ARM]!;
        const ai = afters[Math.floor(meeting / PROCESSES_PER_ARM) % PROCESSES_PER_ARM]!;
        if (i % 2 === 0) b.push(await cpuPerReq(bi, c, n, secs));
        a.push(await cpuPerReq(ai, c, n, secs));
        if (i % 2 === 1) b.push(await cpuPerReq(bi, c, n, secs));
      }
      const ratio = median(a.map((x, i) => x / b[i]!)) - 1;
      const above = a.filter((x, i) => x > b[i]!).length;
      console.log(
        `  c=${c}: router CPU ms/req, median (range) of the rounds: before ${f(median(b), 3)} ` +
          `(${f(Math.min(...b), 3)}-${f(Math.max(...b), 3)}), after ${f(median(a), 3)} ` +
          `(${f(Math.min(...a), 3)}-${f(Math.max(...a), 3)}); median of the pairs' after/before: ` +
          `${ratio >= 0 ? '+' : ''}${f(ratio * 100, 1)}%; after above before in ${above} of ${BASELINE_ROUNDS} pairs`,
      );
    }
  } finally {
    await Promise.all(routers.map((r) => r.stop()));
  }
}

/**
 * Processes of each router in {@link compareCpu}: each before process meets each after one in BASELINE_ROUNDS / k²
 * pairs, half of them in each order (BASELINE_ROUNDS a multiple of 2k²).
 */
const PROCESSES_PER_ARM = 2;
const BASELINE_ROUNDS = 40;
let baselineRef = BEFORE_HARDENING;
let otel = false;
try {
  const { values } = parseArgs({
    options: { baseline: { type: 'string', default: BEFORE_HARDENING }, otel: { type: 'string', default: 'off' } },
  });
  baselineRef = values.baseline;
  if (values.otel !== 'on' && values.otel !== 'off') throw new Error(`--otel takes on or off (got ${values.otel})`);
  otel = values.otel === 'on';
} catch (err) {
  console.error(
    `bench:router: ${(err as Error).message} (usage: npm run bench:router -- [--baseline REF|none] [--otel on|off])`,
  );
  process.exit(2);
}

main().catch((err: unknown) => {
  console.error(`router bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
