import { describe, expect, it } from 'vitest';
import { diagnose, fixture, only, variant, where } from './helpers.js';

const PD = fixture('pd-ok.yaml');
const SIMPLE = fixture('simple-ok.yaml');
const pd = (...edits: ReadonlyArray<readonly [string, string]>): string => variant(PD, ...edits);
const simple = (...edits: ReadonlyArray<readonly [string, string]>): string => variant(SIMPLE, ...edits);
const P = 'servingEngineSpec.modelSpec[0]';
/** simple-ok.yaml's model as a KubeRay model (a head with 1 GPU, 1 worker with 1 GPU) with `vllmConfig` set to `vllm`. */
const ray = (vllm: string): string =>
  simple([
    '      vllmConfig:\n        maxModelLen: 4096',
    `      raySpec:\n        enabled: true\n        headNode: {requestCPU: 1, requestMemory: 1Gi, requestGPU: 1}\n      vllmConfig:\n        ${vllm}`,
  ]);
const D = 'servingEngineSpec.modelSpec[1]';

describe('checks of meaning: the valid bases', () => {
  it("an InferencePool's endpoint picker Service name is checked only for engines that get a pool (not P/D prefill)", () => {
    // a prefill engine name long enough for its engine Service but not for an endpoint picker Service
    const long = 'p'.repeat(45);
    const text = pd(
      ['servingEngineSpec:', 'servingEngineSpec:\n  pdstackInferencePool: {enabled: true}'],
      ['- name: prefill', `- name: ${long}`],
      ['"--prefill-model-labels", "prefill"', `"--prefill-model-labels", "${long}"`],
    );
    expect(diagnose(text)).toEqual([]);
    // the same name on the decode engine is an error
    const decode = pd(
      ['servingEngineSpec:', 'servingEngineSpec:\n  pdstackInferencePool: {enabled: true}'],
      ['- name: decode', `- name: ${long}`],
      ['nixlPeerHost: pd-decode-engine-service', `nixlPeerHost: pd-${long}-engine-service`],
      ['"--decode-model-labels", "decode"', `"--decode-model-labels", "${long}"`],
    );
    expect(diagnose(decode).map((d) => `${where(d)}: ${d.message}`)).toEqual([
      `22:7 error ${D}.name: the InferencePool's endpoint picker Service \`pd-${long}-inference-pool-epp\` would be 67 characters long; Kubernetes allows 63: shorten the model name (or the release name \`pd\`)`,
    ]);
  });

  it('a KubeRay model gets no InferencePool: a warning at its raySpec.enabled, and its endpoint picker name is not checked', () => {
    const text = variant(ray('maxModelLen: 4096\n        pipelineParallelSize: 2'), [
      'servingEngineSpec:',
      'servingEngineSpec:\n  pdstackInferencePool: {enabled: true}',
    ]);
    expect(diagnose(text).map((d) => `${where(d)}: ${d.message}`)).toEqual([
      `13:9 warning ${P}.raySpec.enabled: servingEngineSpec.pdstackInferencePool is enabled, but \`llama\` is a KubeRay model (raySpec.enabled), which gets no InferencePool: route to it through the router, or serve it from a Deployment (raySpec.enabled: false) to get a pool`,
    ]);
  });

  it.each([
    ['pd-ok.yaml', PD],
    ['simple-ok.yaml', SIMPLE],
  ])('%s has no diagnostics', (_name, text) => {
    expect(diagnose(text)).toEqual([]);
  });
});

/** [what, values text, `LINE:COL severity PATH`, message substance] — each text has exactly this one diagnostic. */
const CASES: ReadonlyArray<readonly [string, string, string, RegExp]> = [
  // names
  [
    'duplicate model names',
    simple([
      'routerSpec:',
      '    - name: llama\n      repository: r\n      tag: t\n      modelURL: m\n      requestCPU: 1\n      requestMemory: 1Gi\nrouterSpec:',
    ]),
    `13:7 error servingEngineSpec.modelSpec[1].name`,
    /^model name `llama` is already used by modelSpec\[0\] \(line 4\); names must be unique/,
  ],
  [
    'an engine Service name over 63 characters',
    simple(['name: llama', `name: ${'l'.repeat(50)}`]),
    `4:7 error ${P}.name`,
    /^the engine Service `pd-l{50}-engine-service` would be 68 characters long; Kubernetes allows 63: shorten the model name/,
  ],
  [
    "an InferencePool's endpoint picker Service name over 63 characters (pdstack extension)",
    simple(
      ['name: llama', `name: ${'l'.repeat(42)}`],
      ['  modelSpec:', '  pdstackInferencePool: {enabled: true}\n  modelSpec:'],
    ),
    `5:7 error ${P}.name`,
    /^the InferencePool's endpoint picker Service `pd-l{42}-inference-pool-epp` would be 64 characters long; Kubernetes allows 63: shorten the model name/,
  ],
  [
    'labels.model contradicting the name',
    simple(['      vllmConfig:', '      labels:\n        model: other\n      vllmConfig:']),
    `12:9 error ${P}.labels.model`,
    /^labels.model `other` contradicts the label model=llama .*set it to `llama`/,
  ],
  // vLLM settings
  [
    'gpuMemoryUtilization above 1',
    simple(['maxModelLen: 4096', 'gpuMemoryUtilization: 90']),
    `12:9 error ${P}.vllmConfig.gpuMemoryUtilization`,
    /^must be in \(0, 1\], the fraction of GPU memory vLLM may use \(e\.g\. 0\.9\), given 90$/,
  ],
  [
    'gpuMemoryUtilization 0',
    simple(['maxModelLen: 4096', 'gpuMemoryUtilization: "0"']),
    `12:9 error ${P}.vllmConfig.gpuMemoryUtilization`,
    /given 0$/,
  ],
  [
    'v1: 1 with v0: "1"',
    simple(['maxModelLen: 4096', 'v0: "1"\n        v1: 1']),
    `13:9 error ${P}.vllmConfig.v1`,
    /^v1: 1 asks for the V1 engine but v0: "1" selects V0; remove one of them$/,
  ],
  [
    'pipelineParallelSize without raySpec',
    simple(['maxModelLen: 4096', 'pipelineParallelSize: 2']),
    `12:9 error ${P}.vllmConfig.pipelineParallelSize`,
    /^pipeline parallelism is rendered for KubeRay models only \(production-stack's Deployment passes no --pipeline-parallel-size\): set raySpec.enabled: true with raySpec.headNode, or remove pipelineParallelSize$/,
  ],
  [
    'raySpec.enabled without a head node',
    simple(['      vllmConfig:', '      raySpec:\n        enabled: true\n      vllmConfig:']),
    `12:9 error ${P}.raySpec.enabled`,
    /^a KubeRay model needs raySpec.headNode with requestCPU and requestMemory/,
  ],
  [
    'a KubeRay model whose parallelism needs more GPUs than its cluster has',
    ray('tensorParallelSize: 2\n        pipelineParallelSize: 2'),
    `16:9 error ${P}.vllmConfig.pipelineParallelSize`,
    /^tensorParallelSize 2 × pipelineParallelSize 2 needs 4 GPU\(s\), one per vLLM worker, but the Ray cluster has 2 GPU\(s\): the head's 1 plus 1 worker\(s\) × 1; vLLM cannot place its workers/,
  ],
  [
    'a KubeRay model with idle GPUs',
    ray('maxModelLen: 4096'),
    `12:9 warning ${P}.raySpec.enabled`,
    /^tensorParallelSize 1 × pipelineParallelSize 1 uses 1 GPU\(s\) but the Ray cluster has 2 GPU\(s\): the head's 1 plus 1 worker\(s\) × 1: 1 stay idle/,
  ],
  [
    "a fractional GPU request of a KubeRay model's head",
    variant(ray('pipelineParallelSize: 2'), ['requestGPU: 1}', 'requestGPU: 0.5}']),
    `13:55 error ${P}.raySpec.headNode.requestGPU`,
    /^GPUs are whole devices: requestGPU must be a whole number, given 0.5$/,
  ],
  [
    'a KubeRay model whose RayCluster name is over 53 characters (KubeRay refuses it)',
    variant(ray('pipelineParallelSize: 2'), ['name: llama', `name: ${'l'.repeat(40)}`]),
    `4:7 error ${P}.name`,
    /^the RayCluster `pd-l{40}-raycluster` would be 54 characters long; KubeRay allows 53 and creates no pod for a longer name: shorten the model name/,
  ],
  [
    'KEDA on a KubeRay model',
    variant(ray('pipelineParallelSize: 2'), [
      '      raySpec:',
      '      keda:\n        enabled: true\n        triggers: [{type: cpu, metadata: {value: "50"}}]\n      raySpec:',
    ]),
    `12:9 error ${P}.keda.enabled`,
    /^KEDA scales a Deployment and a KubeRay model has none/,
  ],
  // resources
  [
    'a fractional GPU request',
    simple(['requestGPU: 1', 'requestGPU: 0.5']),
    `10:7 error ${P}.requestGPU`,
    /^GPUs are whole devices: requestGPU must be a whole number, given 0.5$/,
  ],
  [
    'a limit below its request',
    simple(['requestMemory: 16Gi', 'requestMemory: 16Gi\n      limitMemory: 8Gi']),
    `10:7 error ${P}.limitMemory`,
    /^limitMemory 8Gi is below requestMemory 16Gi; Kubernetes rejects/,
  ],
  [
    'tensorParallelSize above the GPUs requested',
    simple(['maxModelLen: 4096', 'tensorParallelSize: 2']),
    `12:9 error ${P}.vllmConfig.tensorParallelSize`,
    /^tensorParallelSize 2 needs 2 GPUs but the engine requests 1; raise requestGPU to 2/,
  ],
  [
    'cudaVisibleDevices naming a GPU the container does not get',
    simple(['      vllmConfig:', '      lmcacheConfig:\n        cudaVisibleDevices: "0,1"\n      vllmConfig:']),
    `12:9 error ${P}.lmcacheConfig.cudaVisibleDevices`,
    /^the engine requests 1 GPU\(s\), which the container sees as index 0 to 0; CUDA_VISIBLE_DEVICES=0,1 names GPU 1 that it does not have/,
  ],
  [
    'cudaVisibleDevices without requestGPU (warning explaining the topology)',
    simple(
      ['      requestGPU: 1\n', ''],
      ['      vllmConfig:', '      lmcacheConfig:\n        cudaVisibleDevices: "0"\n      vllmConfig:'],
    ),
    `11:9 warning ${P}.lmcacheConfig.cudaVisibleDevices`,
    /^CUDA_VISIBLE_DEVICES=0 without requestGPU: no GPU is requested, so the scheduler does not place this engine by GPU; every such engine must land on one node that exposes all its GPUs .*NVIDIA_VISIBLE_DEVICES=all\), pin them to that node/,
  ],
  [
    'cudaVisibleDevices without requestGPU on a P/D engine (the KV moves by CUDA IPC)',
    pd([
      '      requestGPU: 1\n      lmcacheConfig:\n        enabled: true\n        kvRole: kv_producer',
      '      lmcacheConfig:\n        cudaVisibleDevices: "0"\n        enabled: true\n        kvRole: kv_producer',
    ]),
    `12:9 warning ${P}.lmcacheConfig.cudaVisibleDevices`,
    /NVIDIA_VISIBLE_DEVICES=all\), where CUDA IPC over hostIPC\/hostPID moves the KV between prefill and decode; pin them/,
  ],
  [
    'cudaVisibleDevices without requestGPU on a P/D engine without hostIPC/hostPID',
    pd([
      '      requestGPU: 1\n      lmcacheConfig:\n        enabled: true\n        kvRole: kv_producer',
      '      lmcacheConfig:\n        cudaVisibleDevices: "0"\n        pdstackHostIpcPid: false\n        enabled: true\n        kvRole: kv_producer',
    ]),
    `12:9 warning ${P}.lmcacheConfig.cudaVisibleDevices`,
    /NVIDIA_VISIBLE_DEVICES=all\), pin them to that node/,
  ],
  [
    'pdstackHostIpcPid on an engine that is not P/D',
    simple([
      '      vllmConfig:',
      '      lmcacheConfig:\n        enabled: true\n        pdstackHostIpcPid: false\n      vllmConfig:',
    ]),
    `13:9 error ${P}.lmcacheConfig.pdstackHostIpcPid`,
    /^pdstackHostIpcPid takes effect only on a P\/D engine; set enabled: true and enablePD: true, or remove the NIXL keys$/,
  ],
  [
    'a GPU in resources counts as requested',
    simple(
      ['requestGPU: 1', 'resources: {limits: {nvidia.com/gpu: 1}}'],
      ['maxModelLen: 4096', 'tensorParallelSize: 4'],
    ),
    `12:9 error ${P}.vllmConfig.tensorParallelSize`,
    /the engine requests 1;/,
  ],
  // secrets
  [
    'a placeholder hf_token',
    simple(['requestGPU: 1', 'requestGPU: 1\n      hf_token: <your-hf-token>']),
    `11:7 warning ${P}.hf_token`,
    /^the value looks like a placeholder, not a Hugging Face token/,
  ],
  [
    'a placeholder vllmApiKey',
    simple(['  modelSpec:', '  vllmApiKey: CHANGEME\n  modelSpec:']),
    '3:3 warning servingEngineSpec.vllmApiKey',
    /^the value looks like a placeholder, not an API key: .* or remove vllmApiKey to serve without one$/,
  ],
  [
    'a placeholder router hf_token',
    simple(['routingLogic: roundrobin', 'hf_token: your_hf_token']),
    `14:3 warning routerSpec.hf_token`,
    /looks like a placeholder/,
  ],
  // LMCache and NIXL
  [
    'kvRole disagreeing with nixlRole',
    pd(['kvRole: kv_consumer', 'kvRole: kv_producer']),
    `30:9 error ${D}.lmcacheConfig.kvRole`,
    /^kvRole kv_producer disagrees with nixlRole receiver: a NIXL receiver \(the decode engine\) is kv_consumer; set kvRole: kv_consumer$/,
  ],
  [
    'nixlRole with the default kvRole',
    pd(['        kvRole: kv_producer\n', '']),
    `15:9 error ${P}.lmcacheConfig.nixlRole`,
    /^kvRole kv_both \(the default\) disagrees with nixlRole sender/,
  ],
  [
    'CPU offloading with NIXL',
    pd([
      'enablePD: true\n    - name: decode',
      'enablePD: true\n        cpuOffloadingBufferSize: 5\n    - name: decode',
    ]),
    `21:9 error ${P}.lmcacheConfig.cpuOffloadingBufferSize`,
    /^LMCache requires local CPU offloading off with NIXL \(P\/D\); set cpuOffloadingBufferSize: 0 or remove it$/,
  ],
  [
    'enablePD without enabled',
    simple(['      vllmConfig:', '      lmcacheConfig:\n        enablePD: true\n      vllmConfig:']),
    `12:9 error ${P}.lmcacheConfig.enablePD`,
    /^enablePD needs enabled: true/,
  ],
  [
    'NIXL keys on an engine without enablePD',
    simple([
      '      vllmConfig:',
      '      lmcacheConfig:\n        enabled: true\n        nixlPeerPort: 1\n      vllmConfig:',
    ]),
    `13:9 error ${P}.lmcacheConfig.nixlPeerPort`,
    /^nixlPeerPort takes effect only on a P\/D engine; set enabled: true and enablePD: true, or remove the NIXL keys$/,
  ],
  [
    'enablePD without enableNixl',
    pd(['        enableNixl: true\n        nixlRole: receiver', '        nixlRole: receiver']),
    `35:9 error ${D}.lmcacheConfig.enablePD`,
    /^a P\/D engine moves the KV over NIXL; set enableNixl: true$/,
  ],
  [
    'a P/D engine without nixlPeerPort',
    pd([
      '        nixlPeerPort: "55555"\n        nixlBufferSize: "1073741824"\n        enablePD: true\nrouterSpec',
      '        nixlBufferSize: "1073741824"\n        enablePD: true\nrouterSpec',
    ]),
    `28:7 error ${D}.lmcacheConfig`,
    /^a P\/D engine needs nixlPeerPort/,
  ],
  [
    'a receiver binding a DNS name',
    pd(['nixlPeerHost: 0.0.0.0', 'nixlPeerHost: decode.local']),
    `33:9 warning ${D}.lmcacheConfig.nixlPeerHost`,
    /^a receiver binds nixlPeerHost, and `decode.local` is not an IP address of its pod; use "0.0.0.0"/,
  ],
  // P/D topology
  // the sender's peer host
  [
    "a peer host of another release (the tutorial's mistake)",
    pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: vllm-decode-engine-service']),
    `17:9 error ${P}.lmcacheConfig.nixlPeerHost`,
    /^`vllm-decode-engine-service` is not the Service of an engine of release `pd`: installed as release `pd`, receiver `decode` is reached at `pd-decode-engine-service`; set nixlPeerHost to it$/,
  ],
  [
    'a peer host naming a non-receiver of the release',
    pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: pd-prefill-engine-service']),
    `17:9 error ${P}.lmcacheConfig.nixlPeerHost`,
    /^`pd-prefill-engine-service` is the Service of `prefill`, which is not a receiver engine \(nixlRole: receiver\); set nixlPeerHost to the receiver's Service `pd-decode-engine-service`$/,
  ],
  [
    'a peer host naming a missing engine of the release',
    pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: pd-decoder-engine-service']),
    `17:9 error ${P}.lmcacheConfig.nixlPeerHost`,
    /^`pd-decoder-engine-service` is not the Service of an engine of release `pd`; set nixlPeerHost to the receiver's Service `pd-decode-engine-service`$/,
  ],
  [
    'a peer host outside the release (IP)',
    pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: 10.0.0.7']),
    `17:9 warning ${P}.lmcacheConfig.nixlPeerHost`,
    /^`10.0.0.7` is outside release `pd`: pdstack cannot check that a receiver listens there; this release's receiver Service is `pd-decode-engine-service`$/,
  ],
  [
    'a peer host in another namespace',
    pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: pd-decode-engine-service.other.svc']),
    `17:9 warning ${P}.lmcacheConfig.nixlPeerHost`,
    /^`pd-decode-engine-service.other.svc` is outside release `pd` \(namespace other\)/,
  ],
  [
    'a sender disagreeing with its receiver on nixlPeerPort',
    pd(['nixlPeerPort: "55555"', 'nixlPeerPort: 55556']),
    `18:9 error ${P}.lmcacheConfig.nixlPeerPort`,
    /^nixlPeerPort 55556 differs from receiver `decode`'s 55555 \(line 34\): the sender connects to the port the receiver listens on; make them equal$/,
  ],
  [
    'a NIXL port the receiver Service does not expose',
    pd(['nixlPeerPort: "55555"', 'nixlPeerPort: "5555"'], ['nixlPeerPort: "55555"', 'nixlPeerPort: "5555"']),
    `18:9 error ${P}.lmcacheConfig.nixlPeerPort`,
    /^the receiver's Service `pd-decode-engine-service` does not expose port 5555 \(its ports: 80, 55555, 9999\); use 55555 on sender and receiver, or add the port to servingEngineSpec.extraPorts$/,
  ],
  [
    'a sender disagreeing with its receiver on nixlBufferSize',
    pd(['nixlBufferSize: "1073741824"', 'nixlBufferSize: 2147483648']),
    `19:9 error ${P}.lmcacheConfig.nixlBufferSize`,
    /^nixlBufferSize 2147483648 differs from receiver `decode`'s 1073741824 \(line 35\): NIXL needs the same buffer size on both sides/,
  ],
  [
    'a sender without the nixlBufferSize its receiver sets',
    pd([
      '        nixlBufferSize: "1073741824"\n        enablePD: true\n    - name: decode',
      '        enablePD: true\n    - name: decode',
    ]),
    `34:9 error ${D}.lmcacheConfig.nixlBufferSize`,
    /^sender `prefill` sets no nixlBufferSize while this receiver sets 1073741824: NIXL needs the same buffer on both sides; set it on both$/,
  ],
  [
    'a receiver without the nixlBufferSize its sender sets',
    pd([
      '        nixlBufferSize: "1073741824"\n        enablePD: true\nrouterSpec',
      '        enablePD: true\nrouterSpec',
    ]),
    `19:9 error ${P}.lmcacheConfig.nixlBufferSize`,
    /^receiver `decode` sets no nixlBufferSize while this sender sets 1073741824: NIXL needs the same buffer on both sides; set it on both$/,
  ],
  [
    'P and D serving different models',
    pd(['modelURL: meta-llama/Llama-3.1-8B-Instruct', 'modelURL: meta-llama/Llama-3.1-70B-Instruct']),
    `8:7 error ${P}.modelURL`,
    /^modelURL `meta-llama\/Llama-3.1-70B-Instruct` differs from receiver `decode`'s `meta-llama\/Llama-3.1-8B-Instruct` \(line 24\): prefill and decode must serve the same model/,
  ],
  // the router
  [
    'P/D routing without --decode-model-labels',
    pd([', "--decode-model-labels", "decode"', '']),
    '38:3 error routerSpec.routingLogic',
    /^routingLogic disaggregated_prefill needs --decode-model-labels in routerSpec.extraArgs, naming the decode engines by their model name \(e\.g\. extraArgs: \["--decode-model-labels", "decode"\]\)$/,
  ],
  [
    'a model label matching no engine',
    pd(['"--prefill-model-labels", "prefill"', '"--prefill-model-labels=prefil"']),
    '39:15 error routerSpec.extraArgs[0]',
    /^--prefill-model-labels `prefil` matches no enabled engine \(the router selects pods by the label model=<modelSpec name>\); did you mean `prefill`\?$/,
  ],
  [
    'a prefill label naming the receiver',
    pd(['"--prefill-model-labels", "prefill"', '"--prefill-model-labels", "prefill,decode"']),
    '39:41 error routerSpec.extraArgs[1]',
    /^--prefill-model-labels lists `decode`, which is not a NIXL sender \(the prefill engine\); list `prefill` here$/,
  ],
  [
    'a label flag without a value',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--prefill-model-labels"]']),
    '39:87 error routerSpec.extraArgs[4]',
    /^--prefill-model-labels needs a value/,
  ],
  [
    'an unknown router flag in extraArgs',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--log-stat"]']),
    '39:87 error routerSpec.extraArgs[4]',
    /^pdstack-router would refuse to start: unrecognized arguments: --log-stat \(did you mean --log-stats\?\)$/,
  ],
  [
    'a router flag given a wrong value in extraArgs',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--engine-stats-interval", "ten"]']),
    '39:114 error routerSpec.extraArgs[5]',
    /^pdstack-router would refuse to start: argument --engine-stats-interval: invalid int value: 'ten'$/,
  ],
  [
    'a router flag given a value out of its range in extraArgs',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--max-connections", "0"]']),
    '39:108 error routerSpec.extraArgs[5]',
    /^pdstack-router would refuse to start: argument --max-connections: must be greater than 0 \(got 0\)$/,
  ],
  [
    'router flags that break a rule between two flags in extraArgs',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--max-buffered-bytes", "1000"]']),
    '39:111 error routerSpec.extraArgs[5]',
    /^pdstack-router would refuse to start: argument --max-request-body-bytes: must not be larger than --max-buffered-bytes \(33554432 > 1000\)$/,
  ],
  [
    'a --pd-* router flag with a routing logic that is not P/D',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  extraArgs: ["--pd-fallback", "error"]']),
    '15:32 error routerSpec.extraArgs[1]',
    /^--pd-fallback applies to the P\/D routing logics only \(disaggregated_prefill, disaggregated_prefill_orchestrated\), not roundrobin$/,
  ],
  [
    'concurrent P/D dispatch without the orchestrated logic',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--pd-dispatch", "concurrent"]']),
    '39:104 error routerSpec.extraArgs[5]',
    /^--pd-dispatch concurrent needs --routing-logic disaggregated_prefill_orchestrated/,
  ],
  [
    'a router flag of a feature pdstack-router does not build',
    pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--enable-batch-api"]']),
    '39:87 error routerSpec.extraArgs[4]',
    /^--enable-batch-api: the batch and files API is not supported by pdstack-router; remove it$/,
  ],
  [
    'P/D engines behind a non-P/D router',
    pd(['routingLogic: disaggregated_prefill', 'routingLogic: prefixaware']),
    '38:3 error routerSpec.routingLogic',
    /^the engines are set up for P\/D \(enablePD\) but routingLogic prefixaware sends whole requests to any engine; set routingLogic: disaggregated_prefill$/,
  ],
  [
    'routerSpec.enablePD: true with a non-P/D logic',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  enablePD: true']),
    '15:3 error routerSpec.enablePD',
    /^enablePD: true but routingLogic is roundrobin/,
  ],
  [
    'routerSpec.enablePD: false with a P/D logic',
    pd(['routingLogic: disaggregated_prefill', 'routingLogic: disaggregated_prefill_orchestrated\n  enablePD: false']),
    '39:3 error routerSpec.enablePD',
    /^enablePD: false contradicts routingLogic: disaggregated_prefill_orchestrated/,
  ],
  [
    'session routing without sessionKey',
    simple(['routingLogic: roundrobin', 'routingLogic: session']),
    '14:3 error routerSpec.routingLogic',
    /^routingLogic: session needs sessionKey/,
  ],
  [
    'static discovery without backends',
    simple(['routingLogic: roundrobin', 'serviceDiscovery: static']),
    '14:3 error routerSpec.serviceDiscovery',
    /^serviceDiscovery: static needs staticBackends/,
  ],
  [
    'static discovery with uneven lists',
    simple([
      'routingLogic: roundrobin',
      'serviceDiscovery: static\n  staticBackends: http://a:8000,http://b:8000\n  staticModels: m',
    ]),
    '16:3 error routerSpec.staticModels',
    /^staticModels lists 1 model\(s\) for 2 staticBackends/,
  ],
  [
    'an ExternalName router Service',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  serviceType: ExternalName']),
    '15:3 error routerSpec.serviceType',
    /^an ExternalName Service is a DNS alias of another host: it has no selector or ports, so it cannot reach the router/,
  ],
  [
    'a nodePort without serviceType NodePort',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  serviceType: LoadBalancer\n  nodePort: 30080']),
    '16:3 warning routerSpec.nodePort',
    /^nodePort is set only with serviceType: NodePort \(as in production-stack\), so with LoadBalancer it is not rendered/,
  ],
  [
    'router autoscaling with minReplicas above maxReplicas',
    simple(['routingLogic: roundrobin', 'autoscaling: {enabled: true, minReplicas: 4, maxReplicas: 2}']),
    '14:48 error routerSpec.autoscaling.maxReplicas',
    /^maxReplicas 2 is below minReplicas 4 \(line 14\); the autoscaler cannot keep both/,
  ],
  [
    'an Ingress without host rules',
    simple(['routingLogic: roundrobin', 'ingress: {enabled: true, hosts: []}']),
    '14:28 error routerSpec.ingress.hosts',
    /^an enabled Ingress needs at least one host rule/,
  ],
  [
    'an Ingress host without paths',
    simple(['routingLogic: roundrobin', 'ingress: {enabled: true, hosts: [{host: a.example.com, paths: []}]}']),
    '14:58 error routerSpec.ingress.hosts[0].paths',
    /^a host rule needs at least one path to the router/,
  ],
  [
    'a GRPCRoute to the router',
    simple(['routingLogic: roundrobin', 'route: {grpc: {enabled: true, kind: GRPCRoute, parentRefs: [{name: gw}]}}']),
    '14:33 error routerSpec.route.grpc.kind',
    /^pdstack renders routes as HTTPRoute only: the router serves the OpenAI HTTP\/JSON API, not gRPC .*; set kind: HTTPRoute$/,
  ],
  [
    'a TLSRoute to the router',
    simple(['routingLogic: roundrobin', 'route: {main: {enabled: true, kind: TLSRoute, parentRefs: [{name: gw}]}}']),
    '14:33 error routerSpec.route.main.kind',
    /^pdstack renders routes as HTTPRoute only: a TLSRoute passes TLS through to the backend, and the router serves plain HTTP/,
  ],
  [
    'an HTTPRoute of an apiVersion that does not serve it',
    simple([
      'routingLogic: roundrobin',
      'route: {main: {enabled: true, apiVersion: gateway.networking.k8s.io/v1alpha2, parentRefs: [{name: gw}]}}',
    ]),
    '14:33 error routerSpec.route.main.apiVersion',
    /^HTTPRoute is served as gateway.networking.k8s.io\/v1 or gateway.networking.k8s.io\/v1beta1, not gateway.networking.k8s.io\/v1alpha2/,
  ],
  [
    'template text other than the release in a route hostname',
    simple([
      'routingLogic: roundrobin',
      'route: {main: {enabled: true, parentRefs: [{name: gw}], hostnames: ["{{ .Release.Name }}.example.com", "{{ .Values.x }}.example.com"]}}',
    ]),
    '14:106 error routerSpec.route.main.hostnames[1]',
    /^pdstack compiles the values, so the only template text it expands here is \{\{ \.Release\.Name \}\} and/,
  ],
  [
    'a route without a Gateway',
    simple(['routingLogic: roundrobin', 'route: {main: {enabled: true}}']),
    '14:11 warning routerSpec.route.main.parentRefs',
    /^the route names no Gateway in parentRefs, so no Gateway serves it/,
  ],
  [
    'filters of a route that redirects to https',
    simple([
      'routingLogic: roundrobin',
      'route: {main: {enabled: true, parentRefs: [{name: gw}], httpsRedirect: true, filters: [{type: RequestHeaderModifier}]}}',
    ]),
    '14:80 warning routerSpec.route.main.filters',
    /^httpsRedirect replaces the rule to the router with a redirect, so these filters are not rendered/,
  ],
  [
    'router otel endpoint the router would refuse',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  otel: {endpoint: "grpc://otel:4317"}']),
    '15:10 error routerSpec.otel.endpoint',
    /^'grpc:\/\/otel:4317' has the scheme grpc \(expected host:port for OTLP\/gRPC/,
  ],
  [
    'router otel: plain OTLP/HTTP with secure',
    simple([
      'routingLogic: roundrobin',
      'routingLogic: roundrobin\n  otel: {endpoint: "http://otel:4318/v1/traces", secure: true}',
    ]),
    '15:10 error routerSpec.otel.endpoint',
    /is plain HTTP while --otel-secure asks for TLS: use https:\/\//,
  ],
  [
    'router otel endpoint both in extraArgs and in otel',
    simple([
      'routingLogic: roundrobin',
      'routingLogic: roundrobin\n  extraArgs: ["--otel-endpoint", "a:4317"]\n  otel: {endpoint: "b:4317"}',
    ]),
    '15:34 warning routerSpec.extraArgs[1]',
    /^--otel-endpoint here is overridden by routerSpec.otel.endpoint/,
  ],
  [
    'router otel endpoint in extraArgs',
    simple(['routingLogic: roundrobin', 'routingLogic: roundrobin\n  extraArgs: ["--otel-endpoint", "otel:99999"]']),
    '15:34 error routerSpec.extraArgs[1]',
    /^pdstack-router would refuse to start: argument --otel-endpoint: 'otel:99999' has a port out of range/,
  ],
  [
    'router LMCache controller port',
    simple(['routingLogic: roundrobin', 'lmcacheControllerPort: 9000']),
    '14:3 error routerSpec.lmcacheControllerPort',
    /^KV-aware routing \(the LMCache controller\) is not supported by pdstack-router/,
  ],
  [
    'router serviceMonitor timing out after its interval',
    simple(['routingLogic: roundrobin', 'serviceMonitor: {enabled: true, interval: 10s, scrapeTimeout: 25s}']),
    '14:50 error routerSpec.serviceMonitor.scrapeTimeout',
    /^scrapeTimeout 25s is longer than interval 10s; Prometheus refuses a scrape timeout above its interval/,
  ],
  [
    'an init container waiting for a cache server that is not rendered',
    simple([
      '      vllmConfig:',
      '      initContainer:\n        name: wait\n        image: busybox\n        args:\n          - ls\n          - "probe $(RELEASE_NAME)-cache-server-service $(LMCACHE_SERVER_SERVICE_PORT)"\n      vllmConfig:',
    ]),
    `16:13 error ${P}.initContainer.args[1]`,
    /^this init container waits for the LMCache cache server \(`pd-cache-server-service`, port \$\(LMCACHE_SERVER_SERVICE_PORT\)\), which is rendered only with cacheserverSpec.enabled: true, so the pod would never start; enable cacheserverSpec or remove the init container$/,
  ],
  [
    "the tutorials' cacheserverSpec.repository, which production-stack's chart ignores too",
    simple(['routerSpec:', 'cacheserverSpec:\n  repository: lmcache/vllm-openai\nrouterSpec:']),
    '14:3 warning cacheserverSpec.repository',
    /^cacheserverSpec.repository is not read: the cache server's image is image.repository \(here `lmcache\/vllm-openai`\), as in production-stack's chart, which ignores this key too; move it under image: to deploy it$/,
  ],
  [
    'a cache server no engine uses',
    simple(['routerSpec:', 'cacheserverSpec:\n  enabled: true\nrouterSpec:']),
    '14:3 warning cacheserverSpec.enabled',
    /^no enabled model uses the cache server: LMCACHE_REMOTE_URL goes only to engines with lmcacheConfig.enabled: true/,
  ],
  [
    'a KEDA minReplicaCount above maxReplicaCount',
    simple(
      ['  modelSpec:', '  serviceMonitor: {enabled: true}\n  modelSpec:'],
      ['      vllmConfig:', '      keda: {enabled: true, minReplicaCount: 4, maxReplicaCount: 2}\n      vllmConfig:'],
    ),
    `12:29 error ${P}.keda.minReplicaCount`,
    /^minReplicaCount 4 is above maxReplicaCount 2; KEDA rejects the ScaledObject: lower minReplicaCount or raise maxReplicaCount$/,
  ],
  [
    "a KEDA idleReplicaCount not below KEDA's default minReplicaCount 0",
    simple(
      ['  modelSpec:', '  serviceMonitor: {enabled: true}\n  modelSpec:'],
      ['      vllmConfig:', '      keda: {enabled: true, idleReplicaCount: 0}\n      vllmConfig:'],
    ),
    `12:29 error ${P}.keda.idleReplicaCount`,
    /^idleReplicaCount 0 must be below minReplicaCount 0 \(KEDA's default\), or KEDA rejects the ScaledObject/,
  ],
  [
    'KEDA default triggers without the engine ServiceMonitor',
    simple(['      vllmConfig:', '      keda: {enabled: true}\n      vllmConfig:']),
    `11:14 warning ${P}.keda.enabled`,
    /^without triggers pdstack's default trigger sums the engine's series by the namespace and service labels the engine ServiceMonitor gives them/,
  ],
  [
    'an extraObjects action pdstack does not evaluate',
    simple([
      'routerSpec:',
      'extraObjects:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: "{{ include \\"x\\" . }}"}\nrouterSpec:',
    ]),
    '16:16 error extraObjects[0].metadata.name',
    /^`\{\{ include "x" \. \}\}` is not evaluated by pdstack, which evaluates \{\{ \.Release\.Name \}\}, \{\{ \.Release\.Namespace \}\} and \{\{ \.Values\.<key>\.\.\. \}\} \(optionally \| quote\), and string literals$/,
  ],
  [
    'an extraObjects action reading a mapping',
    simple(['routerSpec:', 'extraObjects:\n  - "kind: {{ .Values.servingEngineSpec.modelSpec }}"\nrouterSpec:']),
    '14:5 error extraObjects[0]',
    /^`\{\{ \.Values\.servingEngineSpec\.modelSpec \}\}`: \.Values\.servingEngineSpec\.modelSpec is not a string, number or boolean$/,
  ],
  [
    'an extraObjects action reading a secret',
    simple([
      'routerSpec:',
      'extraObjects:\n  - "kind: {{ .Values.servingEngineSpec.vllmApiKey | quote }}"\nrouterSpec:',
    ]),
    '14:5 error extraObjects[0]',
    /^`\{\{ \.Values\.servingEngineSpec\.vllmApiKey \| quote \}\}` reads a secret, which pdstack never writes into manifests$/,
  ],
  [
    'an extraObjects item that is no Kubernetes object',
    simple([
      'routerSpec:',
      'extraObjects:\n  - {kind: ConfigMap, metadata: {name: "{{ .Release.Name }}-x"}}\nrouterSpec:',
    ]),
    '14:5 error extraObjects[0]',
    /^is not a Kubernetes object: it has no apiVersion$/,
  ],
  [
    'a shared NFS volume without its path',
    simple(['routerSpec:', 'sharedPvcStorage:\n  enabled: true\n  nfs: {server: nfs.example}\nrouterSpec:']),
    '15:9 error sharedPvcStorage.nfs.server',
    /^an NFS volume needs both nfs.server and nfs.path; set nfs.path, or clear both for a dynamically provisioned claim$/,
  ],
  [
    'a shared volume backed by hostPath and NFS',
    simple([
      'routerSpec:',
      'sharedPvcStorage:\n  enabled: true\n  hostPath: /data\n  nfs: {server: n, path: /e}\nrouterSpec:',
    ]),
    '15:3 error sharedPvcStorage.hostPath',
    /^hostPath and nfs both back the shared volume; keep one/,
  ],
  [
    'engine serviceMonitor scrapeTimeout above its interval',
    simple(['  modelSpec:', '  serviceMonitor: {enabled: true, interval: 10s, scrapeTimeout: 1m}\n  modelSpec:']),
    '3:50 error servingEngineSpec.serviceMonitor.scrapeTimeout',
    /^scrapeTimeout 1m is longer than interval 10s; Prometheus refuses a scrape timeout above its interval: lower scrapeTimeout or raise interval$/,
  ],
  [
    'engine serviceMonitor scrapeTimeout above the default interval 30s',
    simple(['  modelSpec:', '  serviceMonitor: {enabled: true, scrapeTimeout: 31s}\n  modelSpec:']),
    '3:35 error servingEngineSpec.serviceMonitor.scrapeTimeout',
    /^scrapeTimeout 31s is longer than interval 30s/,
  ],
];

describe('checks of meaning', () => {
  it('accepts a KubeRay model whose cluster has the GPUs its parallelism uses', () => {
    expect(diagnose(ray('tensorParallelSize: 1\n        pipelineParallelSize: 2'))).toEqual([]);
  });

  it('accepts an init container waiting for a rendered cache server that an LMCache engine uses', () => {
    const waiting = simple([
      '      vllmConfig:',
      '      lmcacheConfig: {enabled: true}\n      initContainer: {name: wait, image: busybox, args: ["probe $(RELEASE_NAME)-cache-server-service"]}\n      vllmConfig:',
    ]);
    expect(diagnose(`${waiting}\ncacheserverSpec: {enabled: true}\n`)).toEqual([]);
  });

  it.each(CASES)('%s', (_what, text, expected, message) => {
    const d = only(text);
    expect(where(d)).toBe(expected);
    expect(d.message).toMatch(message);
  });

  it('needs a sender and a receiver for P/D', () => {
    const noReceiver = diagnose(pd(['    - name: decode\n', '    - name: decode\n      enabled: false\n']));
    expect(noReceiver.filter((d) => d.message.startsWith('P/D needs')).map((d) => `${where(d)}: ${d.message}`)).toEqual(
      [
        `20:9 error ${P}.lmcacheConfig.enablePD: P/D needs at least one enabled receiver (decode) engine: nixlRole: receiver with kvRole: kv_consumer; none of the enabled models is one`,
      ],
    );
  });

  it('accepts the Service of a receiver in its namespace forms', () => {
    for (const host of [
      'pd-decode-engine-service.default',
      'pd-decode-engine-service.default.svc',
      'pd-decode-engine-service.default.svc.cluster.local',
    ]) {
      expect(diagnose(pd(['nixlPeerHost: pd-decode-engine-service', `nixlPeerHost: ${host}`]))).toEqual([]);
    }
    expect(
      diagnose(pd(['nixlPeerHost: pd-decode-engine-service', 'nixlPeerHost: pd-decode-engine-service.llm.svc']), {
        namespace: 'llm',
      }),
    ).toEqual([]);
  });

  it('warns about any other host: pdstack cannot check it', () => {
    for (const host of ['decode.example.com', 'my-decoder', 'vllm-decode-engine-service.other.svc.cluster.local']) {
      const d = only(pd(['nixlPeerHost: pd-decode-engine-service', `nixlPeerHost: ${host}`]));
      expect(where(d)).toBe(`17:9 warning ${P}.lmcacheConfig.nixlPeerHost`);
      expect(d.message.startsWith(`\`${host}\` is outside release \`pd\``)).toBe(true);
    }
  });

  it('names engines after the release being compiled', () => {
    const d = only(PD, { release: 'prod' });
    expect(where(d)).toBe(`17:9 error ${P}.lmcacheConfig.nixlPeerHost`);
    expect(d.message).toContain('receiver `decode` is reached at `prod-decode-engine-service`');
  });

  it('accepts a NIXL port added to the engine Services with extraPorts', () => {
    const text = pd(
      ['nixlPeerPort: "55555"', 'nixlPeerPort: 5555'],
      ['nixlPeerPort: "55555"', 'nixlPeerPort: 5555'],
      ['  modelSpec:', '  extraPorts: [{name: nixl, port: 5555}]\n  modelSpec:'],
    );
    expect(diagnose(text)).toEqual([]);
  });

  it('accepts routerSpec.otel as production-stack has it (gRPC, OTLP/HTTP, empty endpoint)', () => {
    for (const otel of [
      '{endpoint: "otel-collector:4317", serviceName: "vllm-router", secure: false}',
      '{endpoint: "https://otel.example.com/v1/traces", secure: true}',
      '{endpoint: "", serviceName: "", secure: true}',
    ])
      expect(diagnose(simple(['routingLogic: roundrobin', `routingLogic: roundrobin\n  otel: ${otel}`]))).toEqual([]);
  });

  it('accepts vllmConfig.v1 and a consistent routerSpec.enablePD', () => {
    expect(diagnose(simple(['maxModelLen: 4096', 'v1: 1']))).toEqual([]);
    expect(
      diagnose(pd(['routingLogic: disaggregated_prefill', 'routingLogic: disaggregated_prefill\n  enablePD: true'])),
    ).toEqual([]);
  });

  it('skips the router checks when the router is not rendered', () => {
    expect(diagnose(simple(['routingLogic: roundrobin', 'routingLogic: session\n  enableRouter: false']))).toEqual([]);
  });

  it('rejects an invalid release name', () => {
    const d = only(SIMPLE, { release: 'Prod_1' });
    expect(where(d)).toBe('1:1 error (root)');
    expect(d.message).toMatch(/^release name `Prod_1` is not valid/);
  });
});

describe("routerSpec.extraArgs, read by the router's own parser", () => {
  it('accepts the underscore spelling the router accepts (--prefill_model_labels)', () => {
    expect(diagnose(pd(['"--prefill-model-labels", "prefill"', '"--prefill_model_labels", "prefill"']))).toEqual([]);
  });

  it('checks the value the router uses: the last of a repeated flag', () => {
    const d = only(
      pd(['"--decode-model-labels", "decode"]', '"--decode-model-labels", "decode", "--prefill-model-labels=x"]']),
    );
    expect(where(d)).toBe('39:87 error routerSpec.extraArgs[4]');
    expect(d.message).toMatch(/^--prefill-model-labels `x` matches no enabled engine/);
  });
});
