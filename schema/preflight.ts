/**
 * P/D preflight: settings that deploy and start without complaint but make disaggregated prefill fail or silently
 * recompute every prompt. Each rule reports at the key to change, naming the other key it disagrees with.
 *
 * - A prefill engine split over more GPUs (tensorParallelSize) than its decode peer: the KV transfer does not
 *   support a prefill tensor-parallel size above decode's.
 * - Prefill and decode of one pair hashing or chunking differently: vLLM's prefix-block hashes depend on
 *   PYTHONHASHSEED and the block size (`--block-size`), LMCache's chunk keys on `LMCACHE_CHUNK_SIZE`; when the two
 *   sides differ, decode finds none of the blocks prefill sent and computes the prompt again.
 * - An engine the router sends a P/D leg to with no KV connector (neither LMCache's P/D settings nor
 *   `--kv-transfer-config`): prefill's KV cache goes nowhere and decode recomputes every prompt.
 * - Engines that may share a node (GPUs chosen by `cudaVisibleDevices`, none requested from the scheduler) naming
 *   the same GPU. Their ports cannot collide: each pod has its own network namespace (pdstack renders no
 *   hostNetwork), so the NIXL and LMCache ports are per pod.
 */
import type { Severity } from './diagnostics.js';
import { commaList } from './facts/comma-list.js';
import { DEFAULT_LMCACHE_CHUNK_SIZE } from './facts/lmcache.js';
import { DEFAULT_VLLM_BLOCK_SIZE, ENGINE_PYTHONHASHSEED } from './facts/vllm.js';
import { isPdEngine } from './facts/pd-engine.js';
import type { Path } from './source.js';
import type { ModelSpec, ServingEngineSpec } from './values.generated.js';

export interface PreflightEngine {
  readonly spec: ModelSpec;
  readonly path: Path;
}

export type Report = (severity: Severity, path: Path, message: string) => void;
/** ` (line N)` of a key. */
export type LineOf = (path: Path) => string;

/** A setting as the engine's process sees it, and the key that sets it (undefined: pdstack's or the program's default). */
interface Setting {
  readonly value: string;
  readonly path?: Path;
}

/** The last `name` of the env lists in the order the container gets them (Kubernetes keeps the last of a name). */
function envSetting(shared: ServingEngineSpec['env'], e: PreflightEngine, name: string, fallback: string): Setting {
  let found: Setting = { value: fallback };
  const scan = (list: ServingEngineSpec['env'], at: Path) =>
    (list ?? []).forEach((item, i) => {
      const entry = item as { name?: unknown; value?: unknown };
      if (entry.name === name && entry.value !== undefined)
        found = { value: String(entry.value), path: [...at, i, 'value'] };
    });
  scan(shared, ['servingEngineSpec', 'env']);
  scan(e.spec.env, [...e.path, 'env']);
  return found;
}

/** The value of a vLLM flag in `vllmConfig.extraArgs` (`--flag V` or `--flag=V`; the last one counts). */
function vllmFlag(e: PreflightEngine, flag: string): Setting | undefined {
  const args = e.spec.vllmConfig?.extraArgs ?? [];
  let found: Setting | undefined;
  args.forEach((arg, i) => {
    const at: Path = [...e.path, 'vllmConfig', 'extraArgs', i];
    if (arg === flag && i + 1 < args.length)
      found = { value: String(args[i + 1]), path: [...e.path, 'vllmConfig', 'extraArgs', i + 1] };
    else if (String(arg).startsWith(`${flag}=`)) found = { value: String(arg).slice(flag.length + 1), path: at };
  });
  return found;
}

/** Whether an engine has a KV connector: LMCache's P/D settings, or a `--kv-transfer-config` of the user's. */
export const hasKvConnector = (spec: ModelSpec): boolean =>
  isPdEngine(spec.lmcacheConfig) ||
  (spec.vllmConfig?.extraArgs ?? []).some(
    (a) => a === '--kv-transfer-config' || String(a).startsWith('--kv-transfer-config='),
  );

/** The rules between a prefill (sender) engine and the decode (receiver) engine its NIXL peer host names. */
export function preflightPair(
  report: Report,
  lineOf: LineOf,
  shared: ServingEngineSpec['env'],
  sender: PreflightEngine,
  receiver: PreflightEngine,
): void {
  const name = receiver.spec.name ?? '';
  const tp = (e: PreflightEngine) => e.spec.vllmConfig?.tensorParallelSize ?? 1;
  if (tp(sender) > tp(receiver)) {
    const where =
      receiver.spec.vllmConfig?.tensorParallelSize !== undefined
        ? lineOf([...receiver.path, 'vllmConfig', 'tensorParallelSize'])
        : ' (not set: 1)';
    report(
      'error',
      [...sender.path, 'vllmConfig', 'tensorParallelSize'],
      `prefill tensorParallelSize ${tp(sender)} is above decode \`${name}\`'s ${tp(receiver)}${where}: the KV transfer does not support a prefill split over more GPUs than decode; give decode at least ${tp(sender)} or prefill at most ${tp(receiver)}`,
    );
  }
  /** Reported at the key that sets it: decode's when given there, else prefill's. */
  const differ = (what: string, p: Setting, d: Setting, why: string) => {
    if (p.value === d.value) return;
    const [here, there, side] = d.path ? [d, p, 'prefill'] : [p, d, `decode \`${name}\``];
    if (!here.path) return;
    const source = there.path ? lineOf(there.path) : ' (not set: the default)';
    report(
      'error',
      here.path,
      `${what} ${here.value} differs from ${side}'s ${there.value}${source}: ${why}; set the same on both`,
    );
  };
  const recompute = 'decode would find none of the blocks prefill sends and compute the prompt again';
  differ(
    'PYTHONHASHSEED',
    envSetting(shared, sender, 'PYTHONHASHSEED', ENGINE_PYTHONHASHSEED),
    envSetting(shared, receiver, 'PYTHONHASHSEED', ENGINE_PYTHONHASHSEED),
    `vLLM's prefix-block hashes depend on it, so ${recompute}`,
  );
  differ(
    '--block-size',
    vllmFlag(sender, '--block-size') ?? { value: DEFAULT_VLLM_BLOCK_SIZE },
    vllmFlag(receiver, '--block-size') ?? { value: DEFAULT_VLLM_BLOCK_SIZE },
    `the KV blocks are laid out by it, so ${recompute}`,
  );
  differ(
    'LMCACHE_CHUNK_SIZE',
    envSetting(shared, sender, 'LMCACHE_CHUNK_SIZE', DEFAULT_LMCACHE_CHUNK_SIZE),
    envSetting(shared, receiver, 'LMCACHE_CHUNK_SIZE', DEFAULT_LMCACHE_CHUNK_SIZE),
    `LMCache keys the KV chunks by it, so ${recompute}`,
  );
}

/** An engine named by a P/D label flag must have a KV connector. */
export function preflightConnector(report: Report, at: Path, flag: string, e: PreflightEngine): void {
  if (hasKvConnector(e.spec)) return;
  report(
    'error',
    at,
    `--${flag} names \`${e.spec.name ?? ''}\`, which has no KV connector (lmcacheConfig enabled and enablePD, or --kv-transfer-config in vllmConfig.extraArgs): prefill's KV cache would reach no one and decode would compute every prompt again`,
  );
}

/** Engines that may share a node (GPUs by `cudaVisibleDevices`, none requested) must not name the same GPU. */
export function preflightSharedGpus(
  report: Report,
  lineOf: LineOf,
  engines: readonly PreflightEngine[],
  gpusOf: (e: PreflightEngine) => number,
): void {
  const taken = new Map<number, PreflightEngine>();
  for (const e of engines) {
    const devices = e.spec.lmcacheConfig?.cudaVisibleDevices;
    if (devices === undefined || gpusOf(e) > 0) continue;
    const path = [...e.path, 'lmcacheConfig', 'cudaVisibleDevices'];
    for (const gpu of commaList(String(devices), { skipEmpty: true }).map(Number)) {
      const other = taken.get(gpu);
      if (other && other !== e) {
        report(
          'error',
          path,
          `GPU ${gpu} is also in \`${other.spec.name ?? ''}\`'s cudaVisibleDevices${lineOf([...other.path, 'lmcacheConfig', 'cudaVisibleDevices'])}: without requestGPU both engines run on one node, where two vLLM processes on one GPU run out of its memory; give each engine its own GPUs`,
        );
        break;
      }
      taken.set(gpu, e);
    }
  }
}
