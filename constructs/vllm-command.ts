/**
 * `vllmConfig` (and the model keys that become flags) → the `vllm serve` command, in production-stack's
 * exact order (reference §1.6), with two deliberate fixes: dash-form flags (`--gpu-memory-utilization`,
 * `--max-loras`), and `--no-enable-prefix-caching` only when `enablePrefixCaching` is `false` (absent means
 * vLLM's own default).
 */
import type { VllmEngineProps } from './engine-props.js';

/** The engine binary of images that do not have `vllm` on their PATH: the LMCache images keep vLLM in a venv. */
export const VLLM_BINARY_BY_REPOSITORY: Readonly<Record<string, string>> = {
  'lmcache/vllm-openai': '/opt/venv/bin/vllm',
};
/** The engine binary of every other image. */
export const DEFAULT_VLLM_BINARY = 'vllm';

/** The engine binary of an image repository (the Helm chart generator renders the same table as a template). */
export function vllmBinary(repository: string): string {
  return Object.hasOwn(VLLM_BINARY_BY_REPOSITORY, repository)
    ? VLLM_BINARY_BY_REPOSITORY[repository]!
    : DEFAULT_VLLM_BINARY;
}

/** Where chat templates are mounted in the engine container. */
export const TEMPLATES_MOUNT_PATH = '/templates';

/**
 * `kvTransferConfig` is the `--kv-transfer-config` JSON (see `lmcache.ts`), or `undefined` for none;
 * `executorBackend` vLLM's `--distributed-executor-backend` (`ray` on a KubeRay head), or `undefined` for vLLM's choice.
 */
export function vllmCommand(
  engine: Pick<VllmEngineProps, 'image' | 'modelURL' | 'vllm'>,
  containerPort: number,
  kvTransferConfig: string | undefined,
  executorBackend?: string,
): string[] {
  const cmd = [
    vllmBinary(engine.image.repository),
    'serve',
    engine.modelURL,
    '--host',
    '0.0.0.0',
    '--port',
    String(containerPort),
  ];
  if (executorBackend !== undefined) cmd.push('--distributed-executor-backend', executorBackend);
  const { vllm = {} } = engine;
  if (vllm.enableLora) cmd.push('--enable-lora');
  if (vllm.enableAutoToolChoice) cmd.push('--enable-auto-tool-choice');
  if (vllm.toolCallParser) cmd.push('--tool-call-parser', vllm.toolCallParser);
  const v = vllm.config;
  if (v) {
    if (v.enableChunkedPrefill !== undefined)
      cmd.push(v.enableChunkedPrefill ? '--enable-chunked-prefill' : '--no-enable-chunked-prefill');
    if (v.enablePrefixCaching !== undefined)
      cmd.push(v.enablePrefixCaching ? '--enable-prefix-caching' : '--no-enable-prefix-caching');
    if (v.maxModelLen !== undefined) cmd.push('--max-model-len', String(v.maxModelLen));
    if (v.dtype !== undefined) cmd.push('--dtype', v.dtype);
    if (v.tensorParallelSize !== undefined) cmd.push('--tensor-parallel-size', String(v.tensorParallelSize));
    if (v.pipelineParallelSize !== undefined) cmd.push('--pipeline-parallel-size', String(v.pipelineParallelSize));
    if (v.maxNumSeqs !== undefined) cmd.push('--max-num-seqs', String(v.maxNumSeqs));
    if (v.gpuMemoryUtilization !== undefined) cmd.push('--gpu-memory-utilization', String(v.gpuMemoryUtilization));
    if (v.maxLoras !== undefined) cmd.push('--max-loras', String(v.maxLoras));
    if (v.runner !== undefined) cmd.push('--runner', v.runner);
    if (v.convert !== undefined) cmd.push('--convert', v.convert);
    if (v.extraArgs) cmd.push(...v.extraArgs.map(String));
  }
  if (vllm.revision) cmd.push('--revision', vllm.revision);
  if (kvTransferConfig !== undefined) cmd.push('--kv-transfer-config', kvTransferConfig);
  if (vllm.chatTemplate?.file) cmd.push('--chat-template', `${TEMPLATES_MOUNT_PATH}/${vllm.chatTemplate.file}`);
  return cmd;
}
