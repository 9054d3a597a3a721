/**
 * The values file → construct props: the thin mapping `PdStack` (and so `pdstack synth` and the chart generator)
 * builds its engines and router with. Quantities are parsed and secrets take their factory here; every other key passes through
 * as the values file writes it. The values were checked by the compiler, which applies the rules the constructors
 * enforce (schema/facts/), so nothing here throws for values that passed `pdstack validate`.
 */
import { Quantity } from '../schema/facts/quantity.js';
import type { ModelSpec, RouterSpec } from '../schema/values.generated.js';
import type { EngineSettings, VllmEngineProps } from './engine.js';
import { SecretSource } from './release-secret.js';
import type { RouterEngineDiscovery, VllmRouterProps } from './router.js';

/** The props of the engine of one enabled `modelSpec[]` entry. */
export function engineProps(
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
  settings: EngineSettings,
): VllmEngineProps {
  const {
    name,
    enabled: _enabled,
    repository,
    tag,
    modelURL,
    requestCPU,
    requestMemory,
    requestGPU,
    requestGPUType,
    limitCPU,
    limitMemory,
    hf_token,
    ...options
  } = spec;
  const quantity = (value: string | number | undefined, key: string): Quantity | undefined =>
    value === undefined ? undefined : Quantity.parse(value, key);
  return {
    release,
    namespace,
    name,
    image: { repository, tag: String(tag) },
    modelURL,
    resources: {
      cpu: Quantity.parse(requestCPU, 'requestCPU'),
      memory: Quantity.parse(requestMemory, 'requestMemory'),
      gpus: quantity(requestGPU, 'requestGPU'),
      gpuType: requestGPUType,
      cpuLimit: quantity(limitCPU, 'limitCPU'),
      memoryLimit: quantity(limitMemory, 'limitMemory'),
    },
    hfToken: SecretSource.fromValues(hf_token),
    options,
    settings,
  };
}

/** The props of the router of `routerSpec` (when it is enabled). */
export function routerProps(
  release: string,
  namespace: string,
  routerSpec: Readonly<RouterSpec>,
  engines: RouterEngineDiscovery,
): VllmRouterProps {
  const { enableRouter: _enableRouter, hf_token, ...spec } = routerSpec;
  return { release, namespace, spec, hfToken: SecretSource.fromValues(hf_token), engines };
}
