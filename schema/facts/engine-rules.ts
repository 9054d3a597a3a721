/**
 * The rules one engine's settings must follow on their own (no other engine, release or router needed): GPU and
 * memory settings, LMCache and its P/D (NIXL) role. Written once, applied twice: the checks of meaning report each
 * problem at its key of the values file (`schema/semantics.ts`), and `VllmEngine`'s constructor refuses the first
 * error (`constructs/invariants.ts`), so a library user and a values file get one verdict in one wording.
 * Inputs are structural (this layer needs no generated types).
 */
import { commaList } from './comma-list.js';
import { DEFAULT_KV_ROLE } from './lmcache.js';
import { isPdEngine, KV_ROLE_OF_NIXL_ROLE, type NixlRole, sharesHostIpcPid } from './pd-engine.js';
import { quantityValue } from './quantity.js';
import { isRayModel } from './ray.js';
import { usesV0 } from './vllm.js';

/** What is wrong, at `key` (a path relative to the engine's settings, e.g. `['lmcacheConfig', 'nixlRole']`). */
export interface RuleProblem {
  readonly key: readonly string[];
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

type QuantityText = string | number;

/** The `vllmConfig` keys the rules read. */
export interface VllmConfigRulesInput {
  readonly gpuMemoryUtilization?: QuantityText;
  readonly tensorParallelSize?: number;
  readonly pipelineParallelSize?: number;
  readonly v0?: QuantityText;
  readonly v1?: QuantityText;
}

/** The `lmcacheConfig` keys the rules read. */
export interface LmcacheRulesInput {
  readonly enabled?: boolean;
  readonly enablePD?: boolean;
  readonly enableNixl?: boolean;
  readonly nixlRole?: NixlRole;
  readonly kvRole?: string;
  readonly nixlPeerHost?: string;
  readonly nixlPeerPort?: QuantityText;
  readonly nixlBufferSize?: QuantityText;
  readonly nixlBufferDevice?: string;
  readonly nixlEnableGc?: boolean;
  readonly pdstackHostIpcPid?: boolean;
  readonly cpuOffloadingBufferSize?: QuantityText;
  readonly diskOffloadingBufferSize?: QuantityText;
  readonly cudaVisibleDevices?: QuantityText;
}

/** The keys that size one container (a model's, or a KubeRay head's `raySpec.headNode`). */
export interface ContainerResourcesRulesInput {
  readonly requestCPU?: QuantityText;
  readonly requestMemory?: QuantityText;
  readonly requestGPU?: QuantityText;
  readonly limitCPU?: QuantityText;
  readonly limitMemory?: QuantityText;
  readonly resources?: Readonly<Record<string, unknown>>;
}

/** The engine settings (`modelSpec[]` keys) the rules read. */
export interface EngineRulesInput extends ContainerResourcesRulesInput {
  readonly replicaCount?: number;
  readonly vllmConfig?: Readonly<VllmConfigRulesInput>;
  readonly lmcacheConfig?: Readonly<LmcacheRulesInput>;
  readonly keda?: Readonly<{ enabled?: boolean }>;
  readonly raySpec?: Readonly<{ enabled?: boolean; headNode?: Readonly<ContainerResourcesRulesInput> }>;
}

/** Every problem of one engine's settings, in the order the checks of meaning report them. */
export function engineProblems(spec: Readonly<EngineRulesInput>): RuleProblem[] {
  return [
    ...vllmConfigProblems(spec),
    ...resourceProblems(spec),
    ...rayProblems(spec),
    ...lmcacheProblems(spec.lmcacheConfig),
  ];
}

const error = (key: readonly string[], message: string): RuleProblem => ({ key, severity: 'error', message });

/** `vllmConfig`: the GPU memory fraction, and V1 asked for while V0 is selected. */
export function vllmConfigProblems(spec: Readonly<EngineRulesInput>): RuleProblem[] {
  const vllm = spec.vllmConfig;
  const problems: RuleProblem[] = [];
  if (vllm?.gpuMemoryUtilization !== undefined) {
    const u = Number(vllm.gpuMemoryUtilization);
    if (!(u > 0 && u <= 1)) {
      problems.push(
        error(
          ['vllmConfig', 'gpuMemoryUtilization'],
          `must be in (0, 1], the fraction of GPU memory vLLM may use (e.g. 0.9), given ${String(vllm.gpuMemoryUtilization)}`,
        ),
      );
    }
  }
  if (vllm?.v1 !== undefined && String(vllm.v1) === '1' && usesV0(spec)) {
    problems.push(
      error(['vllmConfig', 'v1'], 'v1: 1 asks for the V1 engine but v0: "1" selects V0; remove one of them'),
    );
  }
  return problems;
}

/** Why `gpus` cannot be a GPU count (GPUs are whole devices), or null. */
export function gpuCountProblem(gpus: QuantityText): string | null {
  return Number.isInteger(quantityValue(gpus) ?? 0)
    ? null
    : `GPUs are whole devices: requestGPU must be a whole number, given ${String(gpus)}`;
}

/** GPUs a non-empty `resources` requests (it replaces the request* keys): its first `*gpu` request or limit. */
function resourcesGpus(resources: Readonly<Record<string, unknown>>): number {
  const fromResources = ['requests', 'limits'].flatMap((k) =>
    Object.entries((resources[k] ?? {}) as Record<string, unknown>),
  );
  const gpu = fromResources.find(([name]) => /gpu$/.test(name))?.[1];
  return typeof gpu === 'number' || typeof gpu === 'string' ? (quantityValue(gpu) ?? 0) : 0;
}

/** The `resources` override when it gives anything (`{}` overrides nothing), else undefined. */
function givenResources(spec: Readonly<ContainerResourcesRulesInput>): ContainerResourcesRulesInput['resources'] {
  return spec.resources && Object.keys(spec.resources).length > 0 ? spec.resources : undefined;
}

/** GPUs the engine's container gets: from a non-empty `resources` when given, else `requestGPU`. */
export function containerGpus(spec: Readonly<ContainerResourcesRulesInput>): number {
  const resources = givenResources(spec);
  if (resources) return resourcesGpus(resources);
  return spec.requestGPU === undefined ? 0 : (quantityValue(spec.requestGPU) ?? 0);
}

/**
 * Requests and limits: whole GPUs, no limit below its request, enough GPUs for tensor parallelism, and
 * `cudaVisibleDevices` within the GPUs the container gets.
 */
export function resourceProblems(spec: Readonly<EngineRulesInput>): RuleProblem[] {
  // a KubeRay model's parallelism spans the Ray cluster: rayProblems checks it
  const tp = isRayModel(spec) ? undefined : spec.vllmConfig?.tensorParallelSize;
  const problems: RuleProblem[] = [];
  const resources = givenResources(spec);
  const gpus = containerGpus(spec);
  if (!resources) {
    const gpuProblem = spec.requestGPU === undefined ? null : gpuCountProblem(spec.requestGPU);
    if (gpuProblem) problems.push(error(['requestGPU'], gpuProblem));
    for (const [limit, request] of [
      ['limitCPU', 'requestCPU'],
      ['limitMemory', 'requestMemory'],
    ] as const) {
      const l = spec[limit] === undefined ? undefined : quantityValue(spec[limit]);
      const r = spec[request] === undefined ? undefined : quantityValue(spec[request]);
      if (l !== undefined && r !== undefined && l < r) {
        problems.push(
          error(
            [limit],
            `${limit} ${String(spec[limit])} is below ${request} ${String(spec[request])}; Kubernetes rejects a limit below its request: raise ${limit} or lower ${request}`,
          ),
        );
      }
    }
  }
  if (tp !== undefined && gpus > 0 && tp > gpus) {
    problems.push(
      error(
        ['vllmConfig', 'tensorParallelSize'],
        `tensorParallelSize ${tp} needs ${tp} GPUs but the engine requests ${gpus}; raise requestGPU to ${tp} or lower tensorParallelSize`,
      ),
    );
  }
  const devices = spec.lmcacheConfig?.cudaVisibleDevices;
  if (devices === undefined) return problems;
  const key = ['lmcacheConfig', 'cudaVisibleDevices'];
  if (gpus === 0) {
    problems.push({
      key,
      severity: 'warning',
      message:
        `CUDA_VISIBLE_DEVICES=${devices} without requestGPU: no GPU is requested, so the scheduler does not place this engine by GPU; ` +
        'every such engine must land on one node that exposes all its GPUs to the container (e.g. runtimeClassName nvidia with NVIDIA_VISIBLE_DEVICES=all), ' +
        (sharesHostIpcPid(spec.lmcacheConfig)
          ? 'where CUDA IPC over hostIPC/hostPID moves the KV between prefill and decode; '
          : '') +
        'pin them to that node (nodeName or nodeSelectorTerms), ' +
        'or set requestGPU and remove cudaVisibleDevices to let Kubernetes allocate GPUs',
    });
    return problems;
  }
  const beyond = commaList(String(devices), { skipEmpty: true })
    .map(Number)
    .filter((d) => d >= gpus);
  if (beyond.length > 0) {
    problems.push(
      error(
        key,
        `the engine requests ${gpus} GPU(s), which the container sees as index 0 to ${gpus - 1}; CUDA_VISIBLE_DEVICES=${devices} names GPU ${beyond.join(', ')} that it does not have: remove cudaVisibleDevices or use indexes below ${gpus}`,
      ),
    );
  }
  return problems;
}

/**
 * KubeRay models (`raySpec.enabled`): pipeline parallelism only there; a head node; no KEDA (it scales
 * Deployments) and no P/D role (a NIXL engine is one pod); and the GPU arithmetic vLLM's Ray executor relies on:
 * its tensorParallelSize × pipelineParallelSize workers each take one GPU of the cluster, which has the head's GPUs
 * plus replicaCount × each worker's (KubeRay passes a container's GPU limit to `ray start --num-gpus`).
 */
export function rayProblems(spec: Readonly<EngineRulesInput>): RuleProblem[] {
  const pp = spec.vllmConfig?.pipelineParallelSize;
  if (!isRayModel(spec)) {
    return pp === undefined
      ? []
      : [
          error(
            ['vllmConfig', 'pipelineParallelSize'],
            "pipeline parallelism is rendered for KubeRay models only (production-stack's Deployment passes no --pipeline-parallel-size): set raySpec.enabled: true with raySpec.headNode, or remove pipelineParallelSize",
          ),
        ];
  }
  const problems: RuleProblem[] = [];
  const head = spec.raySpec?.headNode;
  if (head === undefined) {
    problems.push(
      error(
        ['raySpec', 'enabled'],
        "a KubeRay model needs raySpec.headNode with requestCPU and requestMemory (the head pod, where vLLM's API server runs); production-stack's chart fails to render without it",
      ),
    );
  } else {
    for (const p of resourceProblems(head)) problems.push({ ...p, key: ['raySpec', 'headNode', ...p.key] });
  }
  const headGpus = head === undefined ? undefined : containerGpus(head);
  if (spec.keda?.enabled) {
    problems.push(
      error(
        ['keda', 'enabled'],
        'KEDA scales a Deployment and a KubeRay model has none (production-stack renders no ScaledObject for it): set keda.enabled: false, or raySpec.enabled: false',
      ),
    );
  }
  if (isPdEngine(spec.lmcacheConfig)) {
    problems.push(
      error(
        ['raySpec', 'enabled'],
        'a P/D engine (lmcacheConfig.enablePD) is one pod that NIXL reaches by its Service; pdstack renders KubeRay models without a P/D role: set raySpec.enabled: false, or enablePD: false',
      ),
    );
  }
  const workerGpus = containerGpus(spec);
  // the arithmetic needs whole GPUs (fractions are errors above)
  if (headGpus === undefined || !Number.isInteger(headGpus) || !Number.isInteger(workerGpus)) return problems;
  const tp = spec.vllmConfig?.tensorParallelSize ?? 1;
  const needed = tp * (pp ?? 1);
  const workers = spec.replicaCount ?? 1;
  const total = headGpus + workers * workerGpus;
  const cluster = `the Ray cluster has ${total} GPU(s): the head's ${headGpus} plus ${workers} worker(s) × ${workerGpus}`;
  const key =
    pp !== undefined
      ? ['vllmConfig', 'pipelineParallelSize']
      : spec.vllmConfig?.tensorParallelSize !== undefined
        ? ['vllmConfig', 'tensorParallelSize']
        : ['raySpec', 'enabled'];
  const parallelism = `tensorParallelSize ${tp} × pipelineParallelSize ${pp ?? 1}`;
  if (needed > total) {
    problems.push(
      error(
        key,
        `${parallelism} needs ${needed} GPU(s), one per vLLM worker, but ${cluster}; vLLM cannot place its workers and the head never serves: add workers (replicaCount) or GPUs (requestGPU, raySpec.headNode.requestGPU), or lower the parallelism`,
      ),
    );
  } else if (needed < total) {
    problems.push({
      key,
      severity: 'warning',
      message: `${parallelism} uses ${needed} GPU(s) but ${cluster}: ${total - needed} stay idle; match replicaCount and the GPU requests to the parallelism`,
    });
  }
  return problems;
}

/** The LMCache NIXL keys, and pdstack's hostIPC/hostPID opt-out: rendered only on a P/D engine (`enabled` and `enablePD`). */
export const NIXL_KEYS = [
  'enableNixl',
  'nixlRole',
  'nixlPeerHost',
  'nixlPeerPort',
  'nixlBufferSize',
  'nixlBufferDevice',
  'nixlEnableGc',
  'pdstackHostIpcPid',
] as const;

const usesNixl = (l: Readonly<LmcacheRulesInput>): boolean => l.enablePD === true || l.enableNixl === true;

const isIpAddress = (host: string): boolean =>
  /^(\d{1,3})(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));

/**
 * `lmcacheConfig` on its own: P/D needs LMCache on; NIXL keys only on a P/D engine; no local offloading with NIXL;
 * `kvRole` agrees with `nixlRole` (a sender produces the KV, a receiver consumes it); a P/D engine has NIXL on, a
 * role, a peer port and a peer host (a receiver binds an address of its pod).
 */
export function lmcacheProblems(l: Readonly<LmcacheRulesInput> | undefined): RuleProblem[] {
  if (!l) return [];
  const problems: RuleProblem[] = [];
  const at = (key?: string): string[] => (key === undefined ? ['lmcacheConfig'] : ['lmcacheConfig', key]);
  if (l.enablePD === true && l.enabled !== true) {
    problems.push(
      error(
        at('enablePD'),
        'enablePD needs enabled: true: without the LMCache connector vLLM transfers no KV; set enabled: true',
      ),
    );
  }
  const nixlKey = NIXL_KEYS.find((k) => l[k] !== undefined);
  if (nixlKey && !isPdEngine(l) && !(l.enablePD === true && l.enabled !== true)) {
    problems.push(
      error(
        at(nixlKey),
        `${nixlKey} takes effect only on a P/D engine; set enabled: true and enablePD: true, or remove the NIXL keys`,
      ),
    );
  }
  if (usesNixl(l)) {
    for (const key of ['cpuOffloadingBufferSize', 'diskOffloadingBufferSize'] as const) {
      if (l[key] !== undefined && Number(l[key]) > 0) {
        problems.push(
          error(
            at(key),
            `LMCache requires local ${key === 'cpuOffloadingBufferSize' ? 'CPU' : 'disk'} offloading off with NIXL (P/D); set ${key}: 0 or remove it`,
          ),
        );
      }
    }
  }
  if (l.nixlRole !== undefined) {
    const want = KV_ROLE_OF_NIXL_ROLE[l.nixlRole];
    const kvRole = l.kvRole ?? DEFAULT_KV_ROLE;
    if (kvRole !== want) {
      const side = l.nixlRole === 'sender' ? 'prefill' : 'decode';
      problems.push(
        error(
          at(l.kvRole === undefined ? 'nixlRole' : 'kvRole'),
          `kvRole ${kvRole}${l.kvRole === undefined ? ' (the default)' : ''} disagrees with nixlRole ${l.nixlRole}: a NIXL ${l.nixlRole} (the ${side} engine) is ${want}; set kvRole: ${want}`,
        ),
      );
    }
  }
  if (!isPdEngine(l)) return problems;
  if (l.enableNixl !== true)
    problems.push(
      error(
        at(l.enableNixl === undefined ? 'enablePD' : 'enableNixl'),
        'a P/D engine moves the KV over NIXL; set enableNixl: true',
      ),
    );
  if (l.nixlRole === undefined)
    problems.push(error(at('enablePD'), 'a P/D engine needs nixlRole: sender (prefill) or receiver (decode)'));
  if (l.nixlPeerPort === undefined)
    problems.push(
      error(
        at(),
        'a P/D engine needs nixlPeerPort: the port the receiver listens on (e.g. "55555"), the same on sender and receiver',
      ),
    );
  if (l.nixlPeerHost === undefined) {
    problems.push(
      error(
        at(),
        l.nixlRole === 'sender'
          ? "a sender needs nixlPeerHost: the receiver engine's Service"
          : 'a P/D engine needs nixlPeerHost: on a receiver the address it binds, usually "0.0.0.0"',
      ),
    );
  } else if (l.nixlRole === 'receiver' && !isIpAddress(l.nixlPeerHost)) {
    problems.push({
      key: at('nixlPeerHost'),
      severity: 'warning',
      message: `a receiver binds nixlPeerHost, and \`${l.nixlPeerHost}\` is not an IP address of its pod; use "0.0.0.0" to listen on all interfaces`,
    });
  }
  return problems;
}
