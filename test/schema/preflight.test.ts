/** P/D preflight (`schema/preflight.ts`): settings that deploy cleanly but break or silently undo disaggregation. */
import { describe, expect, it } from 'vitest';
import { diagnose, fixture, only, variant, where } from './helpers.js';

const PD = fixture('pd-ok.yaml');
const P = 'servingEngineSpec.modelSpec[0]';
const D = 'servingEngineSpec.modelSpec[1]';
const PREFILL = '      requestGPU: 1\n      lmcacheConfig:\n        enabled: true\n        kvRole: kv_producer';
const DECODE = '      requestGPU: 1\n      lmcacheConfig:\n        enabled: true\n        kvRole: kv_consumer';
/** `insert` (indented as a modelSpec key) before the prefill's or decode's lmcacheConfig. */
const at = (side: string, insert: string): readonly [string, string] => [
  side,
  side.replace('      lmcacheConfig:', `${insert}\n      lmcacheConfig:`),
];
const recompute =
  'decode would find none of the blocks prefill sends and compute the prompt again; set the same on both';

describe('P/D preflight: one diagnostic at the key to change', () => {
  it.each([
    [
      'prefill tensorParallelSize above decode',
      variant(
        PD,
        [PREFILL, PREFILL.replace('requestGPU: 1', 'requestGPU: 2')],
        at(PREFILL.replace('requestGPU: 1', 'requestGPU: 2'), '      vllmConfig:\n        tensorParallelSize: 2'),
      ),
      `13:9 error ${P}.vllmConfig.tensorParallelSize`,
      "prefill tensorParallelSize 2 is above decode `decode`'s 1 (not set: 1): the KV transfer does not support a prefill split over more GPUs than decode; give decode at least 2 or prefill at most 1",
    ],
    [
      'decode with another PYTHONHASHSEED',
      variant(PD, at(DECODE, '      env:\n        - name: PYTHONHASHSEED\n          value: "0"')),
      `30:11 error ${D}.env[0].value`,
      `PYTHONHASHSEED 0 differs from prefill's 123 (not set: the default): vLLM's prefix-block hashes depend on it, so ${recompute}`,
    ],
    [
      'prefill with another --block-size',
      variant(PD, at(PREFILL, '      vllmConfig:\n        extraArgs: ["--block-size", "32"]')),
      `13:37 error ${P}.vllmConfig.extraArgs[1]`,
      `--block-size 32 differs from decode \`decode\`'s 16 (not set: the default): the KV blocks are laid out by it, so ${recompute}`,
    ],
    [
      'LMCACHE_CHUNK_SIZE set differently on both sides',
      variant(
        PD,
        at(PREFILL, '      env: [{name: LMCACHE_CHUNK_SIZE, value: "512"}]'),
        at(DECODE, '      env: [{name: LMCACHE_CHUNK_SIZE, value: "256"}]'),
      ),
      `29:40 error ${D}.env[0].value`,
      `LMCACHE_CHUNK_SIZE 256 differs from prefill's 512 (line 12): LMCache keys the KV chunks by it, so ${recompute}`,
    ],
  ])('%s', (_what, text, position, message) => {
    const d = only(text);
    expect(where(d)).toBe(position);
    expect(d.message).toBe(message);
  });

  it('takes the shared servingEngineSpec.env and the model env in the order the container gets them', () => {
    const shared = variant(PD, [
      '  runtimeClassName: ""',
      '  runtimeClassName: ""\n  env: [{name: PYTHONHASHSEED, value: "7"}]',
    ]);
    expect(diagnose(shared)).toEqual([]);
    const overridden = variant(shared, at(PREFILL, '      env: [{name: PYTHONHASHSEED, value: "123"}]'));
    expect(where(only(overridden))).toBe('4:32 error servingEngineSpec.env[0].value');
  });
});

const UNCONNECTED = `servingEngineSpec:
  runtimeClassName: ""
  modelSpec:
    - name: prefill
      repository: vllm/vllm-openai
      tag: v0.10.0
      modelURL: meta-llama/Llama-3.1-8B-Instruct
      requestCPU: 1
      requestMemory: 1Gi
      requestGPU: 1
      vllmConfig:
        extraArgs: ["--kv-transfer-config", '{"kv_connector":"NixlConnector","kv_role":"kv_both"}']
    - name: decode
      repository: vllm/vllm-openai
      tag: v0.10.0
      modelURL: meta-llama/Llama-3.1-8B-Instruct
      requestCPU: 1
      requestMemory: 1Gi
      requestGPU: 1
routerSpec:
  routingLogic: disaggregated_prefill_orchestrated
  extraArgs: ["--prefill-model-labels", "prefill", "--decode-model-labels", "decode"]
`;

describe('P/D preflight: KV connectors', () => {
  it('an engine the router sends a P/D leg to without a KV connector is an error at its label', () => {
    const d = only(UNCONNECTED);
    expect(where(d)).toBe('22:77 error routerSpec.extraArgs[3]');
    expect(d.message).toBe(
      "--decode-model-labels names `decode`, which has no KV connector (lmcacheConfig enabled and enablePD, or --kv-transfer-config in vllmConfig.extraArgs): prefill's KV cache would reach no one and decode would compute every prompt again",
    );
  });

  it('--kv-transfer-config in vllmConfig.extraArgs is a connector', () => {
    const both = variant(UNCONNECTED, [
      '      requestGPU: 1\nrouterSpec:',
      `      requestGPU: 1\n      vllmConfig:\n        extraArgs: ['--kv-transfer-config={"kv_connector":"NixlConnector","kv_role":"kv_both"}']\nrouterSpec:`,
    ]);
    expect(diagnose(both)).toEqual([]);
  });
});

describe('P/D preflight: engines that may share a node', () => {
  const twoOnGpu0 = variant(
    PD,
    [
      PREFILL,
      PREFILL.replace('      requestGPU: 1\n', '').replace(
        'enabled: true',
        'enabled: true\n        cudaVisibleDevices: "0"',
      ),
    ],
    [
      DECODE,
      DECODE.replace('      requestGPU: 1\n', '').replace(
        'enabled: true',
        'enabled: true\n        cudaVisibleDevices: "0,1"',
      ),
    ],
  );

  it('two engines naming the same GPU without requestGPU is an error at the second', () => {
    const errors = diagnose(twoOnGpu0).filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${where(d)}: ${d.message}`)).toEqual([
      `29:9 error ${D}.lmcacheConfig.cudaVisibleDevices: GPU 0 is also in \`prefill\`'s cudaVisibleDevices (line 13): without requestGPU both engines run on one node, where two vLLM processes on one GPU run out of its memory; give each engine its own GPUs`,
    ]);
  });

  it('distinct GPUs are fine', () => {
    const distinct = variant(twoOnGpu0, ['cudaVisibleDevices: "0,1"', 'cudaVisibleDevices: "1"']);
    expect(diagnose(distinct).filter((d) => d.severity === 'error')).toEqual([]);
  });
});
