/**
 * Label keys and fixed label values of production-stack's chart (reference §1.9, §1.10). The constructs build the
 * label maps from them (`constructs/labels.ts`), the checks of meaning and the chart's docs name them, and the
 * router reads `model` (an engine's P/D role) and `sleeping` off pods and Services.
 */

/** The pod label holding the engine's model name (`modelSpec.name`): the router classifies prefill/decode by it. */
export const MODEL_LABEL = 'model';
/** `sleeping=true` marks an engine put to sleep through the router, which sets it on the pod or Service. */
export const SLEEPING_LABEL = 'sleeping';
/** production-stack's own label of the release on engine objects. */
export const HELM_RELEASE_LABEL = 'helm-release-name';
export const NAME_LABEL = 'app.kubernetes.io/name';
/** The release: also in the router's engine selector, so two releases in one namespace stay apart. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** The chart name production-stack's labels use (`app.kubernetes.io/part-of`). */
export const PART_OF = 'vllm-stack';
/** `app.kubernetes.io/managed-by` of every object (production-stack's value: the objects come from a Helm chart). */
export const MANAGED_BY = 'helm';
/** `app.kubernetes.io/component` values. */
export const ENGINE_COMPONENT = 'serving-engine';
export const ROUTER_COMPONENT = 'router';
export const CACHE_SERVER_COMPONENT = 'cache-server';
/** `app.kubernetes.io/name` of the LMCache cache server's objects. */
export const CACHE_SERVER_NAME = 'cache-server';
/** `app.kubernetes.io/name` of the router's objects. */
export const ROUTER_NAME = 'router';
/** `app.kubernetes.io/component` of the LoRA controller's objects and of LoraAdapter custom resources. */
export const LORA_CONTROLLER_COMPONENT = 'lora-controller';
export const LORA_ADAPTER_COMPONENT = 'lora-adapter';
