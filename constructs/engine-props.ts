/**
 * `VllmEngine`'s props, designed for a TypeScript user (cdk8s-plus manner): readonly, grouped by concept, typed
 * quantities, factories where a value has several forms (`ModelStorage`, `ChatTemplate`), Kubernetes objects as the
 * typed `k8s` interfaces. `constructs/values-props.ts` (`engineProps`) maps a values file onto them.
 *
 * The concept modules (engine-container, engine-env, engine-volumes, vllm-command, lmcache, keda) render from these
 * props; only the container resources keep the values file's keys (`resourceKeysOf`), which `engineResources` and
 * the engine rules (schema/facts/engine-rules.ts, shared with the values compiler) read.
 */
import type { k8s } from 'cdk8s-plus-28';
import type { EngineRulesInput } from '../schema/facts/engine-rules.js';
import type { Quantity } from '../schema/facts/quantity.js';
import type { Keda, LmcacheConfig, ModelSpec, ServingEngineSpec, VllmConfig } from '../schema/values.generated.js';
import type { LmcacheServerEndpoint } from './cache-server.js';
import type { ProbeOverrides } from './probes.js';
import type { SecretSource } from './release-secret.js';
import type { DisruptionBudget } from './workload.js';

/** The vLLM image of an engine: `<repository>:<tag>`. */
export interface EngineImage {
  /** e.g. `vllm/vllm-openai`, or `lmcache/vllm-openai` for LMCache and NIXL. */
  readonly repository: string;
  readonly tag: string;
  /** @default ENGINE_DEFAULTS.imagePullPolicy ('Always') */
  readonly pullPolicy?: NonNullable<ServingEngineSpec['imagePullPolicy']>;
  /** The name of a Secret to pull it with. @default - none */
  readonly pullSecret?: string;
}

/** A HAMi GPU-sharing resource: request and limit. */
export interface HamiResource {
  /** @default - not requested */
  readonly request?: string | number;
  /** @default - no limit */
  readonly limit?: string | number;
}

/** What the vllm container requests (and, optionally, its limits). */
export interface EngineResources {
  /** CPU request, e.g. `Quantity.parse(8)` or `Quantity.parse('500m')`. */
  readonly cpu: Quantity;
  /** Memory request, e.g. `Quantity.parse('16Gi')`. */
  readonly memory: Quantity;
  /** GPUs (whole devices), requested and limited. @default - no GPU */
  readonly gpus?: Quantity;
  /** The GPU resource name. @default DEFAULT_GPU_RESOURCE ('nvidia.com/gpu') */
  readonly gpuType?: string;
  /** @default - no CPU limit */
  readonly cpuLimit?: Quantity;
  /** @default - no memory limit */
  readonly memoryLimit?: Quantity;
  /** HAMi GPU sharing: `nvidia.com/gpumem`, `nvidia.com/gpumem-percentage`, `nvidia.com/gpucores`. @default - none */
  readonly hami?: {
    readonly gpuMemory?: HamiResource;
    readonly gpuMemoryPercentage?: HamiResource;
    readonly gpuCores?: HamiResource;
  };
  /**
   * The container's resources verbatim, in the values file's form (`{requests: {cpu: '8'}}`), replacing all of the
   * above in the manifest (they still name the model's CPU and memory for the checks). @default - none
   */
  readonly override?: Readonly<Record<string, unknown>>;
}

/** The chat template vLLM is started with (`--chat-template /templates/<file>`). */
export class ChatTemplate {
  /** `content` stored in the ConfigMap `<release>-<model>-chat-templates` as `file`, mounted at /templates. */
  public static inline(file: string, content: string): ChatTemplate {
    return new ChatTemplate(file, content);
  }

  /** `file` of production-stack's templates claim (`vllm-templates-pvc`), mounted at /templates. */
  public static fromTemplatesClaim(file: string): ChatTemplate {
    return new ChatTemplate(file, undefined);
  }

  private constructor(
    public readonly file: string,
    /** The template text, when inline. */
    public readonly content: string | undefined,
  ) {}
}

/** `vllm serve`: the engine's flags. */
export interface EngineVllmOptions {
  /** vLLM's settings (`--max-model-len`, `--tensor-parallel-size`, ..., `extraArgs`). @default - vLLM's defaults */
  readonly config?: Readonly<VllmConfig>;
  /** `--revision`. @default - the model's default branch */
  readonly revision?: string;
  /** @default - the model's own */
  readonly chatTemplate?: ChatTemplate;
  /** `--enable-auto-tool-choice`. @default false */
  readonly enableAutoToolChoice?: boolean;
  /** `--tool-call-parser`. @default - none */
  readonly toolCallParser?: string;
  /** `--enable-lora` (with model storage: production-stack's LoRA sidecar too). @default false */
  readonly enableLora?: boolean;
}

/** The model's storage at /data (where `HF_HOME` points). */
export class ModelStorage {
  /** A PersistentVolumeClaim `<release>-<model>-storage-claim` of `size`, created with the engine. */
  public static claim(size: Quantity, options: ModelStorageClaimOptions = {}): ModelStorage {
    return new ModelStorage('claim', size, options, undefined, undefined);
  }

  /** An existing claim (none is created). */
  public static existingClaim(claimName: string): ModelStorage {
    return new ModelStorage('existing', undefined, {}, claimName, undefined);
  }

  /** An emptyDir (lost with the pod): `source` as the volume's `emptyDir`, e.g. `{ sizeLimit, medium }`. */
  public static emptyDir(source?: k8s.EmptyDirVolumeSource): ModelStorage {
    return new ModelStorage('emptyDir', undefined, {}, undefined, source);
  }

  private constructor(
    public readonly kind: 'claim' | 'existing' | 'emptyDir',
    public readonly size: Quantity | undefined,
    public readonly claimOptions: ModelStorageClaimOptions,
    public readonly claimName: string | undefined,
    public readonly emptyDirSource: k8s.EmptyDirVolumeSource | undefined,
  ) {}
}

/** The PersistentVolumeClaim a `ModelStorage.claim` creates. */
export interface ModelStorageClaimOptions {
  /** @default ['ReadWriteOnce'] */
  readonly accessModes?: readonly NonNullable<ModelSpec['pvcAccessMode']>[number][];
  /** `storageClassName` ('' disables dynamic provisioning). @default - the cluster's default class */
  readonly storageClass?: string;
  /** `selector.matchLabels`. @default - none */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The engine pod's volumes. */
export interface EngineStorage {
  /** @default - none: `HF_HOME` is /tmp (or the shared volume) */
  readonly model?: ModelStorage;
  /** `/dev/shm` size, mounted when `vllm.config.tensorParallelSize` is set. @default DEFAULT_SHM_SIZE ('20Gi') */
  readonly shmSize?: Quantity;
  /** More pod volumes. @default - none */
  readonly volumes?: readonly k8s.Volume[];
  /** More mounts of the vllm container. @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

/** Where the engine's pods run. */
export interface EngineScheduling {
  /** @default - none, or the required node affinity of `nodeSelectorTerms` */
  readonly affinity?: k8s.Affinity;
  /** Required node affinity terms (ignored with `affinity` or `nodeName`). @default - none */
  readonly nodeSelectorTerms?: readonly k8s.NodeSelectorTerm[];
  /** @default - none */
  readonly tolerations?: readonly k8s.Toleration[];
  /** @default - the scheduler's choice */
  readonly nodeName?: string;
  /** '' omits it. @default ENGINE_DEFAULTS.runtimeClassName ('nvidia') */
  readonly runtimeClassName?: string;
  /** @default - none */
  readonly priorityClassName?: string;
  /** @default - the default scheduler */
  readonly schedulerName?: string;
}

/** The vllm container's env. */
export interface EngineEnvOptions {
  /** More variables, after pdstack's and before LMCache's. @default - none */
  readonly vars?: readonly k8s.EnvVar[];
  /** A Secret whose keys become variables (`envFrom`; the init container's too). @default - none */
  readonly fromSecret?: string;
  /** The release's `<release>-configs` ConfigMap as `envFrom` (`PdStack` creates it). @default false */
  readonly fromConfigsConfigMap?: boolean;
}

/** Probes of the vllm container: each given field replaces the default's (GET /health on the container port). */
export interface EngineProbes {
  /** @default ENGINE_PROBE_DEFAULTS.startup (15 s delay, every 10 s, 60 failures) */
  readonly startup?: ProbeOverrides;
  /** @default ENGINE_PROBE_DEFAULTS.liveness (15 s delay, every 10 s, 3 failures) */
  readonly liveness?: ProbeOverrides;
  /** @default ENGINE_PROBE_DEFAULTS.readiness (15 s delay, every 5 s, 3 failures) */
  readonly readiness?: ProbeOverrides;
}

/** The engine Service `<release>-<model>-engine-service`. */
export interface EngineServiceOptions {
  /** @default ENGINE_DEFAULTS.servicePort (80) */
  readonly port?: number;
  /** More ports, after the HTTP, ZMQ and UCX ones. @default - none */
  readonly extraPorts?: readonly k8s.ServicePort[];
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Labels and annotations of an object. */
export interface EngineMetadata {
  /** Added to the engine's selector labels. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * An engine pod's init container (production-stack's `initContainer`): it runs with the vllm container's security
 * context and the model's Secret (`env.fromSecret`) as `envFrom`.
 */
export interface EngineInitContainer {
  /** @default 'init' */
  readonly name?: string;
  /** @default - none */
  readonly image?: string;
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - none */
  readonly args?: readonly string[];
  /** After `RELEASE_NAME` (and, with a cache server, `LMCACHE_SERVER_SERVICE_PORT`). @default - none */
  readonly env?: readonly k8s.EnvVar[];
  /** @default - none */
  readonly resources?: k8s.ResourceRequirements;
  /** Mount the model storage (`storage.model`) at /data, as the vllm container does. @default false */
  readonly mountModelStorage?: boolean;
  /** More volume mounts, after the model storage's. @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

/** production-stack's LoRA sidecar (`vllm.enableLora` with model storage). */
export interface EngineLoraSidecar {
  /** @default DEFAULT_LORA_SIDECAR_IMAGE ('lmcache/lmstack-sidecar:latest') */
  readonly image?: string;
  /** @default ENGINE_DEFAULTS.imagePullPolicy ('Always') */
  readonly imagePullPolicy?: NonNullable<ServingEngineSpec['imagePullPolicy']>;
}

export interface VllmEngineProps {
  /** Release name: prefix of every object name (`helm install <release>`). */
  readonly release: string;
  /** Namespace of the objects (a DNS label). @default - the chart's namespace */
  readonly namespace?: string;
  /** The model name, a DNS label: it names the objects (`<release>-<name>-deployment-vllm`) and is the pod label `model`. */
  readonly name: string;
  readonly image: EngineImage;
  /** What vLLM serves (`vllm serve <modelURL>`): a Hugging Face model id or a path. */
  readonly modelURL: string;
  readonly resources: EngineResources;
  /** The Hugging Face token (env `HF_TOKEN`). @default - none (a public model) */
  readonly hfToken?: SecretSource;
  /** The API key the engine requires (env `VLLM_API_KEY`), shared by a release's engines. @default - none: no key */
  readonly apiKey?: SecretSource;
  /** @default - vLLM's defaults, see `EngineVllmOptions` */
  readonly vllm?: EngineVllmOptions;
  /** LMCache, its P/D (NIXL) role and CPU offloading. @default - no LMCache */
  readonly lmcache?: Readonly<LmcacheConfig>;
  /** Deployment replicas (none when `keda.enabled`). @default ENGINE_DEFAULTS.replicaCount (1) */
  readonly replicas?: number;
  /** The container port vLLM listens on (`--port`). @default ENGINE_DEFAULTS.containerPort (8000) */
  readonly containerPort?: number;
  /** Labels of the pods, Deployment and Service (also the selector), beside release and model. @default ENGINE_DEFAULTS.labels ({environment: test, release: test}) */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** The Deployment's own labels and annotations. @default - none */
  readonly metadata?: EngineMetadata;
  /** The pod template's own labels and annotations. @default - none */
  readonly podMetadata?: EngineMetadata;
  /** @default - no constraint, see `EngineScheduling` */
  readonly scheduling?: EngineScheduling;
  /** @default - none */
  readonly serviceAccountName?: string;
  /** @default - none, see `EngineStorage` */
  readonly storage?: EngineStorage;
  /** @default - none, see `EngineEnvOptions` */
  readonly env?: EngineEnvOptions;
  /** @default - see `EngineProbes` */
  readonly probes?: EngineProbes;
  /** @default - see `EngineServiceOptions` */
  readonly service?: EngineServiceOptions;
  /** @default DEFAULT_ROLLING_UPDATE (RollingUpdate, maxSurge 100%, maxUnavailable 0) */
  readonly strategy?: k8s.DeploymentStrategy;
  /** @default - none */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** @default ENGINE_CONTAINER_SECURITY_CONTEXT ({runAsNonRoot: false}) */
  readonly containerSecurityContext?: k8s.SecurityContext;
  /** An init container of the pod. @default - none */
  readonly initContainer?: EngineInitContainer;
  /** @default - see `EngineLoraSidecar` */
  readonly loraSidecar?: EngineLoraSidecar;
  /** A PodDisruptionBudget `<release>-<model>-pdb-vllm` over the engine's pods. @default - none */
  readonly pdb?: DisruptionBudget;
  /** A KEDA ScaledObject `<release>-<model>-scaledobject` when `enabled` (the Deployment then has no replicas). @default - none */
  readonly keda?: Readonly<Keda>;
  /** The release's LMCache cache server (`LmcacheServer.endpoint`), used when `lmcache.enabled`. @default - none */
  readonly cacheServer?: LmcacheServerEndpoint;
  /** The claim of the release's shared volume (`SharedStorage.claimName`), mounted at /data/shared-pvc-storage. @default - none */
  readonly sharedStorageClaim?: string;
}

/** The container resource keys of the values file (`requestCPU`, ..., `resources`): what `engineResources` renders. */
export type ResourceKeys = Readonly<
  Pick<
    ModelSpec,
    | 'requestCPU'
    | 'requestMemory'
    | 'requestGPU'
    | 'requestGPUType'
    | 'limitCPU'
    | 'limitMemory'
    | 'requestGPUMem'
    | 'limitGPUMem'
    | 'requestGPUMemPercentage'
    | 'limitGPUMemPercentage'
    | 'requestGPUCores'
    | 'limitGPUCores'
    | 'resources'
  >
>;

/**
 * `resources` as the values file's keys, each quantity as given (unset ones absent): the vocabulary `engineResources`
 * (shared with the Helm chart generator) and the engine rules (schema/facts/engine-rules.ts) read.
 */
export function resourceKeysOf(r: EngineResources): ResourceKeys {
  return withoutUndefined({
    requestCPU: r.cpu.given,
    requestMemory: r.memory.given,
    requestGPU: r.gpus?.given,
    requestGPUType: r.gpuType,
    limitCPU: r.cpuLimit?.given,
    limitMemory: r.memoryLimit?.given,
    requestGPUMem: r.hami?.gpuMemory?.request,
    limitGPUMem: r.hami?.gpuMemory?.limit,
    requestGPUMemPercentage: r.hami?.gpuMemoryPercentage?.request,
    limitGPUMemPercentage: r.hami?.gpuMemoryPercentage?.limit,
    requestGPUCores: r.hami?.gpuCores?.request,
    limitGPUCores: r.hami?.gpuCores?.limit,
    resources: r.override,
  });
}

/** What the engine rules (schema/facts/engine-rules.ts) check of an engine's props. */
export function rulesInputOf(props: VllmEngineProps): EngineRulesInput {
  return withoutUndefined({
    ...resourceKeysOf(props.resources),
    replicaCount: props.replicas,
    vllmConfig: props.vllm?.config,
    lmcacheConfig: props.lmcache,
    keda: props.keda,
  });
}

const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
