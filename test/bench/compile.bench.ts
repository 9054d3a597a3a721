/**
 * `npm run bench`: compile values files of 1, 10, 100 and 1,000 models (parse, schema validation, checks of
 * meaning, constructs, YAML) and print the time and peak memory of each size. Each size runs in its own
 * child process so its peak RSS is its own. Target: linear growth, 1,000 models in under 2 s.
 * `--print-spec N` prints the spec of N models it compiles, to reproduce a figure with `pdstack synth`.
 */
import { execFileSync } from 'node:child_process';
import { dump } from 'js-yaml';
import { hasErrors, loadValuesText } from '../../schema/index.js';
import { synthYaml } from '../../charts/synth.js';

const SIZES = [1, 10, 100, 1000];
const RUNS = 5;

/** A spec with `models` engines: prefill/decode pairs (P/D over NIXL); a single engine serves alone. */
function pdSpec(models: number): string {
  const modelSpec: unknown[] = [];
  const prefill: string[] = [];
  const decode: string[] = [];
  for (let i = 0; i < models; i++) {
    const pair = Math.floor(i / 2);
    const alone = models % 2 === 1 && i === models - 1;
    const isDecode = i % 2 === 1;
    const name = isDecode ? `m${pair}-decode` : `m${pair}-prefill`;
    if (alone) {
      modelSpec.push({
        name: `m${pair}`,
        repository: 'vllm/vllm-openai',
        tag: 'v0.10.0',
        modelURL: `org/model-${pair}`,
        requestCPU: 8,
        requestMemory: '30Gi',
        requestGPU: 1,
      });
      continue;
    }
    (isDecode ? decode : prefill).push(name);
    modelSpec.push({
      name,
      repository: 'lmcache/vllm-openai',
      tag: '2025-05-27-v1',
      modelURL: `org/model-${pair}`,
      replicaCount: 1,
      requestCPU: 8,
      requestMemory: '30Gi',
      requestGPU: 1,
      pvcStorage: '50Gi',
      vllmConfig: { enablePrefixCaching: true, maxModelLen: 32000 },
      lmcacheConfig: {
        enabled: true,
        kvRole: isDecode ? 'kv_consumer' : 'kv_producer',
        enableNixl: true,
        enablePD: true,
        nixlRole: isDecode ? 'receiver' : 'sender',
        nixlPeerHost: isDecode ? '0.0.0.0' : `pd-m${pair}-decode-engine-service`,
        nixlPeerPort: '55555',
        nixlBufferSize: '1073741824',
        nixlBufferDevice: 'cuda',
        nixlEnableGc: true,
      },
      hf_token: { secretName: 'hf', secretKey: 'token' },
    });
  }
  const extraArgs =
    prefill.length > 0 ? ['--prefill-model-labels', prefill.join(','), '--decode-model-labels', decode.join(',')] : [];
  return dump({
    servingEngineSpec: { runtimeClassName: '', modelSpec },
    routerSpec: { routingLogic: prefill.length > 0 ? 'disaggregated_prefill' : 'roundrobin', extraArgs },
  });
}

interface Measured {
  /** Whole compile per run. */
  readonly ms: number[];
  /** Of which: parse + validation + checks of meaning. */
  readonly loadMs: number[];
  readonly bytes: number;
  readonly maxRssKiB: number;
}

/** Child: compile a spec of `models` models RUNS times; print the Measured JSON. */
function measure(models: number): void {
  const text = pdSpec(models);
  const ms: number[] = [];
  const loadMs: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    const { values, diagnostics } = loadValuesText(text, `bench-${models}.yaml`, { release: 'pd' });
    loadMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (hasErrors(diagnostics))
      throw new Error(`bench spec has errors: ${diagnostics.find((d) => d.severity === 'error')?.message}`);
    bytes = synthYaml(values, { release: 'pd', namespace: 'default' }).length;
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const measured: Measured = { ms, loadMs, bytes, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(JSON.stringify(measured));
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function main(): void {
  if (process.argv[2] === '--size') return measure(Number(process.argv[3]));
  if (process.argv[2] === '--print-spec') return void process.stdout.write(pdSpec(Number(process.argv[3])));
  console.log(`pdstack compile benchmark (${RUNS} runs per size; each size in a fresh process)`);
  console.log('models   first run ms   median ms   (load ms)   median ms/model   manifest KiB   peak RSS MiB');
  const medians: number[] = [];
  for (const size of SIZES) {
    const out = JSON.parse(
      execFileSync(process.execPath, [__filename, '--size', String(size)], { encoding: 'utf8' }),
    ) as Measured;
    const m = median(out.ms);
    medians.push(m);
    console.log(
      `${String(size).padStart(6)}   ${(out.ms[0] ?? NaN).toFixed(1).padStart(12)}   ${m.toFixed(1).padStart(9)}   ${median(out.loadMs).toFixed(1).padStart(9)}   ${(m / size).toFixed(3).padStart(15)}   ${(out.bytes / 1024).toFixed(0).padStart(12)}   ${(out.maxRssKiB / 1024).toFixed(0).padStart(12)}`,
    );
  }
  const [, , m100 = NaN, m1000 = NaN] = medians;
  const perModel100 = m100 / 100;
  const perModel1000 = m1000 / 1000;
  console.log(
    `growth 100 → 1000 models: ${(m1000 / m100).toFixed(1)}× time for 10× models (per model ${perModel100.toFixed(3)} → ${perModel1000.toFixed(3)} ms)`,
  );
  console.log(`1000 models: ${m1000.toFixed(0)} ms median (target < 2000 ms): ${m1000 < 2000 ? 'met' : 'MISSED'}`);
}

main();
