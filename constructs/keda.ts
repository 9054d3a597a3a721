/**
 * `EngineScaledObject`: a model's `keda` → the KEDA ScaledObject `<release>-<model>-scaledobject` scaling its engine
 * Deployment, as production-stack's `scaledobject-vllm.yaml` renders it (the Deployment then gets no `replicas`: KEDA
 * owns them), except for the triggers used when `keda.triggers` is left out.
 *
 * Default triggers (a pdstack fix and addition): production-stack's default queried
 * `vllm:num_requests_waiting{model="<name>"}`, a label vLLM's series do not have (vLLM labels them `model_name`,
 * which prefill and decode share) and, once two pods report, more than the single element KEDA's Prometheus scaler
 * accepts. pdstack's defaults select the engine's series by the `namespace` and `service` labels its engine
 * ServiceMonitor gives them, and sum them (KEDA's AverageValue then asks for sum / threshold replicas):
 * - a P/D decode engine (NIXL receiver): KV-cache usage, `vllm:kv_cache_usage_perc` (vLLM ≥ 0.10; older engines
 *   report `vllm:gpu_cache_usage_perc`, taken when the first is absent), 0.8 per replica: decode holds the KV cache
 *   of every running request, and runs out of it before it queues;
 * - every other engine, P/D prefill included: queued requests, `vllm:num_requests_waiting`, 5 per replica
 *   (production-stack's threshold): prefill is compute-bound and queues.
 * Each is named (for `advanced.scalingModifiers`) and sets no `metricName` (production-stack's did; KEDA deprecated
 * it in 2.10 and ignores it since 2.12).
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { isPdEngine } from '../schema/facts/pd-engine.js';
import type { Keda, LmcacheConfig } from '../schema/values.generated.js';
import type { Labels } from './labels.js';
import { requireUniqueObjects } from './unique-objects.js';
import { nonEmpty } from './workload.js';

/** KEDA's API of ScaledObjects. */
export const SCALED_OBJECT_API_VERSION = 'keda.sh/v1alpha1';
/** The Prometheus the default triggers query: prometheus-operator's Service in `monitoring` (production-stack's). */
export const DEFAULT_PROMETHEUS_ADDRESS = 'http://prometheus-operated.monitoring.svc:9090';
/** Queued requests per replica that the default queue trigger aims at (production-stack's threshold). */
export const DEFAULT_WAITING_THRESHOLD = '5';
/** KV-cache usage (1 = full) per replica that a decode engine's default trigger aims at. */
export const DEFAULT_KV_CACHE_USAGE_THRESHOLD = '0.8';

type Trigger = NonNullable<Keda['triggers']>[number];

export interface EngineScaledObjectProps {
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** The model name. */
  readonly name: string;
  /** Its `keda` must be enabled. */
  readonly keda: Readonly<Keda> | undefined;
  /** The engine's LMCache (a P/D decode engine gets the KV-cache trigger). @default - none */
  readonly lmcache?: Readonly<LmcacheConfig>;
  /** The engine's labels (its pod selector): the ScaledObject's labels, as production-stack sets them. */
  readonly labels: Labels;
}

export class EngineScaledObject extends Construct {
  public readonly scaledObject: ApiObject;
  /** The triggers rendered: `keda.triggers`, else the defaults for the engine's role. */
  public readonly triggers: readonly Trigger[];

  constructor(scope: Construct, id: string, props: EngineScaledObjectProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, name, keda } = props;
    if (keda?.enabled !== true)
      throw new Error(`EngineScaledObject ${name}: keda is not enabled (keda.enabled: true); do not create it`);
    const namespace = props.namespace ?? Chart.of(this).namespace;
    this.triggers = keda.triggers ?? defaultTriggers(props.lmcache, names.engineServiceName(release, name), namespace);
    const advanced = keda.advanced;
    this.scaledObject = new ApiObject(this, 'Resource', {
      apiVersion: SCALED_OBJECT_API_VERSION,
      kind: 'ScaledObject',
      metadata: {
        name: names.engineScaledObjectName(release, name),
        namespace: props.namespace,
        labels: { ...props.labels },
      },
      spec: {
        scaleTargetRef: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: names.engineDeploymentName(release, name),
        },
        minReplicaCount: keda.minReplicaCount,
        maxReplicaCount: keda.maxReplicaCount,
        pollingInterval: keda.pollingInterval,
        cooldownPeriod: keda.cooldownPeriod,
        idleReplicaCount: keda.idleReplicaCount,
        initialCooldownPeriod: keda.initialCooldownPeriod,
        fallback: keda.fallback,
        advanced: advanced
          ? {
              restoreToOriginalReplicaCount: advanced.restoreToOriginalReplicaCount,
              horizontalPodAutoscalerConfig: nonEmpty(advanced.horizontalPodAutoscalerConfig),
              scalingModifiers: nonEmpty(advanced.scalingModifiers),
            }
          : undefined,
        triggers: this.triggers,
      },
    });
  }
}

/** Whether a model's engine is a P/D decode engine (a NIXL receiver). */
const isDecode = (lmcache: Readonly<LmcacheConfig> | undefined): boolean =>
  isPdEngine(lmcache) && lmcache?.nixlRole === 'receiver';

/** The default triggers of a model (see the module comment). */
export function defaultTriggers(
  lmcache: Readonly<LmcacheConfig> | undefined,
  service: string,
  namespace: string | undefined,
): Trigger[] {
  const selector = `{${namespace === undefined ? '' : `namespace="${namespace}",`}service="${service}"}`;
  const sum = (metric: string): string => `sum(${metric}${selector})`;
  const prometheus = (name: string, query: string, threshold: string): Trigger => ({
    type: 'prometheus',
    name,
    metadata: { serverAddress: DEFAULT_PROMETHEUS_ADDRESS, query, threshold },
  });
  if (isDecode(lmcache)) {
    const usage = `${sum('vllm:kv_cache_usage_perc')} or ${sum('vllm:gpu_cache_usage_perc')}`;
    return [prometheus('kv-cache-usage', usage, DEFAULT_KV_CACHE_USAGE_THRESHOLD)];
  }
  return [prometheus('requests-waiting', sum('vllm:num_requests_waiting'), DEFAULT_WAITING_THRESHOLD)];
}
