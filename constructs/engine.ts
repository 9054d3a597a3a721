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
import { ENGINE_DEFAULTS } from './defaults.js';
import { fromUser, intOrString, quantity } from './kube-json.js';
import { engineLabels } from './labels.js';
import { kvTransferConfig, lmcacheEnv } from './lmcache.js';
import * as names from '../schema/facts/names.js';
import { isPdEngine } from '../schema/facts/pd-engine.js';
import { UCX_PORT, ZMQ_PORT } from '../schema/facts/ports.js';
import { usesV0 } from '../schema/facts/vllm.js';
import { ENGINE_PROBE_DEFAULTS, probe } from './probes.js';
import { ReleaseSecret } from './release-secret.js';
import { TEMPLATES_MOUNT_PATH, vllmCommand } from './vllm-command.js';
import { deploymentStrategy, nonEmpty, podAffinity, podDisruptionBudget } from './workload.js';

/** Settings shared by every engine: `servingEngineSpec` without `modelSpec`. */
export type EngineSettings = Readonly<Omit<ServingEngineSpec, 'modelSpec'>>;

export interface VllmEngineProps {
  /** Release name: prefix of every object name (`helm install <release>`). */
  readonly release: string;
  /** Namespace of the objects. @default - the chart's namespace */
  readonly namespace?: string;
  /** The model: one `servingEngineSpec.modelSpec[]` entry of a validated values file. */
  readonly spec: Readonly<ModelSpec>;
  /** Settings shared by all engines (`servingEngineSpec` without `modelSpec`). @default - the schema defaults */
  readonly settings?: EngineSettings;
}

/** `progressDeadlineSeconds` of engine Deployments: pulling a large image and loading weights takes time. */
export const ENGINE_PROGRESS_DEADLINE_SECONDS = 1200;
/** `/dev/shm` size for tensor-parallel engines when `shmSize` is not set. */
export const DEFAULT_SHM_SIZE = '20Gi';
/** The GPU resource name when `requestGPUType` is not set. */
export const DEFAULT_GPU_RESOURCE = 'nvidia.com/gpu';
/** LoRA sidecar (`enableLoRA` with `pvcStorage`): image when `servingEngineSpec.sidecar.image` is not set, and its port. */
export const DEFAULT_LORA_SIDECAR_IMAGE = 'lmcache/lmstack-sidecar:latest';
export const LORA_SIDECAR_PORT = 30090;
/** The claim production-stack mounts at /templates when `chatTemplate` has no `chatTemplateConfigMap`. */
export const TEMPLATES_PVC = 'vllm-templates-pvc';

const HAMI_RESOURCES: ReadonlyArray<readonly [keyof ModelSpec, keyof ModelSpec, string]> = [
  ['requestGPUMem', 'limitGPUMem', 'nvidia.com/gpumem'],
  ['requestGPUMemPercentage', 'limitGPUMemPercentage', 'nvidia.com/gpumem-percentage'],
  ['requestGPUCores', 'limitGPUCores', 'nvidia.com/gpucores'],
];

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
    const { release, spec } = props;
    const settings: EngineSettings = props.settings ?? {};
    if (spec.enabled === false) {
      throw new Error(
        `VllmEngine ${spec.name}: the model is disabled (enabled: false); disabled models get no objects, so do not create an engine for it`,
      );
    }
    this.modelName = spec.name;
    const containerPort = settings.containerPort ?? ENGINE_DEFAULTS.containerPort;
    const servicePort = settings.servicePort ?? ENGINE_DEFAULTS.servicePort;
    const namespace = props.namespace;
    const selector = engineLabels(release, spec.name, settings.labels ?? ENGINE_DEFAULTS.labels);
    this.podSelector = selector;
    this.serviceName = names.engineServiceName(release, spec.name);

    // Storage: a PVC (or an existing claim, or an emptyDir) mounted at /data, where HF_HOME points.
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    const storageVolume = names.storageVolumeName(release);
    const storage = spec.pvcStorage;
    if (storage !== undefined) {
      if (typeof storage === 'object') {
        volumes.push({ name: storageVolume, emptyDir: fromUser<k8s.EmptyDirVolumeSource>(storage.emptyDir) });
      } else {
        const claimName = spec.pvcExistingClaimName ?? names.engineStorageClaimName(release, spec.name);
        if (spec.pvcExistingClaimName === undefined) {
          this.storageClaim = new k8s.KubePersistentVolumeClaim(this, 'Storage', {
            metadata: {
              name: claimName,
              namespace,
              labels: nonEmpty({ ...spec.pvcLabels }),
              annotations: nonEmpty({ ...spec.pvcAnnotations }),
            },
            spec: {
              accessModes: [...(spec.pvcAccessMode ?? ['ReadWriteOnce'])],
              resources: { requests: { storage: quantity(storage) } },
              storageClassName: spec.storageClass,
              selector: spec.pvcMatchLabels ? { matchLabels: { ...spec.pvcMatchLabels } } : undefined,
            },
          });
        }
        volumes.push({ name: storageVolume, persistentVolumeClaim: { claimName } });
      }
      mounts.push({ name: storageVolume, mountPath: '/data' });
    }
    if (spec.vllmConfig?.tensorParallelSize !== undefined) {
      volumes.push({
        name: 'shm',
        emptyDir: { medium: 'Memory', sizeLimit: quantity(spec.shmSize ?? DEFAULT_SHM_SIZE) },
      });
      mounts.push({ name: 'shm', mountPath: '/dev/shm' });
    }
    if (spec.chatTemplate) {
      if (spec.chatTemplateConfigMap !== undefined) {
        const cmName = names.engineChatTemplatesConfigMapName(release, spec.name);
        new k8s.KubeConfigMap(this, 'ChatTemplates', {
          metadata: { name: cmName, namespace },
          data: { [spec.chatTemplate]: spec.chatTemplateConfigMap },
        });
        volumes.push({ name: 'vllm-templates', configMap: { name: cmName } });
      } else {
        volumes.push({ name: 'vllm-templates', persistentVolumeClaim: { claimName: TEMPLATES_PVC } });
      }
      mounts.push({ name: 'vllm-templates', mountPath: TEMPLATES_MOUNT_PATH });
    }
    mounts.push(...fromUser<k8s.VolumeMount[]>(spec.extraVolumeMounts ?? []));
    volumes.push(...fromUser<k8s.Volume[]>(spec.extraVolumes ?? []));

    // Env, in production-stack's order (reference §1.8).
    const env: k8s.EnvVar[] = [
      { name: 'PYTHONHASHSEED', value: '123' },
      { name: 'HF_HOME', value: storage !== undefined ? '/data' : '/tmp' },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ];
    if (spec.vllmConfig) {
      if (usesV0(spec)) env.push({ name: 'VLLM_USE_V1', value: '0' });
      else env.push({ name: 'PROMETHEUS_MULTIPROC_DIR', value: spec.vllmConfig.prometheusMultiprocDir ?? '/tmp' });
    }
    if (spec.hf_token !== undefined) {
      const ref =
        typeof spec.hf_token === 'string'
          ? ReleaseSecret.keyRef(this, { release, namespace }, names.hfTokenSecretKey(spec.name), spec.hf_token)
          : { name: spec.hf_token.secretName ?? '', key: spec.hf_token.secretKey ?? '' };
      env.push({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { ...ref } } });
    }
    const apiKeyRef = ReleaseSecret.vllmApiKeyRef(this, { release, namespace }, settings.vllmApiKey);
    if (apiKeyRef) env.push({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { ...apiKeyRef } } });
    env.push(...fromUser<k8s.EnvVar[]>(settings.env ?? []), ...fromUser<k8s.EnvVar[]>(spec.env ?? []));
    for (const e of lmcacheEnv(spec, { routerServiceName: names.routerServiceName(release) })) {
      env.push(
        e.fieldRef
          ? { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldRef } } }
          : { name: e.name, value: e.value },
      );
    }
    const envFrom: k8s.EnvFromSource[] = [];
    if (nonEmpty(settings.configs)) envFrom.push({ configMapRef: { name: names.configsConfigMapName(release) } });
    if (spec.envFromSecret) envFrom.push({ secretRef: { name: spec.envFromSecret.name } });

    const containerSecurityContext = fromUser<k8s.SecurityContext>(
      settings.containerSecurityContext ?? ENGINE_DEFAULTS.containerSecurityContext,
    );
    const vllm: k8s.Container = {
      name: 'vllm',
      image: `${spec.repository}:${spec.tag}`,
      imagePullPolicy: settings.imagePullPolicy ?? ENGINE_DEFAULTS.imagePullPolicy,
      command: vllmCommand(spec, containerPort, kvTransferConfig(spec)),
      securityContext: containerSecurityContext,
      env,
      envFrom: envFrom.length > 0 ? envFrom : undefined,
      ports: [
        { name: 'container-port', containerPort },
        { name: 'zmq-port', containerPort: ZMQ_PORT },
        { name: 'ucx-port', containerPort: UCX_PORT },
      ],
      startupProbe: probe(ENGINE_PROBE_DEFAULTS.startup, containerPort, settings.startupProbe),
      livenessProbe: probe(ENGINE_PROBE_DEFAULTS.liveness, containerPort, settings.livenessProbe),
      readinessProbe: probe(ENGINE_PROBE_DEFAULTS.readiness, containerPort, settings.readinessProbe),
      resources: engineResources(spec),
      volumeMounts: mounts.length > 0 ? mounts : undefined,
    };
    const containers = [vllm];
    if (spec.enableLoRA && storage !== undefined) {
      containers.push({
        name: 'sidecar',
        image: settings.sidecar?.image ?? DEFAULT_LORA_SIDECAR_IMAGE,
        imagePullPolicy: settings.sidecar?.imagePullPolicy ?? ENGINE_DEFAULTS.imagePullPolicy,
        env: [
          { name: 'PORT', value: String(LORA_SIDECAR_PORT) },
          { name: 'LORA_DOWNLOAD_BASE_DIR', value: '/data/lora-adapters' },
        ],
        volumeMounts: [{ name: storageVolume, mountPath: '/data' }],
      });
    }
    const initContainers = spec.initContainer
      ? [this.initContainer(release, spec, containerSecurityContext, storageVolume, envFrom)]
      : undefined;

    const tolerations =
      spec.tolerationsPolicy === 'override' && (spec.tolerations?.length ?? 0) > 0
        ? (spec.tolerations ?? [])
        : [...(settings.tolerations ?? []), ...(spec.tolerations ?? [])];
    const runtimeClassName = spec.runtimeClassName ?? settings.runtimeClassName ?? ENGINE_DEFAULTS.runtimeClassName;
    const pd = isPdEngine(spec.lmcacheConfig);

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name: names.engineDeploymentName(release, spec.name),
        namespace,
        labels: { ...selector, ...spec.labels },
        annotations: nonEmpty({ ...spec.annotations }),
      },
      spec: {
        replicas: spec.replicaCount ?? ENGINE_DEFAULTS.replicaCount,
        progressDeadlineSeconds: ENGINE_PROGRESS_DEADLINE_SECONDS,
        strategy: deploymentStrategy(settings.strategy),
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { labels: { ...selector, ...spec.podLabels }, annotations: nonEmpty({ ...spec.podAnnotations }) },
          spec: {
            priorityClassName: spec.priorityClassName || undefined,
            initContainers,
            securityContext: nonEmpty(settings.securityContext)
              ? fromUser<k8s.PodSecurityContext>(settings.securityContext)
              : undefined,
            serviceAccountName: spec.serviceAccountName || undefined,
            hostIpc: pd ? true : undefined,
            hostPid: pd ? true : undefined,
            hostname: names.engineHostname(release, spec.name),
            subdomain: this.serviceName,
            containers,
            imagePullSecrets: spec.imagePullSecret ? [{ name: spec.imagePullSecret }] : undefined,
            volumes: volumes.length > 0 ? volumes : undefined,
            tolerations: tolerations.length > 0 ? fromUser<k8s.Toleration[]>(tolerations) : undefined,
            runtimeClassName: runtimeClassName || undefined,
            schedulerName: spec.schedulerName || settings.schedulerName || undefined,
            nodeName: spec.nodeName || undefined,
            affinity: podAffinity(spec.affinity, spec.nodeSelectorTerms, spec.nodeName),
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name: this.serviceName,
        namespace,
        labels: { ...selector },
        annotations: nonEmpty({ ...spec.serviceAnnotations }),
      },
      spec: {
        type: 'ClusterIP',
        selector: { ...selector },
        ports: [
          { name: 'service-port', port: servicePort, targetPort: intOrString('container-port'), protocol: 'TCP' },
          { name: 'zmq-port', port: ZMQ_PORT, targetPort: intOrString('zmq-port'), protocol: 'TCP' },
          { name: 'ucx-port', port: UCX_PORT, targetPort: intOrString('ucx-port'), protocol: 'TCP' },
          ...fromUser<k8s.ServicePort[]>(settings.extraPorts ?? []),
        ],
      },
    });

    if (spec.pdb?.enabled) {
      podDisruptionBudget(this, 'Pdb', {
        name: names.enginePdbName(release, spec.name),
        namespace,
        selector,
        pdb: spec.pdb,
      });
    }
  }

  private initContainer(
    release: string,
    spec: Readonly<ModelSpec>,
    securityContext: k8s.SecurityContext,
    storageVolume: string,
    envFrom: k8s.EnvFromSource[],
  ): k8s.Container {
    const init = spec.initContainer as Record<string, unknown> & {
      name?: string;
      image?: string;
      command?: string[];
      args?: string[];
      env?: unknown[];
      resources?: unknown;
      mountPvcStorage?: boolean;
      extraVolumeMounts?: unknown[];
    };
    const mounts: k8s.VolumeMount[] = [];
    if (init.mountPvcStorage && spec.pvcStorage !== undefined) mounts.push({ name: storageVolume, mountPath: '/data' });
    mounts.push(...fromUser<k8s.VolumeMount[]>(init.extraVolumeMounts ?? []));
    return {
      name: init.name ?? 'init',
      image: init.image,
      command: init.command,
      args: init.args,
      env: [{ name: 'RELEASE_NAME', value: release }, ...fromUser<k8s.EnvVar[]>(init.env ?? [])],
      envFrom: spec.envFromSecret ? envFrom.filter((e) => e.secretRef) : undefined,
      resources: nonEmpty(init.resources as object) ? fromUser<k8s.ResourceRequirements>(init.resources) : undefined,
      securityContext,
      volumeMounts: mounts.length > 0 ? mounts : undefined,
    };
  }
}

/** `resources` verbatim when given, else requests/limits from the simplified keys (no `limits` key when empty). */
export function engineResources(spec: Readonly<ModelSpec>): k8s.ResourceRequirements {
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
