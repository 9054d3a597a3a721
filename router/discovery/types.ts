/**
 * The contract between service discovery and the rest of the router.
 *
 * A discovery module keeps a current list of engine endpoints; routing logics and the proxy only ever read
 * `endpoints()` (a snapshot; never mutated in place), so a pod that disappears from discovery can no longer
 * be picked by the very next request.
 */

/** What the router knows about one model served by an endpoint (a `/v1/models` card). */
export interface ModelInfo {
  readonly id: string;
  readonly object: string;
  readonly created: number;
  readonly owned_by: string;
  readonly root: string | null;
  readonly parent: string | null;
  /** Any other fields the engine returned on its card (e.g. `max_model_len`), passed through to `/v1/models`. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** One serving engine (a pod, a Service, or a static backend URL). */
export interface Endpoint {
  /** Stable id: uuid5(DNS, podName) for pods, a per-start uuid4 for static backends (production-stack's `Id`). */
  readonly id: string;
  /** Base URL without trailing slash, e.g. `http://10.1.2.3:8000`. */
  readonly url: string;
  /** Every model id the engine serves (base models and LoRA adapters). */
  readonly modelNames: readonly string[];
  /** The P/D role label: the pod label `model`, or the static `--static-model-labels` entry (default `default`). */
  readonly modelLabel: string;
  /** Unix time (seconds, float) when discovery added this endpoint. */
  readonly addedTimestamp: number;
  /**
   * `true` while the engine sleeps: put to sleep through `/sleep` (static), or labelled `sleeping=true`
   * (Kubernetes, which `/sleep` does); sleeping endpoints get no traffic.
   */
  readonly sleep: boolean;
  readonly modelInfo: Readonly<Record<string, ModelInfo>>;
  /** Kubernetes identity, when discovered from the API server. */
  readonly podName?: string;
  readonly serviceName?: string;
  readonly namespace?: string;
}

export interface ServiceDiscovery {
  /** Starts discovery; resolves once the first full listing is known (or rejects with a clear message). */
  start(): Promise<void>;
  /** Stops watches and timers; idempotent. */
  stop(): Promise<void>;
  /** The current endpoints (an immutable snapshot). */
  endpoints(): readonly Endpoint[];
  /** `/health`: false once discovery has lost its source (e.g. API server unreachable) for longer than allowed. */
  health(): { readonly healthy: boolean; readonly reason?: string };
  /** Whether `model` was ever served (404 "not found" vs 503 "temporarily unavailable"). */
  hasEverSeenModel(model: string): boolean;
  /**
   * Marks the engine behind `endpoint` as sleeping (`true`: routing skips it) or awake (`false`: routed again), for
   * `/sleep` / `/wake_up`. `endpoints()` shows the change from the moment this is called (Kubernetes: before the
   * label patch is answered), so `/sleep` can stop traffic before it calls the engine. Rejects with a readable
   * message when the state cannot be recorded (Kubernetes: the label patch was refused); `endpoints()` then shows
   * the previous state again.
   */
  setSleeping(endpoint: Endpoint, sleeping: boolean): Promise<void>;
}

/** Options of Kubernetes service discovery (`--service-discovery k8s`). */
export interface K8sDiscoveryOptions {
  /** `--k8s-namespace` (default `default`). */
  readonly namespace: string;
  /** `--k8s-port`: the engine port used in endpoint URLs (default 8000). */
  readonly port: number;
  /** `--k8s-label-selector` (default empty: every pod of the namespace). */
  readonly labelSelector: string;
  /** `--k8s-service-discovery-type` (default `pod-ip`). */
  readonly type: 'pod-ip' | 'service-name';
  /** `--k8s-watcher-timeout-seconds` (0 = server default). */
  readonly watcherTimeoutSeconds: number;
  /** `--backend-health-check-timeout-seconds`: timeout of each engine `/v1/models` call. */
  readonly healthCheckTimeoutSeconds: number;
  /** `VLLM_API_KEY`, sent as a bearer token to engines when set. */
  readonly apiKey?: string;
  /** `/health` turns unhealthy when the API server has been unreachable for longer than this (seconds). */
  readonly apiServerLossThresholdSeconds: number;
  /** The longest `/v1/models` answer read from an engine (`--max-upstream-body-bytes`). */
  readonly maxBodyBytes: number;
}
