/**
 * Kubernetes service discovery (`--service-discovery k8s`), production-stack's `K8sPodIPServiceDiscovery` and
 * `K8sServiceNameServiceDiscovery` without their zombie endpoints (#656, #1091), not-ready pods (#619) and blocking
 * calls (#431):
 *
 * - credentials: `kubeconfig.ts` (in-cluster service account, else `KUBECONFIG` / `~/.kube/config`);
 * - list + watch through `@kubernetes/client-node`'s informer with re-list on 410 and restart on failure:
 *   `informer.ts`;
 * - what counts as ready: `pod-ip.ts` (pods) and `service-name.ts` (Services + Endpoints);
 * - models from each engine's `/v1/models`, probed asynchronously and re-probed periodically: `endpoint-set.ts`;
 * - `/sleep` / `/wake_up` set and remove the `sleeping=true` label on the pod or Service: `sleep-label.ts`.
 *
 * `start()` resolves after the first list (and the first `/v1/models` probes) and rejects, so the router exits and
 * Kubernetes restarts it, when the list is refused (401/403) or has not succeeded within
 * `apiServerLossThresholdSeconds`. Afterwards `health()` turns unhealthy once the API server has been unreachable
 * for longer than that threshold; the endpoints known at that moment are kept meanwhile (engines keep serving).
 */
import {
  CoreV1Api,
  Observable,
  type KubeConfig,
  type KubernetesObject,
  type ObservableMiddleware,
  type V1Endpoints,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import type { Endpoint, K8sDiscoveryOptions, ServiceDiscovery } from '../types.js';
import { probeModels } from './engine-probe.js';
import { EndpointSet, type Target } from './endpoint-set.js';
import { ResilientInformer, describeK8sError, type DiscoveryLogger } from './informer.js';
import { loadKubeConfig, type KubeConfigSource } from './kubeconfig.js';
import { podTargets } from './pod-ip.js';
import { serviceTargets } from './service-name.js';
import { patchSleepingLabel } from './sleep-label.js';

export { loadKubeConfig } from './kubeconfig.js';
export type { DiscoveryLogger } from './informer.js';

/** Knobs that are not router flags (defaults suit production; tests shorten them). */
export interface K8sDiscoveryTuning {
  readonly log?: DiscoveryLogger;
  /** How often ready engines are asked `/v1/models` again (failed ones retried, model lists refreshed). Default 30. */
  readonly reprobeIntervalSeconds?: number;
  /** Backoff between re-lists after the API server failed. Default 500 ms doubling to 10 s. */
  readonly restartDelayMs?: { readonly initial: number; readonly max: number };
  /** Timeout of each list and patch call, and of a watch request until the server answers. Default 30 s. */
  readonly apiTimeoutMs?: number;
  /**
   * A watch silent this long (no event, not even a bookmark; servers send bookmarks about every minute) is closed
   * and resumed from its resourceVersion. Default 5 min.
   */
  readonly watchIdleTimeoutMs?: number;
  /** Where credentials come from. Default: `process.env`, the real service-account paths and home directory. */
  readonly kubeConfigSource?: KubeConfigSource;
}

const consoleLogger: DiscoveryLogger = {
  debug: () => {},
  info: (m) => process.stdout.write(`[k8s-discovery] INFO: ${m}\n`),
  warn: (m) => process.stderr.write(`[k8s-discovery] WARNING: ${m}\n`),
};

/** Aborts each API call that has not answered within `ms` (the generated client has no timeout of its own). */
function timeoutMiddleware(ms: number): ObservableMiddleware {
  return {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(ctx));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
}

export function createK8sDiscovery(options: K8sDiscoveryOptions, tuning: K8sDiscoveryTuning = {}): ServiceDiscovery {
  return new K8sDiscovery(options, tuning);
}

class K8sDiscovery implements ServiceDiscovery {
  private readonly log: DiscoveryLogger;
  private readonly set: EndpointSet;
  private informers: ResilientInformer<KubernetesObject>[] = [];
  private started = false;
  private api: CoreV1Api | undefined;
  private readonly apiTimeoutMs: number;
  /** Options of every API call: each is aborted after `apiTimeoutMs`. */
  private readonly callOptions: { middleware: ObservableMiddleware[]; middlewareMergeStrategy: 'append' };

  constructor(
    private readonly options: K8sDiscoveryOptions,
    private readonly tuning: K8sDiscoveryTuning,
  ) {
    this.log = tuning.log ?? consoleLogger;
    this.apiTimeoutMs = tuning.apiTimeoutMs ?? 30_000;
    this.callOptions = { middleware: [timeoutMiddleware(this.apiTimeoutMs)], middlewareMergeStrategy: 'append' };
    const timeoutMs = Math.max(1, options.healthCheckTimeoutSeconds) * 1000;
    this.set = new EndpointSet({
      probe: (url) => probeModels(url, options.apiKey, timeoutMs, options.maxBodyBytes),
      reprobeIntervalMs: (tuning.reprobeIntervalSeconds ?? 30) * 1000,
      log: this.log,
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { kc, kind, server } = loadKubeConfig(this.tuning.kubeConfigSource);
    const { namespace, type, labelSelector } = this.options;
    this.log.info(
      `Kubernetes discovery (${type}) of namespace ${namespace}` +
        `${labelSelector ? ` with label selector ${labelSelector}` : ''} via ${server} (${kind} credentials)`,
    );
    this.api = kc.makeApiClient(CoreV1Api);
    this.informers = type === 'service-name' ? this.serviceNameInformers(kc) : this.podIpInformers(kc);
    const deadlineMs = Math.max(1, this.options.apiServerLossThresholdSeconds) * 1000;
    try {
      await Promise.all(this.informers.map((inf) => inf.start(deadlineMs)));
    } catch (err) {
      await this.stop();
      throw new Error(`Kubernetes service discovery could not start: ${(err as Error).message}`);
    }
    this.refresh();
    await this.set.settled();
    this.set.startReprobing();
  }

  async stop(): Promise<void> {
    for (const inf of this.informers) inf.stop();
    this.informers = [];
    this.set.stop();
  }

  endpoints(): readonly Endpoint[] {
    return this.set.endpoints();
  }

  health(): { readonly healthy: boolean; readonly reason?: string } {
    const thresholdMs = this.options.apiServerLossThresholdSeconds * 1000;
    for (const inf of this.informers) {
      const lost = inf.lostForMs();
      if (lost > thresholdMs) {
        return {
          healthy: false,
          reason:
            `Kubernetes API server unreachable for ${Math.round(lost / 1000)} s ` +
            `(threshold ${this.options.apiServerLossThresholdSeconds} s): ${inf.lastErrorMessage()}`,
        };
      }
    }
    return { healthy: true };
  }

  hasEverSeenModel(model: string): boolean {
    return this.set.hasEverSeenModel(model);
  }

  /**
   * Shows the new state in `endpoints()` at once, then patches the label (the watch confirms it later); a refused
   * patch puts back what was shown before and rejects, so `endpoints()` never keeps a state the label does not have.
   */
  async setSleeping(endpoint: Endpoint, sleeping: boolean): Promise<void> {
    const kind = this.options.type === 'service-name' ? 'service' : 'pod';
    const name = kind === 'service' ? endpoint.serviceName : endpoint.podName;
    const namespace = endpoint.namespace ?? this.options.namespace;
    if (!this.api || name === undefined) throw new Error(`Engine ${endpoint.id} was not discovered from Kubernetes`);
    const undo = this.set.overrideSleep(name, sleeping);
    try {
      await patchSleepingLabel(this.api, { kind, name, namespace }, sleeping, this.callOptions);
    } catch (err) {
      undo();
      const what = `label sleeping=true ${sleeping ? 'to' : 'from'} ${kind} ${namespace}/${name}`;
      throw new Error(`Could not ${sleeping ? 'add' : 'remove'} the ${what}: ${describeK8sError(err)}`);
    }
  }

  private targets: () => Target[] = () => [];

  /** Recomputes the ready targets from the informers' caches (once all of them have listed). */
  private refresh(): void {
    if (this.informers.length === 0 || !this.informers.every((inf) => inf.synced())) return;
    this.set.update(this.targets());
  }

  private informer<T extends KubernetesObject>(
    kc: KubeConfig,
    resource: 'pods' | 'services' | 'endpoints',
    list: (
      api: CoreV1Api,
      query: { namespace: string; labelSelector: string | undefined },
      opts: { middleware: ObservableMiddleware[]; middlewareMergeStrategy: 'append' },
    ) => Promise<{
      items: T[];
      metadata?: { resourceVersion?: string };
    }>,
  ): ResilientInformer<T> {
    const { namespace, labelSelector } = this.options;
    const api = kc.makeApiClient(CoreV1Api);
    const query = { namespace, labelSelector: labelSelector || undefined };
    return new ResilientInformer<T>({
      kc,
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`,
      what: `${resource} in namespace ${namespace}`,
      labelSelector,
      list: () => list(api, query, this.callOptions),
      watchTimeoutSeconds: this.options.watcherTimeoutSeconds,
      watchLimits: {
        connectTimeoutMs: this.apiTimeoutMs,
        idleTimeoutMs: this.tuning.watchIdleTimeoutMs ?? 300_000,
      },
      restartDelayMs: this.tuning.restartDelayMs ?? { initial: 500, max: 10_000 },
      onChange: () => this.refresh(),
      log: this.log,
    });
  }

  private podIpInformers(kc: KubeConfig): ResilientInformer<KubernetesObject>[] {
    const { namespace, port } = this.options;
    const pods = this.informer<V1Pod>(kc, 'pods', (api, q, o) => api.listNamespacedPod(q, o));
    this.targets = () => podTargets(pods.objects(), port, namespace);
    return [pods];
  }

  private serviceNameInformers(kc: KubeConfig): ResilientInformer<KubernetesObject>[] {
    const { namespace, port } = this.options;
    const services = this.informer<V1Service>(kc, 'services', (api, q, o) => api.listNamespacedService(q, o));
    // The endpoints controller copies a Service's labels onto its Endpoints object, so the same selector applies.
    const endpoints = this.informer<V1Endpoints>(kc, 'endpoints', (api, q, o) => api.listNamespacedEndpoints(q, o));
    this.targets = () => serviceTargets(services.objects(), endpoints.objects(), port, namespace);
    return [services, endpoints];
  }
}
