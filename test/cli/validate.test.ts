/** `pdstack validate` as a real process (build/charts/cli.js, compiled by the tests' global set-up). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdstack } from '../support/cli.js';
import { TUTORIAL_ROUTER_ERROR } from '../schema/helpers.js';
import { REFERENCE_TUTORIAL_FILE, REPO } from '../support/values.js';

const FIXTURES = 'test/fixtures/values';
const TUTORIAL = `${FIXTURES}/tutorial-16.yaml`;
const PEER_HOST = 'servingEngineSpec.modelSpec[0].lmcacheConfig.nixlPeerHost';
const P = 'servingEngineSpec.modelSpec[0]';

const lines = (stderr: string): string[] => stderr.trimEnd().split('\n');
/** `FILE:LINE:COL: severity: PATH` of each diagnostic line (the summary line left out). */
const positions = (stderr: string): string[] =>
  lines(stderr)
    .slice(0, -1)
    .map((l) => /^(.*?:\d+:\d+: \w+: \S+):/.exec(l)?.[1] ?? l);

/** The tutorial's expected warnings: GPUs picked by CUDA_VISIBLE_DEVICES without a GPU request, and placeholder tokens. */
const tutorialWarnings = (file: string, shift: number): string[] => [
  `${file}:${24 + shift}:9: warning: ${P}.lmcacheConfig.cudaVisibleDevices`,
  `${file}:${36 + shift}:7: warning: ${P}.hf_token`,
  `${file}:${54 + shift}:9: warning: servingEngineSpec.modelSpec[1].lmcacheConfig.cudaVisibleDevices`,
  `${file}:${65 + shift}:7: warning: servingEngineSpec.modelSpec[1].hf_token`,
];

describe('pdstack validate: the P/D tutorial', () => {
  it('fixture is the tutorial values file, unchanged', () => {
    if (existsSync(REFERENCE_TUTORIAL_FILE))
      expect(readFileSync(join(REPO, TUTORIAL), 'utf8')).toBe(readFileSync(REFERENCE_TUTORIAL_FILE, 'utf8'));
  });

  it('fails for release pd with the peer-host error at line 29, suggesting pd-llama-decode-engine-service, and the router-image error at line 71', () => {
    const r = pdstack(['validate', '-f', TUTORIAL, '--release', 'pd']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const errors = lines(r.stderr).filter((l) => l.includes(': error: '));
    expect(errors).toEqual([
      `${TUTORIAL}:29:9: error: ${PEER_HOST}: \`vllm-llama-decode-engine-service\` is not the Service of an engine of release \`pd\`: installed as release \`pd\`, receiver \`llama-decode\` is reached at \`pd-llama-decode-engine-service\`; set nixlPeerHost to it`,
      `${TUTORIAL}:71:3: error: routerSpec.tag: ${TUTORIAL_ROUTER_ERROR}`,
    ]);
    expect(positions(r.stderr).filter((p) => p.includes('warning'))).toEqual(tutorialWarnings(TUTORIAL, 0));
    expect(lines(r.stderr).at(-1)).toBe(`${TUTORIAL}: 2 error(s), 4 warning(s)`);
  });

  it('fails for the default release (pd) too, and names the release given', () => {
    expect(pdstack(['validate', '-f', TUTORIAL]).status).toBe(1);
    const r = pdstack(['validate', '-f', TUTORIAL, '--release', 'prod']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${TUTORIAL}:29:9: error: ${PEER_HOST}: \`vllm-llama-decode-engine-service\` is not the Service of an engine of release \`prod\`: installed as release \`prod\`, receiver \`llama-decode\` is reached at \`prod-llama-decode-engine-service\``,
    );
  });

  it('the tutorial with the peer host fixed still fails on its router image; the bundled example passes with only the expected warnings', () => {
    const fixed = `${FIXTURES}/tutorial-16-fixed.yaml`;
    const r = pdstack(['validate', '-f', fixed, '--release', 'pd']);
    expect(r.status).toBe(1);
    expect(positions(r.stderr)).toEqual([...tutorialWarnings(fixed, 0), `${fixed}:71:3: error: routerSpec.tag`]);
    const example = 'charts/example/values.yaml';
    const ok = pdstack(['validate', '-f', example, '--release', 'pd']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(positions(ok.stderr)).toEqual(tutorialWarnings(example, 4));
    expect(lines(ok.stderr).at(-1)).toBe(`${example}: ok (4 warning(s))`);
  });

  it('passes a clean file without warnings', () => {
    const r = pdstack(['validate', '-f', `${FIXTURES}/pd-ok.yaml`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`${FIXTURES}/pd-ok.yaml: ok (0 warning(s))\n`);
  });
});

/** Each bad input: its one diagnostic line, exactly. */
const BAD: ReadonlyArray<readonly [string, string]> = [
  [
    'typo-gpu-memory-utilisation',
    `12:9: error: ${P}.vllmConfig.gpuMemoryUtilisation: unknown key \`gpuMemoryUtilisation\`; did you mean \`gpuMemoryUtilization\`?`,
  ],
  ['wrong-type-replica-count', `11:7: error: ${P}.replicaCount: expected integer, given "two"`],
  ['wrong-type-enable-engine', '3:3: error: servingEngineSpec.enableEngine: expected boolean, given "true"'],
  ['bad-yaml-indentation', '5:18: error: (root): invalid YAML: bad indentation of a mapping entry'],
  [
    'bad-yaml-duplicate-key',
    '10:7: error: (root): duplicate key `requestCPU`: a key may appear only once in a mapping (the chart would silently keep one); merge the two entries',
  ],
  ['bad-quantity-memory', `9:7: error: ${P}.requestMemory: "16GB" is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)`],
  ['bad-quantity-cpu', `8:7: error: ${P}.requestCPU: "4 cores" is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)`],
  [
    'bad-enum-routing-logic',
    '14:3: error: routerSpec.routingLogic: routing logic kvaware is not supported by pdstack-router yet (kvaware routing needs the LMCache controller); choose one of: roundrobin, session, prefixaware, disaggregated_prefill, disaggregated_prefill_orchestrated',
  ],
  ['missing-model-url', `4:7: error: ${P}.modelURL: missing required key \`modelURL\`: add it`],
  [
    'invalid-model-name',
    `4:7: error: ${P}.name: "Llama_3" is not a valid DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. llama-prefill)`,
  ],
  [
    'cache-server-not-rendered',
    `18:13: error: ${P}.initContainer.args[0]: this init container waits for the LMCache cache server (\`pd-cache-server-service\`, port $(LMCACHE_SERVER_SERVICE_PORT)), which is rendered only with cacheserverSpec.enabled: true, so the pod would never start; enable cacheserverSpec or remove the init container`,
  ],
  [
    'gpu-memory-utilization-range',
    `12:9: error: ${P}.vllmConfig.gpuMemoryUtilization: must be in (0, 1], the fraction of GPU memory vLLM may use (e.g. 0.9), given 90`,
  ],
  [
    'duplicate-model-names',
    '13:7: error: servingEngineSpec.modelSpec[1].name: model name `llama` is already used by modelSpec[0] (line 4); names must be unique: they name the objects and the pod label `model`',
  ],
  [
    'keda-idle-replicas',
    `16:9: error: ${P}.keda.idleReplicaCount: idleReplicaCount 1 must be below minReplicaCount 1, or KEDA rejects the ScaledObject; raise minReplicaCount or remove idleReplicaCount`,
  ],
  [
    'v1-with-v0',
    `13:9: error: ${P}.vllmConfig.v1: v1: 1 asks for the V1 engine but v0: "1" selects V0; remove one of them`,
  ],
  [
    'session-without-key',
    '14:3: error: routerSpec.routingLogic: routingLogic: session needs sessionKey: the request header that identifies a session (e.g. x-user-id)',
  ],
  [
    'pd-kvrole-nixlrole-mismatch',
    '30:9: error: servingEngineSpec.modelSpec[1].lmcacheConfig.kvRole: kvRole kv_producer disagrees with nixlRole receiver: a NIXL receiver (the decode engine) is kv_consumer; set kvRole: kv_consumer',
  ],
  [
    'pd-peer-host-other-release',
    `17:9: error: ${PEER_HOST}: \`vllm-decode-engine-service\` is not the Service of an engine of release \`pd\`: installed as release \`pd\`, receiver \`decode\` is reached at \`pd-decode-engine-service\`; set nixlPeerHost to it`,
  ],
  [
    'pd-peer-host-non-receiver',
    `17:9: error: ${PEER_HOST}: \`pd-prefill-engine-service\` is the Service of \`prefill\`, which is not a receiver engine (nixlRole: receiver); set nixlPeerHost to the receiver's Service \`pd-decode-engine-service\``,
  ],
  [
    'pd-peer-port-mismatch',
    `18:9: error: ${P}.lmcacheConfig.nixlPeerPort: nixlPeerPort 55556 differs from receiver \`decode\`'s 55555 (line 34): the sender connects to the port the receiver listens on; make them equal`,
  ],
  [
    'pd-buffer-size-mismatch',
    `19:9: error: ${P}.lmcacheConfig.nixlBufferSize: nixlBufferSize 2147483648 differs from receiver \`decode\`'s 1073741824 (line 35): NIXL needs the same buffer size on both sides; make them equal`,
  ],
  [
    'pd-model-url-mismatch',
    `8:7: error: ${P}.modelURL: modelURL \`meta-llama/Llama-3.1-70B-Instruct\` differs from receiver \`decode\`'s \`meta-llama/Llama-3.1-8B-Instruct\` (line 24): prefill and decode must serve the same model to share its KV cache; make them equal`,
  ],
  [
    'pd-missing-decode-labels',
    '38:3: error: routerSpec.routingLogic: routingLogic disaggregated_prefill needs --decode-model-labels in routerSpec.extraArgs, naming the decode engines by their model name (e.g. extraArgs: ["--decode-model-labels", "decode"])',
  ],
  [
    'pd-label-matches-no-engine',
    '39:15: error: routerSpec.extraArgs[0]: --prefill-model-labels `llama-prefill` matches no enabled engine (the router selects pods by the label model=<modelSpec name>); did you mean `prefill`?',
  ],
  [
    'empty',
    '1:1: error: (root): the values file is empty: nothing to render; give the values of at least one model (servingEngineSpec.modelSpec)',
  ],
  [
    'alias-bomb',
    '22:37: error: global.l6[5]: with `*l5` the YAML aliases expand the values by more than 4 MiB (each use of an alias copies its anchor); use fewer or smaller aliases',
  ],
  [
    'pd-cpu-offloading-with-nixl',
    `21:9: error: ${P}.lmcacheConfig.cpuOffloadingBufferSize: LMCache requires local CPU offloading off with NIXL (P/D); set cpuOffloadingBufferSize: 0 or remove it`,
  ],
];

describe('pdstack validate: bad inputs', () => {
  it('covers at least fifteen kinds of bad input', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(15);
  });

  it.each(BAD)('%s: one diagnostic line, exit 1', (name, diagnostic) => {
    const file = `${FIXTURES}/bad/${name}.yaml`;
    const r = pdstack(['validate', '-f', file, '--release', 'pd']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([`${file}:${diagnostic}`, `${file}: 1 error(s), 0 warning(s)`]);
  });

  it('reports an unreadable file at 1:1 without a stack trace', () => {
    const r = pdstack(['validate', '-f', `${FIXTURES}/no-such-file.yaml`]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `${FIXTURES}/no-such-file.yaml:1:1: error: (root): cannot read the values file: no such file`,
      `${FIXTURES}/no-such-file.yaml: 1 error(s), 0 warning(s)`,
    ]);
  });
});
