/** Values fixtures for construct tests: the bundled example, parsed without the compiler (library use). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { PACKAGE_ROOT } from '../../schema/paths.js';
import type { PdstackValues } from '../../schema/values.generated.js';

export const REPO = PACKAGE_ROOT;
export const EXAMPLE_VALUES_FILE = join(REPO, 'charts', 'example', 'values.yaml');
/** The tutorial's values file as shipped in ../shared/reference (present in CI and on developer machines). */
export const REFERENCE_TUTORIAL_FILE = join(REPO, '..', 'shared', 'reference', 'values-16-disagg-prefill.yaml');
/** The repository's byte-identical copy of it (a test compares the two when the reference is present). */
export const TUTORIAL_VALUES_FILE = join(REPO, 'test', 'fixtures', 'values', 'tutorial-16.yaml');

export function exampleValues(): PdstackValues {
  return load(readFileSync(EXAMPLE_VALUES_FILE, 'utf8')) as PdstackValues;
}

/** A KubeRay model `ray` and a Deployment model `opt`, InferencePools enabled. */
export const RAY_AND_PLAIN = `servingEngineSpec:
  pdstackInferencePool: {enabled: true}
  modelSpec:
  - {name: ray, repository: vllm/vllm-openai, tag: latest, modelURL: facebook/opt-125m, requestCPU: 1, requestMemory: 1Gi,
     requestGPU: 1, raySpec: {enabled: true, headNode: {requestCPU: 1, requestMemory: 1Gi, requestGPU: 1}}}
  - {name: opt, repository: vllm/vllm-openai, tag: latest, modelURL: facebook/opt-125m, requestCPU: 1, requestMemory: 1Gi}
`;
