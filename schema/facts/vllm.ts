/** Which vLLM engine a model runs: what the constructs render for it and the checks of meaning compare against. */

/** The `vllmConfig` key the choice reads (structural, so this layer needs no generated types). */
export interface VllmEngineChoice {
  readonly vllmConfig?: { readonly v0?: string | number };
}

/** `vllmConfig.v0: "1"` selects vLLM's V0 engine (env `VLLM_USE_V1=0`, the V0 LMCache connector). */
export const usesV0 = (spec: Readonly<VllmEngineChoice>): boolean =>
  spec.vllmConfig?.v0 !== undefined && String(spec.vllmConfig.v0) === '1';

/** `PYTHONHASHSEED` of every engine (as production-stack sets it): vLLM's prefix-block hashes depend on it. */
export const ENGINE_PYTHONHASHSEED = '123';

/** vLLM's KV block size (tokens) when `--block-size` is not given, on CUDA. */
export const DEFAULT_VLLM_BLOCK_SIZE = '16';
