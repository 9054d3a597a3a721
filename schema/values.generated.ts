/* Generated from schema/values.schema.json by schema/codegen.ts (npm run gen:types). Do not edit. */

/**
 * A literal value (stored in the release Secret) or a reference to a key of an existing Secret
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "secretValue".
 */
export type SecretValue = string | SecretRef;
/**
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "dnsLabel".
 */
export type DnsLabel = string;
/**
 * A Kubernetes resource quantity, e.g. 8, 500m, 30Gi, 1.5
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "quantity".
 */
export type Quantity = number | string;
/**
 * A TCP port, as a number or a string of digits
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "portString".
 */
export type PortString = number | string;
/**
 * A number of bytes, as an integer or a string of digits
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "byteCount".
 */
export type ByteCount = number | string;
/**
 * A size in GB (LMCache reads it as a float), as a number or a numeric string
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "gigabytes".
 */
export type Gigabytes = number | string;
/**
 * Kubernetes EnvVar objects, appended verbatim
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "envVars".
 */
export type EnvVars = {
  name: string;
  [k: string]: unknown;
}[];
/**
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "imagePullPolicy".
 */
export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/**
 * Values of a pdstack chart: a vLLM production-stack values file (servingEngineSpec + routerSpec). Generated file: edit schema/values.schema.json in the pdstack repository.
 */
export interface PdstackValues {
  /**
   * Helm global values (unused; accepted so the chart works as a subchart)
   */
  global?: {
    [k: string]: unknown;
  };
  /**
   * Serving engines
   *
   * @default {}
   */
  servingEngineSpec?: ServingEngineSpec;
  /**
   * The router
   *
   * @default {}
   */
  routerSpec?: RouterSpec;
  /**
   * The LMCache cache server
   *
   * @default {}
   */
  cacheserverSpec?: CacheserverSpec;
  /**
   * Extra Kubernetes objects rendered as given: each a mapping, or YAML text of one or more; {{ .Release.Name }}, {{ .Release.Namespace }} and {{ .Values.<key>... }} in them are evaluated (as production-stack's tpl does)
   *
   * @default []
   */
  extraObjects?: (
    | {
        [k: string]: unknown;
      }
    | string
  )[];
  /**
   * production-stack's kube-prometheus-stack subchart, not deployed by pdstack: accepted disabled (`enabled: false`, production-stack's default); its other keys, the subchart's values, are not read
   */
  "kube-prometheus-stack"?: Subchart;
  /**
   * production-stack's prometheus-adapter subchart, not deployed by pdstack: accepted disabled (`enabled: false`, production-stack's default); its other keys, the subchart's values, are not read
   */
  "prometheus-adapter"?: Subchart;
  /**
   * Grafana dashboards in ConfigMaps for the Grafana sidecar
   *
   * @default {}
   */
  grafanaDashboards?: GrafanaDashboardsSpec;
  /**
   * A volume shared by every engine
   *
   * @default {}
   */
  sharedPvcStorage?: SharedPvcStorage;
  /**
   * The LoRA controller
   *
   * @default {}
   */
  loraController?: LoraController;
  /**
   * LoraAdapter custom resources
   *
   * @default []
   */
  loraAdapters?: LoraAdapter[];
}
/**
 * Serving engines
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "servingEngineSpec".
 */
export interface ServingEngineSpec {
  /**
   * Render engine objects
   *
   * @default true
   */
  enableEngine?: boolean;
  /**
   * Labels on engine Deployments, pods and Services, and the router's --k8s-label-selector
   *
   * @default {"environment":"test","release":"test"}
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Extra engine Service ports
   */
  extraPorts?: {
    [k: string]: unknown;
  }[];
  /**
   * VLLM_API_KEY for engines and router: a literal (stored in <release>-secrets) or {secretName, secretKey}
   */
  vllmApiKey?: SecretValue;
  /**
   * Served models
   *
   * @default []
   */
  modelSpec?: ModelSpec[];
  /**
   * Engine container port (--port)
   *
   * @default 8000
   */
  containerPort?: number;
  /**
   * Engine Service port
   *
   * @default 80
   */
  servicePort?: number;
  /**
   * ConfigMap <release>-configs injected with envFrom
   */
  configs?: {
    [k: string]: string;
  };
  /**
   * Engine Deployment strategy (default RollingUpdate maxSurge 100%, maxUnavailable 0)
   */
  strategy?: {
    [k: string]: unknown;
  };
  /**
   * Engine startup probe (default initialDelay 15, period 10, failureThreshold 60, GET /health)
   */
  startupProbe?: Probe;
  /**
   * Engine liveness probe (default 15, 10, 3, GET /health)
   */
  livenessProbe?: Probe;
  /**
   * Engine readiness probe (default 15, 5, 3, GET /health)
   */
  readinessProbe?: Probe;
  /**
   * Tolerations of every engine
   */
  tolerations?: {
    [k: string]: unknown;
  }[];
  /**
   * Engine pod runtimeClassName; "" omits it
   *
   * @default "nvidia"
   */
  runtimeClassName?: string;
  /**
   * Engine pod schedulerName
   */
  schedulerName?: string;
  /**
   * vllm container imagePullPolicy
   *
   * @default "Always"
   */
  imagePullPolicy?: ImagePullPolicy & string;
  /**
   * Engine pod securityContext
   */
  securityContext?: {
    [k: string]: unknown;
  };
  /**
   * vllm container securityContext
   *
   * @default {"runAsNonRoot":false}
   */
  containerSecurityContext?: {
    [k: string]: unknown;
  };
  /**
   * LoRA sidecar
   */
  sidecar?: {
    /**
     * Image
     */
    image?: string;
    imagePullPolicy?: ImagePullPolicy;
  };
  serviceMonitor?: ServiceMonitor;
  /**
   * PodDisruptionBudget of every model without its own modelSpec[].pdb (a model's pdb replaces it whole)
   */
  pdb?: Pdb;
  /**
   * Env vars of every vllm container
   */
  env?: EnvVars;
  /**
   * pdstack extension: Gateway API Inference Extension InferencePools over the engines (off by default)
   */
  pdstackInferencePool?: InferencePool;
}
/**
 * A reference to a key of an existing Secret
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "secretRef".
 */
export interface SecretRef {
  /**
   * Name of the Secret
   */
  secretName: string;
  /**
   * Key within the Secret
   */
  secretKey: string;
}
/**
 * One served model: a Deployment, a Service, a PVC and a Secret entry
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "modelSpec".
 */
export interface ModelSpec {
  /**
   * Model name: object names <release>-<name>-..., pod label model=<name>
   */
  name: DnsLabel;
  /**
   * false renders no objects for this model
   *
   * @default true
   */
  enabled?: boolean;
  /**
   * Deployment annotations
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Pod annotations
   */
  podAnnotations?: {
    [k: string]: string;
  };
  /**
   * Extra Deployment labels (pods are always labelled model=<name>)
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Extra pod labels
   */
  podLabels?: {
    [k: string]: string;
  };
  /**
   * Pod serviceAccountName
   */
  serviceAccountName?: string;
  /**
   * Pod priorityClassName
   */
  priorityClassName?: string;
  /**
   * Overrides servingEngineSpec.runtimeClassName; "" omits it
   */
  runtimeClassName?: string;
  /**
   * Pod schedulerName (overrides the global one)
   */
  schedulerName?: string;
  /**
   * Engine image repository
   */
  repository: string;
  /**
   * Engine image tag
   */
  tag: string | number;
  /**
   * Name of an image pull Secret
   */
  imagePullSecret?: string;
  /**
   * Model to serve (positional argument of vllm serve)
   */
  modelURL: string;
  /**
   * --revision
   */
  modelRevision?: string;
  /**
   * --chat-template /templates/<chatTemplate>
   */
  chatTemplate?: string;
  /**
   * Content of the chat template file, stored in ConfigMap <release>-<name>-chat-templates
   */
  chatTemplateConfigMap?: string;
  /**
   * --enable-auto-tool-choice
   */
  enableTool?: boolean;
  /**
   * --tool-call-parser
   */
  toolCallParser?: string;
  /**
   * Deployment replicas (a KubeRay model: Ray worker pods)
   *
   * @default 1
   */
  replicaCount?: number;
  /**
   * Container resources used verbatim (replaces requestCPU/requestMemory/requestGPU/limit*)
   */
  resources?: {
    [k: string]: unknown;
  };
  /**
   * CPU request, e.g. 8 or 500m
   */
  requestCPU: Quantity;
  /**
   * Memory request, e.g. 30Gi
   */
  requestMemory: Quantity;
  /**
   * GPU request and limit (resource requestGPUType)
   */
  requestGPU?: Quantity;
  /**
   * GPU resource name (default nvidia.com/gpu)
   */
  requestGPUType?: string;
  /**
   * HAMi nvidia.com/gpumem request
   */
  requestGPUMem?: string | number;
  /**
   * HAMi nvidia.com/gpumem-percentage request
   */
  requestGPUMemPercentage?: string | number;
  /**
   * HAMi nvidia.com/gpucores request
   */
  requestGPUCores?: string | number;
  /**
   * CPU limit
   */
  limitCPU?: Quantity;
  /**
   * Memory limit
   */
  limitMemory?: Quantity;
  /**
   * HAMi nvidia.com/gpumem limit
   */
  limitGPUMem?: string | number;
  /**
   * HAMi nvidia.com/gpumem-percentage limit
   */
  limitGPUMemPercentage?: string | number;
  /**
   * HAMi nvidia.com/gpucores limit
   */
  limitGPUCores?: string | number;
  /**
   * Model cache volume at /data: a size (PVC <release>-<name>-storage-claim) or {emptyDir: {...}}
   */
  pvcStorage?:
    | Quantity
    | {
        /**
         * emptyDir spec
         */
        emptyDir: {
          [k: string]: unknown;
        };
      };
  /**
   * Use this existing claim instead of creating one
   */
  pvcExistingClaimName?: string;
  /**
   * PVC accessModes (default [ReadWriteOnce])
   */
  pvcAccessMode?: ("ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod")[];
  /**
   * PVC storageClassName ("" disables dynamic provisioning)
   */
  storageClass?: string;
  /**
   * PVC selector.matchLabels
   */
  pvcMatchLabels?: {
    [k: string]: string;
  };
  /**
   * PVC labels
   */
  pvcLabels?: {
    [k: string]: string;
  };
  /**
   * PVC annotations
   */
  pvcAnnotations?: {
    [k: string]: string;
  };
  /**
   * Extra pod volumes
   */
  extraVolumes?: {
    [k: string]: unknown;
  }[];
  /**
   * Extra vllm container volume mounts
   */
  extraVolumeMounts?: {
    [k: string]: unknown;
  }[];
  /**
   * Init container (name, image, command, args, env, resources, mountPvcStorage, extraVolumeMounts)
   */
  initContainer?: {
    [k: string]: unknown;
  };
  vllmConfig?: VllmConfig;
  lmcacheConfig?: LmcacheConfig;
  /**
   * Hugging Face token: a literal (stored as hf_token_<name> in <release>-secrets) or {secretName, secretKey}
   */
  hf_token?: SecretValue;
  /**
   * envFrom a Secret: every key of Secret `name` becomes an env variable. `{}` (production-stack's default) references none
   */
  envFromSecret?: {
    /**
     * Secret name
     */
    name?: string;
  };
  env?: EnvVars;
  /**
   * Pod affinity (wins over nodeSelectorTerms)
   */
  affinity?: {
    [k: string]: unknown;
  };
  /**
   * Required node affinity terms
   */
  nodeSelectorTerms?: {
    [k: string]: unknown;
  }[];
  /**
   * Pod nodeName
   */
  nodeName?: string;
  /**
   * Tolerations
   */
  tolerations?: {
    [k: string]: unknown;
  }[];
  /**
   * append: global ++ model tolerations; override: model only
   */
  tolerationsPolicy?: "append" | "override";
  /**
   * /dev/shm size when tensorParallelSize is set (default 20Gi)
   */
  shmSize?: Quantity;
  /**
   * Engine Service annotations
   */
  serviceAnnotations?: {
    [k: string]: string;
  };
  /**
   * --enable-lora
   */
  enableLoRA?: boolean;
  keda?: Keda;
  /**
   * Deploy the model as a KubeRay RayCluster <release>-<name>-raycluster (a head pod and replicaCount worker pods) instead of a Deployment: vLLM runs on the head with --distributed-executor-backend ray
   */
  raySpec?: {
    /**
     * Render a RayCluster (and no Deployment) for this model
     *
     * @default false
     */
    enabled?: boolean;
    /**
     * The head pod's vllm container: vLLM's API server and first rank run there (workers take the model's request* /limit* /resources/initContainer)
     */
    headNode?: {
      /**
       * Head CPU request, e.g. 4 or 500m
       */
      requestCPU: Quantity;
      /**
       * Head memory request, e.g. 16Gi
       */
      requestMemory: Quantity;
      /**
       * Head GPUs, requested and limited (resource requestGPUType); KubeRay gives Ray the GPUs of the limits
       */
      requestGPU?: Quantity;
      /**
       * GPU resource name of the head (default nvidia.com/gpu)
       */
      requestGPUType?: string;
      /**
       * Head CPU limit
       */
      limitCPU?: Quantity;
      /**
       * Head memory limit
       */
      limitMemory?: Quantity;
      /**
       * Head container resources used verbatim (replaces the head's request* /limit*)
       */
      resources?: {
        [k: string]: unknown;
      };
      /**
       * Init container of the head pod, in modelSpec.initContainer's shape (the workers run modelSpec.initContainer)
       */
      initContainer?: {
        [k: string]: unknown;
      };
    };
  };
  pdb?: Pdb;
}
/**
 * vLLM engine flags (each present key becomes a flag of `vllm serve`)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "vllmConfig".
 */
export interface VllmConfig {
  /**
   * --enable-chunked-prefill / --no-enable-chunked-prefill (only when set)
   */
  enableChunkedPrefill?: boolean;
  /**
   * --enable-prefix-caching when true, --no-enable-prefix-caching when false; nothing when absent (vLLM default)
   */
  enablePrefixCaching?: boolean;
  /**
   * --max-model-len
   */
  maxModelLen?: number;
  /**
   * --dtype
   */
  dtype?: string;
  /**
   * --tensor-parallel-size (also mounts a /dev/shm emptyDir of shmSize)
   */
  tensorParallelSize?: number;
  /**
   * --pipeline-parallel-size (KubeRay models only: raySpec.enabled); tensorParallelSize x pipelineParallelSize GPUs across the Ray cluster
   */
  pipelineParallelSize?: number;
  /**
   * --max-num-seqs
   */
  maxNumSeqs?: number;
  /**
   * --gpu-memory-utilization, in (0, 1]
   */
  gpuMemoryUtilization?: number | string;
  /**
   * --max-loras
   */
  maxLoras?: number;
  /**
   * --runner
   */
  runner?: "auto" | "pooling";
  /**
   * --convert
   */
  convert?: "token_embed" | "embed" | "token_classify" | "classify" | "score";
  /**
   * Extra arguments appended to `vllm serve` verbatim
   */
  extraArgs?: string[];
  /**
   * "1" selects the V0 engine (env VLLM_USE_V1=0, LMCacheConnector)
   */
  v0?: string | number;
  /**
   * Accepted for compatibility: 1 asserts the V1 engine (vLLM's default), so it renders nothing; it is an error together with v0: "1"
   */
  v1?: string | number;
  /**
   * PROMETHEUS_MULTIPROC_DIR (default /tmp)
   */
  prometheusMultiprocDir?: string;
}
/**
 * LMCache KV connector settings (rendered as --kv-transfer-config and LMCACHE_* env vars)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "lmcacheConfig".
 */
export interface LmcacheConfig {
  /**
   * Use LMCache as the KV connector
   */
  enabled?: boolean;
  /**
   * LMCACHE_LOG_LEVEL (default INFO)
   */
  logLevel?: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  /**
   * kv_role of the connector (default kv_both)
   */
  kvRole?: "kv_producer" | "kv_consumer" | "kv_both";
  /**
   * CUDA_VISIBLE_DEVICES, e.g. "0" or "0,1"
   */
  cudaVisibleDevices?: string | number;
  /**
   * Disaggregated prefill over NIXL: hostIPC/hostPID, UCX_TLS, LMCACHE_NIXL_* env vars
   */
  enablePD?: boolean;
  /**
   * LMCACHE_ENABLE_NIXL
   */
  enableNixl?: boolean;
  /**
   * LMCACHE_NIXL_ROLE: sender (prefill) or receiver (decode)
   */
  nixlRole?: "sender" | "receiver";
  /**
   * LMCACHE_NIXL_RECEIVER_HOST: on a sender the receiver engine Service; on a receiver the bind address
   */
  nixlPeerHost?: string;
  /**
   * LMCACHE_NIXL_RECEIVER_PORT
   */
  nixlPeerPort?: PortString;
  /**
   * LMCACHE_NIXL_BUFFER_SIZE in bytes
   */
  nixlBufferSize?: ByteCount;
  /**
   * LMCACHE_NIXL_BUFFER_DEVICE
   */
  nixlBufferDevice?: "cuda" | "cpu";
  /**
   * LMCACHE_NIXL_ENABLE_GC
   */
  nixlEnableGc?: boolean;
  /**
   * pdstack addition. A P/D engine (enabled and enablePD) shares the node's IPC and PID namespaces (hostIPC, hostPID) so UCX can move the KV cache by CUDA IPC between prefill and decode pods of one node (default, as production-stack). false: neither, and UCX_TLS without cuda_ipc, for NIXL over transports that need no shared namespace (TCP, RDMA)
   */
  pdstackHostIpcPid?: boolean;
  /**
   * LMCACHE_MAX_LOCAL_CPU_SIZE in GB (> 0 enables LMCACHE_LOCAL_CPU)
   */
  cpuOffloadingBufferSize?: Gigabytes;
  /**
   * LMCACHE_MAX_LOCAL_DISK_SIZE in GB
   */
  diskOffloadingBufferSize?: Gigabytes;
  /**
   * LMCACHE_ENABLE_CONTROLLER
   */
  enableController?: boolean;
  /**
   * LMCACHE_LMCACHE_INSTANCE_ID (default: the pod name)
   */
  instanceId?: string;
  /**
   * LMCACHE_CONTROLLER_PULL_URL port on the router Service
   */
  controllerPort?: PortString;
  /**
   * LMCACHE_CONTROLLER_REPLY_URL port on the router Service
   */
  controllerReplyPort?: PortString;
  /**
   * LMCACHE_LMCACHE_WORKER_PORTS
   */
  workerPorts?: string | number;
  /**
   * LMCACHE_P2P_HOST
   */
  p2pHost?: string;
  /**
   * LMCACHE_P2P_INIT_PORTS
   */
  p2pInitPorts?: string | number;
  /**
   * LMCACHE_LMCACHE_WORKER_HEARTBEAT_TIME
   */
  workerHeartbeatTime?: string | number;
}
/**
 * KEDA autoscaling of the model's Deployment: ScaledObject <release>-<model>-scaledobject (keda.sh/v1alpha1); the Deployment gets no replicas (KEDA owns them). Without triggers, pdstack's defaults: queued requests (vllm:num_requests_waiting), on a P/D decode engine KV-cache usage
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "keda".
 */
export interface Keda {
  /**
   * Render the ScaledObject
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * minReplicaCount (KEDA default 0: scale to zero)
   */
  minReplicaCount?: number;
  /**
   * maxReplicaCount (KEDA default 100)
   */
  maxReplicaCount?: number;
  /**
   * Seconds between trigger checks (KEDA default 30)
   */
  pollingInterval?: number;
  /**
   * Seconds after the last active trigger before scaling to idleReplicaCount/0 (KEDA default 300)
   */
  cooldownPeriod?: number;
  /**
   * Replicas while no trigger is active (below minReplicaCount)
   */
  idleReplicaCount?: number;
  /**
   * Seconds after creation before the first scale-in
   */
  initialCooldownPeriod?: number;
  /**
   * Replicas to run when the triggers fail
   */
  fallback?: {
    /**
     * Consecutive failures before the fallback
     */
    failureThreshold: number;
    /**
     * Replicas of the fallback
     */
    replicas: number;
  };
  /**
   * advanced of the ScaledObject
   */
  advanced?: {
    /**
     * Restore the replicas when the ScaledObject is deleted
     */
    restoreToOriginalReplicaCount?: boolean;
    /**
     * The HPA KEDA creates
     */
    horizontalPodAutoscalerConfig?: {
      /**
       * Its name (KEDA default keda-hpa-<scaledobject>)
       */
      name?: string;
      /**
       * HPA behavior, verbatim
       */
      behavior?: {
        [k: string]: unknown;
      };
    };
    /**
     * A formula composing the triggers' metrics
     */
    scalingModifiers?: {
      /**
       * Target of the composed metric
       */
      target?: string;
      /**
       * Activation target of the composed metric
       */
      activationTarget?: string;
      /**
       * Metric type of the composed metric
       */
      metricType?: "AverageValue" | "Value";
      /**
       * The formula over the triggers' names
       */
      formula?: string;
    };
  };
  /**
   * KEDA triggers, verbatim (type, metadata, name, authenticationRef, metricType, useCachedMetrics); leave out for pdstack's default triggers
   *
   * @minItems 1
   */
  triggers?: [KedaTrigger, ...KedaTrigger[]];
}
/**
 * A KEDA trigger, verbatim
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "kedaTrigger".
 */
export interface KedaTrigger {
  /**
   * Scaler type (e.g. prometheus)
   */
  type: string;
  /**
   * Trigger name (for scalingModifiers.formula)
   */
  name?: string;
  /**
   * Scaler settings (strings)
   */
  metadata: {
    [k: string]: string;
  };
  /**
   * TriggerAuthentication
   */
  authenticationRef?: {
    name: string;
    kind?: "TriggerAuthentication" | "ClusterTriggerAuthentication";
  };
  /**
   * metricType
   */
  metricType?: "AverageValue" | "Value" | "Utilization";
  /**
   * useCachedMetrics
   */
  useCachedMetrics?: boolean;
}
/**
 * PodDisruptionBudget
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "pdb".
 */
export interface Pdb {
  /**
   * Render a PodDisruptionBudget
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Extra labels
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Annotations
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * minAvailable (used when maxUnavailable is not set; null, production-stack's default: not set, 0)
   */
  minAvailable?: number | string | null;
  /**
   * maxUnavailable (wins over minAvailable; null, production-stack's default: not set)
   */
  maxUnavailable?: number | string | null;
}
/**
 * A Kubernetes probe
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "probe".
 */
export interface Probe {
  /**
   * Seconds before the first probe
   */
  initialDelaySeconds?: number;
  /**
   * Seconds between probes
   */
  periodSeconds?: number;
  /**
   * Failures before the container is restarted / marked unready
   */
  failureThreshold?: number;
  /**
   * Successes before the probe counts as passed
   */
  successThreshold?: number;
  /**
   * Seconds before a probe times out
   */
  timeoutSeconds?: number;
  /**
   * HTTP GET probe
   */
  httpGet?: {
    /**
     * Path
     */
    path?: string;
    /**
     * Port number or name
     */
    port?: number | string;
    /**
     * Host
     */
    host?: string;
    scheme?: "HTTP" | "HTTPS";
    /**
     * Headers
     */
    httpHeaders?: {
      /**
       * Name
       */
      name: string;
      /**
       * Value
       */
      value: string;
    }[];
  };
  /**
   * Exec probe
   */
  exec?: {
    [k: string]: unknown;
  };
  /**
   * TCP probe
   */
  tcpSocket?: {
    [k: string]: unknown;
  };
  /**
   * gRPC probe
   */
  grpc?: {
    [k: string]: unknown;
  };
}
/**
 * Prometheus-operator ServiceMonitor (monitoring.coreos.com/v1)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "serviceMonitor".
 */
export interface ServiceMonitor {
  /**
   * Render a ServiceMonitor
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Scrape interval
   *
   * @default "30s"
   */
  interval?: string;
  /**
   * Scrape timeout
   *
   * @default "25s"
   */
  scrapeTimeout?: string;
  /**
   * Keep the scraped labels on conflict (Prometheus prefixes its own with exported_ otherwise)
   *
   * @default false
   */
  honorLabels?: boolean;
  /**
   * Extra labels of the ServiceMonitor (e.g. the Prometheus serviceMonitorSelector)
   */
  additionalLabels?: {
    [k: string]: string;
  };
  /**
   * metricRelabelings of the endpoint, verbatim
   */
  metricRelabelings?: {
    [k: string]: unknown;
  }[];
  /**
   * relabelings of the endpoint, verbatim
   */
  relabelings?: {
    [k: string]: unknown;
  }[];
}
/**
 * pdstack extension (Gateway API Inference Extension). An InferencePool (inference.networking.k8s.io/v1) <release>-<model>-inference-pool per engine that serves whole requests, selecting its pods on the engines' containerPort, for a Gateway (Envoy Gateway, Istio, kgateway...) to route to through an endpoint picker (EPP) you deploy: every engine except P/D prefill engines (NIXL senders), whose requests the router's P/D path sends through decode, and except KubeRay models (raySpec.enabled: no pool for their RayCluster; pdstack validate warns)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "inferencePool".
 */
export interface InferencePool {
  /**
   * Render the InferencePools
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Port of each pool's endpoint picker Service <pool>-epp (its ext-proc gRPC port; the EPP's default)
   *
   * @default 9002
   */
  endpointPickerPort?: number;
  /**
   * What the Gateway does when the endpoint picker does not answer: FailClose drops the request, FailOpen picks an endpoint itself (not set: the API server's default, FailClose)
   */
  endpointPickerFailureMode?: "FailOpen" | "FailClose";
}
/**
 * The router
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "routerSpec".
 */
export interface RouterSpec {
  /**
   * Render the router
   *
   * @default true
   */
  enableRouter?: boolean;
  /**
   * Accepted for compatibility: asserts that routingLogic is a P/D logic (true) or not (false)
   */
  enablePD?: boolean;
  /**
   * Router image repository (default: pdstack-router's image, schema/facts/router-image.ts)
   *
   * @default "ghcr.io/pdstack/pdstack-router"
   */
  repository?: string;
  /**
   * Router image tag (default: the pdstack version)
   *
   * @default "0.1.0"
   */
  tag?: string | number;
  /**
   * @default "Always"
   */
  imagePullPolicy?: ImagePullPolicy & string;
  /**
   * imagePullSecrets
   */
  imagePullSecrets?: {
    [k: string]: unknown;
  }[];
  /**
   * Use this ServiceAccount (no RBAC objects are rendered)
   */
  serviceAccountName?: string;
  /**
   * HF_TOKEN of the router: a literal (stored as routerHfToken in <release>-secrets) or {secretName, secretKey}
   */
  hf_token?: SecretValue;
  /**
   * VLLM_API_KEY of the router (default: servingEngineSpec.vllmApiKey)
   */
  vllmApiKey?: SecretRef;
  /**
   * Router pod securityContext
   */
  securityContext?: {
    [k: string]: unknown;
  };
  /**
   * Router container securityContext
   */
  containerSecurityContext?: {
    [k: string]: unknown;
  };
  /**
   * Extra pod volumes
   */
  extraVolumes?: {
    [k: string]: unknown;
  }[];
  /**
   * Extra container volume mounts
   */
  extraVolumeMounts?: {
    [k: string]: unknown;
  }[];
  /**
   * Router replicas
   *
   * @default 1
   */
  replicaCount?: number;
  env?: EnvVars;
  /**
   * HorizontalPodAutoscaler (autoscaling/v2) <release>-router-hpa scaling the router Deployment on CPU; the Deployment then has no replicas (replicaCount is unused)
   */
  autoscaling?: {
    /**
     * Render the HorizontalPodAutoscaler
     *
     * @default false
     */
    enabled?: boolean;
    /**
     * Fewest router replicas (Kubernetes refuses 0 without the alpha HPAScaleToZero feature)
     *
     * @default 1
     */
    minReplicas?: number;
    /**
     * Most router replicas (at least minReplicas)
     *
     * @default 3
     */
    maxReplicas?: number;
    /**
     * Average CPU use the autoscaler keeps the router pods at, in percent of their CPU request
     *
     * @default 80
     */
    targetCPUUtilizationPercentage?: number;
  };
  pdb?: Pdb;
  /**
   * Router pod priorityClassName
   */
  priorityClassName?: string;
  /**
   * Router container port
   *
   * @default 8000
   */
  containerPort?: number;
  /**
   * Router Service type (ExternalName, in production-stack's enum, is an error saying why)
   *
   * @default "ClusterIP"
   */
  serviceType?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  /**
   * Router Service annotations
   */
  serviceAnnotations?: {
    [k: string]: string;
  };
  /**
   * nodePort with serviceType NodePort
   */
  nodePort?: number | null;
  /**
   * Router Service port
   *
   * @default 80
   */
  servicePort?: number;
  /**
   * @default "k8s"
   */
  serviceDiscovery?: "k8s" | "static";
  /**
   * @default "pod-ip"
   */
  k8sServiceDiscoveryType?: "pod-ip" | "service-name";
  /**
   * Comma-separated backend URLs (static discovery)
   */
  staticBackends?: string;
  /**
   * Comma-separated models, one per backend (static discovery)
   */
  staticModels?: string;
  /**
   * --routing-logic
   *
   * @default "roundrobin"
   */
  routingLogic?:
    "roundrobin" | "session" | "prefixaware" | "disaggregated_prefill" | "disaggregated_prefill_orchestrated";
  /**
   * --prefix-min-match-length
   *
   * @default 0
   */
  prefixMinMatchLength?: number;
  /**
   * --session-key
   */
  sessionKey?: string;
  /**
   * --root-path
   */
  rootPath?: string;
  /**
   * Extra router arguments (P/D: --prefill-model-labels X --decode-model-labels Y)
   */
  extraArgs?: string[];
  /**
   * Extra router Service ports
   */
  extraPorts?: {
    [k: string]: unknown;
  }[];
  /**
   * --engine-stats-interval (seconds)
   *
   * @default 15
   */
  engineScrapeInterval?: number;
  /**
   * --request-stats-window (seconds)
   *
   * @default 60
   */
  requestStatsWindow?: number;
  /**
   * OpenTelemetry tracing of the router (its --otel-* flags, passed after extraArgs when endpoint is set)
   */
  otel?: {
    /**
     * --otel-endpoint: host:port (OTLP/gRPC, port 4317 if none), http(s)://host:port (gRPC) or http(s)://host:port/v1/traces (OTLP/HTTP); empty: no tracing
     */
    endpoint?: string;
    /**
     * --otel-service-name (empty: vllm-router)
     */
    serviceName?: string;
    /**
     * --otel-secure: TLS to an OTLP/gRPC endpoint
     */
    secure?: boolean;
  };
  /**
   * Router Deployment strategy (default RollingUpdate maxSurge 100%, maxUnavailable 0)
   */
  strategy?: {
    [k: string]: unknown;
  };
  /**
   * LMCache settings of the router
   */
  lmcacheConfig?: {
    /**
     * @default "INFO"
     */
    logLevel?: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  };
  /**
   * kvaware only (not supported by pdstack-router)
   */
  lmcacheControllerPort?: string | number;
  /**
   * kvaware only (not supported by pdstack-router)
   */
  lmcacheControllerReplyPort?: string | number;
  /**
   * kvaware only (not supported by pdstack-router)
   */
  lmcacheControllerHeartbeatPort?: string | number;
  /**
   * Router container resources
   *
   * @default {"requests":{"cpu":"400m","memory":"1000Mi"},"limits":{"memory":"1000Mi"}}
   */
  resources?: {
    [k: string]: unknown;
  };
  /**
   * Extra router labels (also in its selector)
   *
   * @default {"environment":"router","release":"router"}
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Router pod annotations
   */
  podAnnotations?: {
    [k: string]: string;
  };
  /**
   * Ingress (networking.k8s.io/v1) <release>-ingress-router to the router Service
   */
  ingress?: {
    /**
     * Render the Ingress
     *
     * @default false
     */
    enabled?: boolean;
    /**
     * spec.ingressClassName (none when empty)
     */
    className?: string;
    /**
     * Ingress annotations
     */
    annotations?: {
      [k: string]: string;
    };
    /**
     * One rule per host, each path to the router Service's port
     *
     * @default [{"host":"vllm-router.local","paths":[{"path":"/","pathType":"Prefix"}]}]
     */
    hosts?: {
      /**
       * Host name
       */
      host: string;
      paths: {
        /**
         * URL path (starts with /)
         */
        path: string;
        pathType: "Exact" | "Prefix" | "ImplementationSpecific";
      }[];
    }[];
    /**
     * TLS: hosts and the Secret holding their certificate
     */
    tls?: {
      hosts?: string[];
      secretName: string;
    }[];
  };
  /**
   * Gateway API routes to the router Service, by name: main is <release>-router, any other NAME <release>-router-NAME
   */
  route?: {
    [k: string]: RouterRoute;
  };
  /**
   * Router pod affinity
   */
  affinity?: {
    [k: string]: unknown;
  };
  /**
   * Router required node affinity terms
   */
  nodeSelectorTerms?: {
    [k: string]: unknown;
  }[];
  /**
   * Router startup probe (default 5, 5, 3, GET /health)
   */
  startupProbe?: Probe;
  /**
   * Router liveness probe (default 30, 5, 3, GET /health)
   */
  livenessProbe?: Probe;
  /**
   * Router readiness probe (default 30, 5, 3, GET /health)
   */
  readinessProbe?: Probe;
  serviceMonitor?: ServiceMonitor;
}
/**
 * A Gateway API route to the router Service (production-stack's routerSpec.route entries)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "routerRoute".
 */
export interface RouterRoute {
  /**
   * Render this route
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Route apiVersion
   *
   * @default "gateway.networking.k8s.io/v1"
   */
  apiVersion?: string;
  /**
   * Route kind (pdstack renders HTTPRoute; the other kinds are errors saying why)
   *
   * @default "HTTPRoute"
   */
  kind?: "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" | "UDPRoute";
  /**
   * Route annotations
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Labels added to routerSpec.labels
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * spec.hostnames ({{ .Release.Name }} and {{ .Release.Namespace }} are expanded)
   */
  hostnames?: string[];
  /**
   * spec.parentRefs: the Gateway(s), verbatim
   */
  parentRefs?: {
    [k: string]: unknown;
  }[];
  /**
   * The route's own rule redirects to https (301) instead of reaching the router; for the Gateway's http listener
   *
   * @default false
   */
  httpsRedirect?: boolean;
  /**
   * matches of the rule to the router, verbatim (default: production-stack's, also the API server's default: path prefix /)
   *
   * @default [{"path":{"type":"PathPrefix","value":"/"}}]
   */
  matches?: {
    [k: string]: unknown;
  }[];
  /**
   * filters of the rule to the router, verbatim
   */
  filters?: {
    [k: string]: unknown;
  }[];
  /**
   * Rules before the route's own, verbatim ({{ .Release.Name }} and {{ .Release.Namespace }} are expanded)
   */
  additionalRules?: {
    [k: string]: unknown;
  }[];
}
/**
 * The LMCache cache server (lmcache_server): Deployment <release>-deployment-cache-server and Service <release>-cache-server-service; engines with lmcacheConfig.enabled get LMCACHE_REMOTE_URL lm://<release>-cache-server-service:<servicePort>
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "cacheserverSpec".
 */
export interface CacheserverSpec {
  /**
   * Render the cache server
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Image of the cache server (it runs /opt/venv/bin/lmcache_server of the image)
   *
   * @default {}
   */
  image?: {
    /**
     * Image repository
     *
     * @default "lmcache/vllm-openai"
     */
    repository?: string;
    /**
     * Image tag
     *
     * @default "latest"
     */
    tag?: string;
  };
  /**
   * Not read (production-stack's tutorials write it; its chart and pdstack read image.repository): a warning says to move it under image
   */
  repository?: string;
  /**
   * Not read (production-stack's tutorials write it; its chart and pdstack read image.tag): a warning says to move it under image
   */
  tag?: string;
  /**
   * lmcache-server container imagePullPolicy
   *
   * @default "IfNotPresent"
   */
  imagePullPolicy?: ImagePullPolicy & string;
  /**
   * imagePullSecrets of the pod, verbatim (e.g. [{name: regcred}])
   */
  imagePullSecrets?: {
    [k: string]: unknown;
  }[];
  /**
   * Replicas
   *
   * @default 1
   */
  replicaCount?: number;
  /**
   * Port lmcache_server listens on
   *
   * @default 8000
   */
  containerPort?: number;
  /**
   * Service type
   *
   * @default "ClusterIP"
   */
  serviceType?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  /**
   * Service port (LMCACHE_REMOTE_URL and the init containers' LMCACHE_SERVER_SERVICE_PORT)
   *
   * @default 80
   */
  servicePort?: number;
  /**
   * Service annotations
   */
  serviceAnnotations?: {
    [k: string]: string;
  };
  /**
   * Container resources, verbatim
   */
  resources?: {
    [k: string]: unknown;
  };
  /**
   * Deployment annotations
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Extra labels of the Deployment, its pods and selector, and the Service
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Deployment strategy
   *
   * @default {"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":1}}
   */
  strategy?: {
    type?: "RollingUpdate" | "Recreate";
    rollingUpdate?: {
      maxUnavailable?: number | string;
      maxSurge?: number | string;
    };
  };
  /**
   * Liveness probe (LMCache's health_probe.py against the server); {} renders none, a key left out takes its default
   *
   * @default {"initialDelaySeconds":30,"periodSeconds":10,"failureThreshold":3,"timeoutSeconds":5}
   */
  livenessProbe?: {
    /**
     * initialDelaySeconds
     */
    initialDelaySeconds?: number;
    /**
     * periodSeconds
     */
    periodSeconds?: number;
    /**
     * failureThreshold
     */
    failureThreshold?: number;
    /**
     * timeoutSeconds
     */
    timeoutSeconds?: number;
  };
  /**
   * Pod tolerations, verbatim
   */
  tolerations?: {
    [k: string]: unknown;
  }[];
  /**
   * Pod runtimeClassName; "" omits it
   *
   * @default ""
   */
  runtimeClassName?: string;
  /**
   * Pod schedulerName; "" omits it
   *
   * @default ""
   */
  schedulerName?: string;
  /**
   * Pod securityContext, verbatim
   */
  securityContext?: {
    [k: string]: unknown;
  };
  /**
   * lmcache-server container securityContext, verbatim
   */
  containerSecurityContext?: {
    [k: string]: unknown;
  };
  /**
   * Pod priorityClassName; "" omits it
   *
   * @default ""
   */
  priorityClassName?: string;
  /**
   * Pod nodeSelector
   */
  nodeSelector?: {
    [k: string]: string;
  };
  /**
   * Pod affinity, verbatim
   */
  affinity?: {
    [k: string]: unknown;
  };
  /**
   * LMCACHE_REMOTE_SERDE of the engines (e.g. naive); "" sets none
   *
   * @default ""
   */
  serde?: string;
}
/**
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "subchart".
 */
export interface Subchart {
  /**
   * Whether production-stack deploys the subchart (without this key Helm deploys it)
   */
  enabled?: boolean;
  [k: string]: unknown;
}
/**
 * ConfigMaps <release>-grafana-<dashboard> with pdstack's Grafana dashboards of this release (router, engines, P/D, LMCache with the cache server), labelled for Grafana's dashboard sidecar
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "grafanaDashboardsSpec".
 */
export interface GrafanaDashboardsSpec {
  /**
   * Render the dashboards
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Annotations of the ConfigMaps (e.g. the sidecar's folder annotation)
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Labels of the ConfigMaps: what the Grafana sidecar selects
   *
   * @default {"grafana_dashboard":"1"}
   */
  labels?: {
    [k: string]: string;
  };
}
/**
 * A ReadWriteMany volume every engine mounts at /data/shared-pvc-storage (HF_HOME): PVC <release>-shared-pvc-storage-claim, bound to a PersistentVolume <release>-<namespace>-shared-pvc-storage when hostPath or nfs is given (else dynamically provisioned)
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "sharedPvcStorage".
 */
export interface SharedPvcStorage {
  /**
   * Render the shared volume
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Its size
   *
   * @default "100Gi"
   */
  size?: Quantity & string;
  /**
   * Access modes
   *
   * @default ["ReadWriteMany"]
   *
   * @minItems 1
   */
  accessModes?: [
    "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod",
    ...("ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod")[]
  ];
  /**
   * storageClassName; "" omits it
   *
   * @default ""
   */
  storageClass?: string;
  /**
   * A node directory backing the PersistentVolume; "" for none
   *
   * @default ""
   */
  hostPath?: string;
  /**
   * An NFS export backing the PersistentVolume
   *
   * @default {}
   */
  nfs?: {
    /**
     * NFS server; "" for none
     *
     * @default ""
     */
    server?: string;
    /**
     * Exported path; "" for none
     *
     * @default ""
     */
    path?: string;
  };
  /**
   * Image of the LoRA controller's init container that hands the shared volume to the controller's user (chown 65532)
   *
   * @default {}
   */
  image?: {
    /**
     * Image repository
     *
     * @default "busybox"
     */
    repository?: string;
    /**
     * Image tag
     *
     * @default "1.37"
     */
    tag?: string;
  };
}
/**
 * The LoRA controller (production-stack's lmstack-lora-controller), which loads and unloads the LoraAdapter custom resources' adapters on the engines whose pod label model is the adapter's baseModel: Deployment <release>-lora-controller, its ServiceAccount, ClusterRoles and ClusterRoleBindings, and a PodDisruptionBudget <release>-pdb-lora-controller
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "loraController".
 */
export interface LoraController {
  /**
   * Render the LoRA controller
   *
   * @default false
   */
  enableLoraController?: boolean;
  /**
   * The cluster's DNS domain (the controller's KUBERNETES_CLUSTER_DOMAIN)
   *
   * @default "cluster.local"
   */
  kubernetesClusterDomain?: string;
  /**
   * Use this existing ServiceAccount (no ServiceAccount, ClusterRole or ClusterRoleBinding is rendered); "" renders <release>-lora-controller
   *
   * @default ""
   */
  serviceAccountName?: string;
  /**
   * Replicas (one leads: --leader-elect)
   *
   * @default 1
   */
  replicaCount?: number;
  /**
   * The controller's image
   *
   * @default {}
   */
  image?: {
    /**
     * Image repository
     *
     * @default "lmcache/lmstack-lora-controller"
     */
    repository?: string;
    /**
     * Image tag
     *
     * @default "latest"
     */
    tag?: string;
    /**
     * imagePullPolicy
     *
     * @default "IfNotPresent"
     */
    pullPolicy?: ImagePullPolicy & string;
  };
  /**
   * imagePullSecrets of the pod, verbatim (e.g. [{name: regcred}])
   */
  imagePullSecrets?: {
    [k: string]: unknown;
  }[];
  /**
   * Deployment annotations
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Extra labels of the Deployment and its pods
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Pod annotations
   */
  podAnnotations?: {
    [k: string]: string;
  };
  /**
   * Extra labels of the pods
   */
  podLabels?: {
    [k: string]: string;
  };
  /**
   * Pod securityContext, verbatim
   *
   * @default {"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}
   */
  podSecurityContext?: {
    [k: string]: unknown;
  };
  /**
   * manager container securityContext, verbatim
   *
   * @default {"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}
   */
  containerSecurityContext?: {
    [k: string]: unknown;
  };
  /**
   * manager container resources, verbatim
   */
  resources?: {
    [k: string]: unknown;
  };
  /**
   * Pod nodeSelector
   */
  nodeSelector?: {
    [k: string]: string;
  };
  /**
   * Pod affinity, verbatim
   */
  affinity?: {
    [k: string]: unknown;
  };
  /**
   * Pod tolerations, verbatim
   */
  tolerations?: {
    [k: string]: unknown;
  }[];
  /**
   * Env of the manager container, after WATCH_NAMESPACE and KUBERNETES_CLUSTER_DOMAIN
   */
  env?: EnvVars;
  /**
   * Extra arguments of the controller, after its own
   */
  extraArgs?: string[];
  /**
   * The controller's metrics endpoint
   *
   * @default {}
   */
  metrics?: {
    /**
     * Serve metrics over HTTPS on :8443 (--metrics-bind-address=:8443 --metrics-secure); false: --metrics-bind-address=0
     *
     * @default true
     */
    enabled?: boolean;
  };
  /**
   * The controller's webhook server
   *
   * @default {}
   */
  webhook?: {
    /**
     * Serve the webhook on :9443 with the certificate of the Secret <release>-lora-controller-webhook-server-cert (not rendered: create it, e.g. with cert-manager)
     *
     * @default false
     */
    enabled?: boolean;
  };
  pdb?: Pdb;
}
/**
 * A LoraAdapter custom resource (production-stack.vllm.ai/v1alpha1) the LoRA controller reconciles
 *
 * This interface was referenced by `PdstackValues`'s JSON-Schema
 * via the `definition` "loraAdapter".
 */
export interface LoraAdapter {
  /**
   * The LoraAdapter's name (a DNS subdomain)
   */
  name: string;
  /**
   * false: not rendered
   *
   * @default true
   */
  enabled?: boolean;
  /**
   * The model the adapter is for: the controller loads it on the pods whose label model is this (a modelSpec name)
   */
  baseModel: string;
  /**
   * The engines' API key as {secretName, secretKey} of an existing Secret; unset: servingEngineSpec.vllmApiKey's
   */
  vllmApiKey?: SecretRef;
  /**
   * Extra labels of the LoraAdapter
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Where the adapter comes from
   */
  adapterSource: {
    /**
     * Kind of source
     */
    type: "local" | "s3" | "http" | "huggingface";
    /**
     * The adapter's name (as the engines serve it)
     */
    adapterName: string;
    /**
     * Path of the adapter's weights (required for local sources)
     */
    adapterPath?: string;
    /**
     * Repository to download the adapter from
     */
    repository?: string;
    /**
     * Pattern of adapter names
     */
    pattern?: string;
    /**
     * Most adapters to load
     */
    maxAdapters?: number;
    /**
     * Storage credentials: a literal (stored in the release Secret as lora_adapter_credentials_<adapterName>) or {secretName, secretKey} of an existing Secret
     */
    credentials?: SecretValue;
  };
  /**
   * How the adapter is placed
   *
   * @default {}
   */
  loraAdapterDeploymentConfig?: {
    /**
     * Placement algorithm
     *
     * @default "default"
     */
    algorithm?: "default" | "ordered" | "equalized";
    /**
     * How many engine pods load the adapter
     */
    replicas?: number;
    /**
     * Not read (production-stack's values.yaml puts it here, its chart reads the adapter's labels): a warning says to move it up
     */
    labels?: {
      [k: string]: string;
    };
  };
}
