/**
 * An engine pod's containers: `vllm` (the `vllm serve` command, ports, probes, resources), the LoRA sidecar
 * (`vllm.enableLora` with model storage) and the init container (`initContainer`), as production-stack renders them
 * (reference §1.5–1.8).
 */
import { k8s } from 'cdk8s-plus-28';
import { CACHE_SERVER_PORT_ENV } from '../schema/facts/lmcache.js';
import type { LmcacheServerEndpoint } from './cache-server.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import type { EngineInitContainer, ResourceKeys, VllmEngineProps } from './engine-props.js';
import type { EngineEnv } from './engine-env.js';
import { STORAGE_MOUNT_PATH, type EngineVolumes } from './engine-volumes.js';
import { fromUser, quantity } from './kube-json.js';
import { kvTransferConfig } from './lmcache.js';
import { UCX_PORT, ZMQ_PORT } from '../schema/facts/ports.js';
import { ENGINE_PROBE_DEFAULTS, probe } from './probes.js';
import { vllmCommand } from './vllm-command.js';
import { nonEmpty } from './workload.js';

/** The GPU resource name when `requestGPUType` is not set. */
export const DEFAULT_GPU_RESOURCE = 'nvidia.com/gpu';
/** LoRA sidecar (`vllm.enableLora` with `storage.model`): image when `loraSidecar.image` is not set, and its port. */
export const DEFAULT_LORA_SIDECAR_IMAGE = 'lmcache/lmstack-sidecar:latest';
export const LORA_SIDECAR_PORT = 30090;

const HAMI_RESOURCES: ReadonlyArray<readonly [keyof ResourceKeys, keyof ResourceKeys, string]> = [
  ['requestGPUMem', 'limitGPUMem', 'nvidia.com/gpumem'],
  ['requestGPUMemPercentage', 'limitGPUMemPercentage', 'nvidia.com/gpumem-percentage'],
  ['requestGPUCores', 'limitGPUCores', 'nvidia.com/gpucores'],
];

export interface EngineContainersProps {
  /** The engine: image, vLLM flags, ports, probes, security context, LoRA sidecar, init container, cache server. */
  readonly engine: VllmEngineProps;
  /** The vllm container's resources (`engineResources`). */
  readonly resources: k8s.ResourceRequirements;
  readonly volumes: EngineVolumes;
  readonly env: EngineEnv;
}

export interface EngineContainers {
  readonly containers: k8s.Container[];
  readonly initContainers?: k8s.Container[];
}

/** The engines' container security context when none is given (the schema's default of `servingEngineSpec`). */
export const ENGINE_CONTAINER_SECURITY_CONTEXT = fromUser<k8s.SecurityContext>(
  ENGINE_DEFAULTS.containerSecurityContext,
);

/** The vllm container's security context. */
export const engineSecurityContext = (engine: Pick<VllmEngineProps, 'containerSecurityContext'>): k8s.SecurityContext =>
  engine.containerSecurityContext ?? ENGINE_CONTAINER_SECURITY_CONTEXT;

/** The containers and init containers of an engine pod. */
export function engineContainers(props: EngineContainersProps): EngineContainers {
  const { engine, volumes, env } = props;
  const { probes = {} } = engine;
  const containerPort = engine.containerPort ?? ENGINE_DEFAULTS.containerPort;
  const securityContext = engineSecurityContext(engine);
  const vllm: k8s.Container = {
    name: 'vllm',
    image: `${engine.image.repository}:${engine.image.tag}`,
    imagePullPolicy: engine.image.pullPolicy ?? ENGINE_DEFAULTS.imagePullPolicy,
    command: vllmCommand(engine, containerPort, kvTransferConfig(engine)),
    securityContext,
    env: env.env,
    envFrom: env.envFrom.length > 0 ? env.envFrom : undefined,
    ports: [
      { name: 'container-port', containerPort },
      { name: 'zmq-port', containerPort: ZMQ_PORT },
      { name: 'ucx-port', containerPort: UCX_PORT },
    ],
    startupProbe: probe(ENGINE_PROBE_DEFAULTS.startup, containerPort, probes.startup),
    livenessProbe: probe(ENGINE_PROBE_DEFAULTS.liveness, containerPort, probes.liveness),
    readinessProbe: probe(ENGINE_PROBE_DEFAULTS.readiness, containerPort, probes.readiness),
    resources: props.resources,
    volumeMounts: volumes.mounts.length > 0 ? volumes.mounts : undefined,
  };
  const containers = [vllm];
  if (engine.vllm?.enableLora && volumes.modelStorage) {
    containers.push({
      name: 'sidecar',
      image: engine.loraSidecar?.image ?? DEFAULT_LORA_SIDECAR_IMAGE,
      imagePullPolicy: engine.loraSidecar?.imagePullPolicy ?? ENGINE_DEFAULTS.imagePullPolicy,
      env: [
        { name: 'PORT', value: String(LORA_SIDECAR_PORT) },
        { name: 'LORA_DOWNLOAD_BASE_DIR', value: `${STORAGE_MOUNT_PATH}/lora-adapters` },
      ],
      volumeMounts: [{ name: volumes.storageVolume, mountPath: STORAGE_MOUNT_PATH }],
    });
  }
  const initContainers = engine.initContainer
    ? [initContainer(engine.release, engine.initContainer, securityContext, volumes, env, engine.cacheServer)]
    : undefined;
  return { containers, initContainers };
}

/** An engine pod's init container `init`, as production-stack renders it. */
export function initContainer(
  release: string,
  init: EngineInitContainer,
  securityContext: k8s.SecurityContext,
  volumes: Pick<EngineVolumes, 'storageVolume' | 'modelStorage'>,
  env: Pick<EngineEnv, 'envFrom'>,
  cacheServer: LmcacheServerEndpoint | undefined,
): k8s.Container {
  const mounts: k8s.VolumeMount[] = [];
  if (init.mountModelStorage && volumes.modelStorage)
    mounts.push({ name: volumes.storageVolume, mountPath: STORAGE_MOUNT_PATH });
  mounts.push(...(init.volumeMounts ?? []));
  // the model's Secret (`env.fromSecret`), not the release's configs ConfigMap
  const secrets = env.envFrom.filter((e) => e.secretRef);
  return {
    name: init.name ?? 'init',
    image: init.image,
    command: init.command as string[] | undefined,
    args: init.args as string[] | undefined,
    env: [
      { name: 'RELEASE_NAME', value: release },
      ...(cacheServer ? [{ name: CACHE_SERVER_PORT_ENV, value: String(cacheServer.servicePort) }] : []),
      ...(init.env ?? []),
    ],
    envFrom: secrets.length > 0 ? secrets : undefined,
    resources: nonEmpty(init.resources),
    securityContext,
    volumeMounts: mounts.length > 0 ? mounts : undefined,
  };
}

/** `resources` verbatim when given, else requests/limits from the simplified keys (no `limits` key when empty). */
export function engineResources(spec: ResourceKeys): k8s.ResourceRequirements {
  if (nonEmpty(spec.resources)) return fromUser<k8s.ResourceRequirements>(spec.resources);
  const requests: Record<string, k8s.Quantity> = {
    memory: quantity(spec.requestMemory),
    cpu: quantity(spec.requestCPU),
  };
  const limits: Record<string, k8s.Quantity> = {};
  if (spec.requestGPU !== undefined && Math.trunc(Number(spec.requestGPU)) > 0) {
    const gpu = spec.requestGPUType ?? DEFAULT_GPU_RESOURCE;
    requests[gpu] = quantity(spec.requestGPU);
    limits[gpu] = quantity(spec.requestGPU);
  }
  for (const [requestKey, limitKey, resource] of HAMI_RESOURCES) {
    const request = spec[requestKey];
    const limit = spec[limitKey];
    if (request !== undefined) requests[resource] = quantity(request as string | number);
    if (limit !== undefined) limits[resource] = quantity(limit as string | number);
  }
  if (spec.limitCPU !== undefined) limits.cpu = quantity(spec.limitCPU);
  if (spec.limitMemory !== undefined) limits.memory = quantity(spec.limitMemory);
  return { requests, limits: Object.keys(limits).length > 0 ? limits : undefined };
}
