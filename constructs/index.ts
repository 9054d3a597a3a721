/** pdstack's library entry point (package `main`): typed cdk8s constructs for vLLM disaggregated prefill, and the values compiler. */
export * from './defaults.js';
export * from './engine.js';
export * from './labels.js';
export * from '../schema/facts/labels.js';
export * from './lmcache.js';
export * from '../schema/facts/lmcache.js';
export * from '../schema/facts/names.js';
export * from '../schema/facts/ports.js';
export * from './probes.js';
export * from './release-secret.js';
export * from './router.js';
export * from './stack.js';
export * from './vllm-command.js';
export * from '../schema/facts/vllm.js';
export * from './workload.js';
export * from '../schema/index.js';
