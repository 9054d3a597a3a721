import { describe, expect, it } from 'vitest';
import { loadValuesText } from '../../schema/index.js';
import { didYouMean } from '../../schema/facts/did-you-mean.js';
import { diagnose, fixture, only, variant, where } from './helpers.js';

const SIMPLE = fixture('simple-ok.yaml');
const simple = (...edits: ReadonlyArray<readonly [string, string]>): string => variant(SIMPLE, ...edits);
const M = 'servingEngineSpec.modelSpec[0]';

/** [what, values text, `LINE:COL severity PATH`, exact message] — each text has exactly this one diagnostic. */
const CASES: ReadonlyArray<readonly [string, string, string, string]> = [
  [
    'a typo of a vllmConfig key',
    simple(['maxModelLen: 4096', 'gpuMemoryUtilisation: 0.9']),
    `12:9 error ${M}.vllmConfig.gpuMemoryUtilisation`,
    'unknown key `gpuMemoryUtilisation`; did you mean `gpuMemoryUtilization`?',
  ],
  [
    'a wrongly cased key',
    simple(['modelURL:', 'modelUrl:']),
    `7:7 error ${M}.modelUrl`,
    'unknown key `modelUrl`; did you mean `modelURL`?',
  ],
  [
    'a typo of a top-level key',
    simple(['routerSpec:', 'routerSpecs:']),
    '13:1 error routerSpecs',
    'unknown key `routerSpecs`; did you mean `routerSpec`?',
  ],
  [
    'an unknown key far from any',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  frobnicate: 1']),
    '15:3 error routerSpec.frobnicate',
    'unknown key `frobnicate` in routerSpec; remove it or fix its spelling',
  ],
  [
    'an unknown key of a small object',
    simple(['routingLogic: roundrobin', 'otel: {endpoints: ""}']),
    '14:10 error routerSpec.otel.endpoints',
    'unknown key `endpoints`; did you mean `endpoint`?',
  ],
  [
    'an unknown key listing the few allowed',
    simple(['requestGPU: 1', 'requestGPU: 1\n      envFromSecret: {name: s, optional: true}']),
    `11:32 error ${M}.envFromSecret.optional`,
    'unknown key `optional` in servingEngineSpec.modelSpec[0].envFromSecret (allowed: name); remove it or fix its spelling',
  ],
  [
    'a production-stack feature pdstack does not render',
    `${SIMPLE}prometheus-adapter:\n  enabled: true\n`,
    '16:3 error prometheus-adapter.enabled',
    "`prometheus-adapter` (the prometheus-adapter subchart) is a production-stack feature not supported by pdstack: set `enabled: false` (production-stack's default) or remove it",
  ],
  [
    'the kube-prometheus-stack subchart without `enabled` (Helm deploys it)',
    `${SIMPLE}kube-prometheus-stack: {prometheus: {}}\n`,
    '15:1 error kube-prometheus-stack',
    "`kube-prometheus-stack` (the kube-prometheus-stack subchart) is a production-stack feature not supported by pdstack: set `enabled: false` (production-stack's default) or remove it",
  ],
  [
    'a string for an integer',
    simple(['maxModelLen: 4096', 'maxModelLen: "4k"']),
    `12:9 error ${M}.vllmConfig.maxModelLen`,
    'expected integer, given "4k"',
  ],
  [
    'a fraction for an integer',
    simple(['maxModelLen: 4096', 'maxModelLen: 40.5']),
    `12:9 error ${M}.vllmConfig.maxModelLen`,
    'expected integer, given number 40.5',
  ],
  [
    'a string for a boolean',
    simple(['requestGPU: 1', 'requestGPU: 1\n      enabled: "yes"']),
    `11:7 error ${M}.enabled`,
    'expected boolean, given "yes"',
  ],
  [
    'a mapping for a list',
    simple(['maxModelLen: 4096', 'extraArgs: {a: 1}']),
    `12:9 error ${M}.vllmConfig.extraArgs`,
    'expected array, given a mapping',
  ],
  ['a list for the document', '- a\n- b\n', '1:1 error (root)', 'expected object, given a list'],
  [
    'a value outside an enum',
    simple(['routingLogic: roundrobin', 'routingLogic: random']),
    '14:3 error routerSpec.routingLogic',
    '"random" is not one of the allowed values: roundrobin, session, prefixaware, disaggregated_prefill, disaggregated_prefill_orchestrated',
  ],
  [
    "vllm_router's kvaware, which pdstack-router does not run yet",
    simple(['routingLogic: roundrobin', 'routingLogic: kvaware']),
    '14:3 error routerSpec.routingLogic',
    'routing logic kvaware is not supported by pdstack-router yet (kvaware routing needs the LMCache controller); choose one of: roundrobin, session, prefixaware, disaggregated_prefill, disaggregated_prefill_orchestrated',
  ],
  [
    'a bad memory quantity',
    simple(['requestMemory: 16Gi', 'requestMemory: 16GB']),
    `9:7 error ${M}.requestMemory`,
    '"16GB" is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
  ],
  [
    'a negative CPU quantity',
    simple(['requestCPU: 4', 'requestCPU: -4']),
    `8:7 error ${M}.requestCPU`,
    'number -4 is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
  ],
  [
    'a bad pvcStorage size',
    simple(['requestGPU: 1', 'requestGPU: 1\n      pvcStorage: 50 GB']),
    `11:7 error ${M}.pvcStorage`,
    '"50 GB" is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
  ],
  [
    'a pvcStorage that is neither a size nor an emptyDir',
    simple(['requestGPU: 1', 'requestGPU: 1\n      pvcStorage: true']),
    `11:7 error ${M}.pvcStorage`,
    'boolean true is not allowed here: Model cache volume at /data: a size (PVC <release>-<name>-storage-claim) or {emptyDir: {...}}',
  ],
  [
    'a number for a secret (its value is not shown)',
    simple(['requestGPU: 1', 'requestGPU: 1\n      hf_token: 5']),
    `11:7 error ${M}.hf_token`,
    'a number is neither a string nor {secretName, secretKey} of an existing Secret',
  ],
  [
    'a secret reference without its secretKey',
    simple(['requestGPU: 1', 'requestGPU: 1\n      hf_token: {secretName: hf}']),
    `11:7 error ${M}.hf_token.secretKey`,
    'missing required key `secretKey`: a reference to an existing Secret needs both secretName and secretKey',
  ],
  [
    'a reference-only secret without its secretName',
    simple(['routingLogic: roundrobin', 'vllmApiKey: {secretKey: k}']),
    `14:3 error routerSpec.vllmApiKey.secretName`,
    'missing required key `secretName`: a reference to an existing Secret needs both secretName and secretKey',
  ],
  [
    'a literal where a secret reference is expected (its value is not shown)',
    simple(['routingLogic: roundrobin', 'vllmApiKey: sk-LITERAL-1234']),
    `14:3 error routerSpec.vllmApiKey`,
    'expected object, given a string',
  ],
  [
    'a port out of range',
    simple(['      vllmConfig:', '      lmcacheConfig: {nixlPeerPort: 70000}\n      vllmConfig:']),
    `11:23 error ${M}.lmcacheConfig.nixlPeerPort`,
    'number 70000 is not a TCP port (1 to 65535, as a number or a string of digits, e.g. "55555")',
  ],
  [
    'a byte count with a unit',
    simple(['      vllmConfig:', '      lmcacheConfig: {nixlBufferSize: 1Gi}\n      vllmConfig:']),
    `11:23 error ${M}.lmcacheConfig.nixlBufferSize`,
    '"1Gi" is not a byte count (a positive integer or a string of digits, e.g. "1073741824")',
  ],
  [
    'a boolean where a string or integer is expected',
    simple(['maxModelLen: 4096', 'v0: true']),
    `12:9 error ${M}.vllmConfig.v0`,
    'expected string or integer, given boolean true',
  ],
  [
    'a nodePort below the NodePort range',
    simple(['routingLogic: roundrobin', 'nodePort: 80']),
    '14:3 error routerSpec.nodePort',
    'must be ≥ 30000, given number 80',
  ],
  [
    'a PDB minAvailable that is neither a count, a percentage nor null',
    simple(['routingLogic: roundrobin', 'pdb: {enabled: true, minAvailable: true}']),
    '14:24 error routerSpec.pdb.minAvailable',
    'expected integer or string or null, given boolean true',
  ],
  [
    'a model name that is not a DNS label',
    simple(['name: llama', 'name: Llama_3']),
    `4:7 error ${M}.name`,
    `"Llama_3" is not a valid DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. llama-prefill)`,
  ],
  [
    'a model name over 63 characters',
    simple(['name: llama', `name: ${'a'.repeat(64)}`]),
    `4:7 error ${M}.name`,
    `"${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`,
  ],
  [
    'bad GPU indexes',
    simple(['      vllmConfig:', '      lmcacheConfig: {cudaVisibleDevices: "gpu0"}\n      vllmConfig:']),
    `11:23 error ${M}.lmcacheConfig.cudaVisibleDevices`,
    '"gpu0" is not a list of GPU indexes (e.g. "0" or "0,1")',
  ],
  [
    'a ServiceMonitor interval that is not a Prometheus duration',
    simple(['  modelSpec:', '  serviceMonitor: {enabled: true, interval: 30 seconds}\n  modelSpec:']),
    '3:35 error servingEngineSpec.serviceMonitor.interval',
    '"30 seconds" is not a Prometheus duration (e.g. 30s, 1m30s, 2m)',
  ],
  [
    'an empty modelURL',
    simple(['modelURL: meta-llama/Llama-3.1-8B-Instruct', 'modelURL: ""']),
    `7:7 error ${M}.modelURL`,
    'must not be empty',
  ],
  [
    'a missing required key (at the item)',
    simple(['      modelURL: meta-llama/Llama-3.1-8B-Instruct\n', '']),
    `4:7 error ${M}.modelURL`,
    'missing required key `modelURL`: add it',
  ],
  [
    'a replica count below 0',
    simple(['requestGPU: 1', 'requestGPU: 1\n      replicaCount: -1']),
    `11:7 error ${M}.replicaCount`,
    'must be ≥ 0, given number -1',
  ],
];

describe('schema diagnostics', () => {
  it.each(CASES)('%s', (_what, text, expected, message) => {
    const d = only(text);
    expect(`${where(d)}: ${d.message}`).toBe(`${expected}: ${message}`);
  });

  it('explains an emptyDir pvcStorage with a wrong key by its object form', () => {
    const ds = diagnose(simple(['requestGPU: 1', 'requestGPU: 1\n      pvcStorage: {emptydir: {}}']));
    expect(ds.map((d) => `${where(d)}: ${d.message}`)).toEqual([
      `11:20 error ${M}.pvcStorage.emptydir: unknown key \`emptydir\`; did you mean \`emptyDir\`?`,
    ]);
  });

  it('reports every mistake of a document, in source order, and no checks of meaning on top', () => {
    const ds = diagnose(
      simple(
        ['requestCPU: 4', 'requestCPU: four'],
        ['maxModelLen: 4096', 'maxModelLen: 4096\n        gpuMemoryUtilization: 90\n        dtyp: auto'],
      ),
    );
    expect(ds.map(where)).toEqual([`8:7 error ${M}.requestCPU`, `14:9 error ${M}.vllmConfig.dtyp`]);
  });

  it('fills in the schema defaults', () => {
    const { values, diagnostics } = loadValuesText(SIMPLE, 'v.yaml');
    expect(diagnostics).toEqual([]);
    expect(values.servingEngineSpec?.containerPort).toBe(8000);
    expect(values.servingEngineSpec?.labels).toEqual({ environment: 'test', release: 'test' });
    expect(values.servingEngineSpec?.modelSpec?.[0]?.enabled).toBe(true);
    expect(values.routerSpec?.k8sServiceDiscoveryType).toBe('pod-ip');
    expect(loadValuesText('{}', 'v.yaml').values.routerSpec?.routingLogic).toBe('roundrobin');
  });
});

describe("production-stack's null defaults", () => {
  // The keys production-stack's helm/values.yaml leaves empty (YAML null), written as it writes them (its
  // loraController.pdb has the same two).
  const PRODSTACK_NULLS = 'routingLogic: roundrobin\n  nodePort:\n  pdb:\n    minAvailable:\n    maxUnavailable:';

  it('accepts routerSpec.pdb.minAvailable/maxUnavailable and routerSpec.nodePort as null, keeping the null', () => {
    const { values, diagnostics } = loadValuesText(simple(['routingLogic: roundrobin', PRODSTACK_NULLS]), 'v.yaml');
    expect(diagnostics).toEqual([]);
    expect(values.routerSpec?.pdb).toEqual({ enabled: false, minAvailable: null, maxUnavailable: null });
    expect(values.routerSpec?.nodePort).toBeNull();
  });

  it("accepts null in the engines' pdb too (one definition; their templates read null as not set as well)", () => {
    const text = simple(
      ['requestGPU: 1', 'requestGPU: 1\n      pdb: {enabled: true, minAvailable: null, maxUnavailable: ~}'],
      ['  modelSpec:', '  pdb: {enabled: true, maxUnavailable: null}\n  modelSpec:'],
    );
    expect(diagnose(text)).toEqual([]);
  });
});

describe("production-stack's empty defaults", () => {
  it('accepts its subcharts disabled, whatever their values (its values.yaml writes both so)', () => {
    const text = `${SIMPLE}kube-prometheus-stack:\n  enabled: false\n  prometheus: {prometheusSpec: {}}\nprometheus-adapter: {enabled: false, prometheus: {port: 9090}}\n`;
    expect(diagnose(text)).toEqual([]);
  });

  it('accepts a modelSpec envFromSecret of {} (its values.yaml default, the name commented out)', () => {
    const { values, diagnostics } = loadValuesText(
      simple(['requestGPU: 1', 'requestGPU: 1\n      envFromSecret: {}']),
      'v.yaml',
    );
    expect(diagnostics).toEqual([]);
    expect(values.servingEngineSpec?.modelSpec?.[0]?.envFromSecret).toEqual({});
  });
});

describe('didYouMean', () => {
  it('suggests the closest allowed key only when it is close', () => {
    expect(didYouMean('gpuMemoryUtilisation', ['maxModelLen', 'gpuMemoryUtilization'])).toBe('gpuMemoryUtilization');
    expect(didYouMean('MAXMODELLEN', ['maxModelLen'])).toBe('maxModelLen');
    expect(didYouMean('frobnicate', ['maxModelLen', 'dtype'])).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
  });
});
