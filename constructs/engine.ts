/**
 * `VllmEngine`: one `servingEngineSpec.modelSpec[]` entry → Deployment `<release>-<model>-deployment-vllm`,
 * Service `<release>-<model>-engine-service`, PVC `<release>-<model>-storage-claim`, its entry in the release
 * Secret, and (when asked for) its chat-template ConfigMap and PodDisruptionBudget — rendered as
 * production-stack's `deployment-vllm-multi.yaml` does (reference §1.5–1.9), on the typed `k8s` L1 classes
 * (cdk8s-plus cannot express GPUs, runtimeClassName, hostIPC; and its defaults break vLLM pods).
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ModelSpec, ServingEngineSpec } from '../schema/values.generated.js';
import type { LmcacheServerEndpoint } from './cache-server.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { engineContainers } from './engine-container.js';
import { engineEnv, type EngineEnv } from './engine-env.js';
import { modelEngineService } from './engine-service.js';
import { engineVolumes, type EngineVolumes } from './engine-volumes.js';
import { EngineScaledObject } from './keda.js';
import { engineLabels } from './labels.js';
import * as names from '../schema/facts/names.js';
import { sharesHostIpcPid } from '../schema/facts/pd-engine.js';
import { deploymentStrategy, enginePodPlacement, nonEmpty, podDisruptionBudget } from './workload.js';
import { requireValidEngine } from './invariants.js';
import type { SecretSource } from './release-secret.js';
import type { Quantity } from '../schema/facts/quantity.js';
import { requireUniqueObjects } from './unique-objects.js';

/** Settings shared by every engine: `servingEngineSpec` without `modelSpec` and `vllmApiKey` (the `apiKey` prop). */
export type EngineSettings = Readonly<Omit<ServingEngineSpec, 'modelSpec' | 'vllmApiKey'>>;

/** The vLLM image of an engine: `<repository>:<tag>`. */
export interface EngineImage {
  /** e.g. `vllm/vllm-openai`, or `lmcache/vllm-openai` for LMCache and NIXL. */
  readonly repository: string;
  readonly tag: string;
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
}

/** The `modelSpec[]` keys that have props of their own in `VllmEngineProps`. */
type KeysWithProps =
  | 'name'
  | 'enabled'
  | 'repository'
  | 'tag'
  | 'modelURL'
  | 'requestCPU'
  | 'requestMemory'
  | 'requestGPU'
  | 'requestGPUType'
  | 'limitCPU'
  | 'limitMemory'
  | 'hf_token';

/**
 * The other `modelSpec[]` keys, as the values file writes them (`vllmConfig`, `lmcacheConfig`, storage,
 * scheduling, labels, ...; see `schema/values.schema.json` for each key and its default).
 */
export type EngineOptions = Readonly<Omit<ModelSpec, KeysWithProps>>;

export interface VllmEngineProps {
  /** Release name: prefix of every object name (`helm install <release>`). */
  readonly release: string;
  /** Namespace of the objects. @default - the chart's namespace */
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
  /** Every other setting of the model. @default - none: the schema's defaults */
  readonly options?: EngineOptions;
  /** Settings shared by all engines (`servingEngineSpec` without `modelSpec`). @default - the schema defaults */
  readonly settings?: EngineSettings;
  /** The release's LMCache cache server (`LmcacheServer.endpoint`), used when `lmcacheConfig.enabled`. @default - none */
  readonly cacheServer?: LmcacheServerEndpoint;
  /** The claim of the release's shared volume (`SharedStorage.claimName`), mounted at /data/shared-pvc-storage. @default - none */
  readonly sharedStorageClaim?: string;
}

/** The model's settings in the values file's shape, which the concept modules render (`hf_token` aside). */
export function modelSpecOf(props: VllmEngineProps): ModelSpec {
  const { cpu, memory, gpus, gpuType, cpuLimit, memoryLimit } = props.resources;
  const spec: ModelSpec = {
    ...props.options,
    name: props.name,
    repository: props.image.repository,
    tag: props.image.tag,
    modelURL: props.modelURL,
    requestCPU: cpu.given,
    requestMemory: memory.given,
  };
  if (gpus !== undefined) spec.requestGPU = gpus.given;
  if (gpuType !== undefined) spec.requestGPUType = gpuType;
  if (cpuLimit !== undefined) spec.limitCPU = cpuLimit.given;
  if (memoryLimit !== undefined) spec.limitMemory = memoryLimit.given;
  return spec;
}

/**
 * An engine's volumes (its PVC and chat-template ConfigMap added to `scope`) and its vllm container's env (literal
 * secrets added to the release Secret), whatever runs vLLM: a Deployment (`VllmEngine`) or a RayCluster.
 */
export function engineVolumesAndEnv(
  scope: Construct,
  props: VllmEngineProps,
  spec: Readonly<ModelSpec>,
  settings: EngineSettings,
): { readonly volumes: EngineVolumes; readonly env: EngineEnv } {
  const { release, namespace, sharedStorageClaim, cacheServer, hfToken, apiKey } = props;
  const volumes = engineVolumes(scope, { release, namespace, spec, sharedStorageClaim });
  const sharedStorage = sharedStorageClaim !== undefined;
  const env = engineEnv(scope, { release, namespace, spec, settings, cacheServer, hfToken, apiKey, sharedStorage });
  return { volumes, env };
}

/** `progressDeadlineSeconds` of engine Deployments: pulling a large image and loading weights takes time. */
export const ENGINE_PROGRESS_DEADLINE_SECONDS = 1200;

export class VllmEngine extends Construct {
  /** The model name (`modelSpec.name`), also the pod label `model` the router classifies P/D by. */
  public readonly modelName: string;
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  /** The Service name other engines (a NIXL sender's `nixlPeerHost`) and the router reach this engine by. */
  public readonly serviceName: string;
  public readonly storageClaim?: ApiObject;
  /** Labels of the pods (also the Service and Deployment selector). */
  public readonly podSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: VllmEngineProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace } = props;
    const spec = modelSpecOf(props);
    requireValidEngine(release, namespace, spec);
    const settings: EngineSettings = props.settings ?? {};
    this.modelName = spec.name;
    const selector = engineLabels(release, spec.name, settings.labels ?? ENGINE_DEFAULTS.labels);
    this.podSelector = selector;
    this.serviceName = names.engineServiceName(release, spec.name);

    const { volumes, env } = engineVolumesAndEnv(this, props, spec, settings);
    this.storageClaim = volumes.storageClaim;
    const { cacheServer } = props;
    const { containers, initContainers } = engineContainers({ release, spec, settings, volumes, env, cacheServer });
    const hostIpcPid = sharesHostIpcPid(spec.lmcacheConfig);

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name: names.engineDeploymentName(release, spec.name),
        namespace,
        labels: { ...selector, ...spec.labels },
        annotations: nonEmpty({ ...spec.annotations }),
      },
      spec: {
        // KEDA owns the replicas of a model it scales
        replicas: spec.keda?.enabled ? undefined : (spec.replicaCount ?? ENGINE_DEFAULTS.replicaCount),
        progressDeadlineSeconds: ENGINE_PROGRESS_DEADLINE_SECONDS,
        strategy: deploymentStrategy(settings.strategy),
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { labels: { ...selector, ...spec.podLabels }, annotations: nonEmpty({ ...spec.podAnnotations }) },
          spec: {
            ...enginePodPlacement(spec, settings),
            initContainers,
            hostIpc: hostIpcPid ? true : undefined,
            hostPid: hostIpcPid ? true : undefined,
            hostname: names.engineHostname(release, spec.name),
            subdomain: this.serviceName,
            containers,
            volumes: volumes.volumes.length > 0 ? volumes.volumes : undefined,
          },
        },
      },
    });

    this.service = modelEngineService(this, { name: this.serviceName, namespace, spec, settings, selector });

    if (spec.keda?.enabled)
      new EngineScaledObject(this, 'ScaledObject', { release, namespace, spec, labels: selector });

    // a model's pdb replaces servingEngineSpec.pdb whole
    const pdb = spec.pdb ?? settings.pdb;
    if (pdb?.enabled) {
      podDisruptionBudget(this, 'Pdb', { name: names.enginePdbName(release, spec.name), namespace, selector, pdb });
    }
  }
}
