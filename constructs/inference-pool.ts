/**
 * `EngineInferencePool` (pdstack extension, beyond production-stack): a Gateway API Inference Extension
 * `InferencePool` (`inference.networking.k8s.io/v1`) `<release>-<model>-inference-pool` over one model's engine
 * pods, so a Gateway that implements the extension (Envoy Gateway, Istio, kgateway, GKE) can route to the engines
 * through an endpoint picker (EPP) instead of, or beside, the router. An HTTPRoute's `backendRefs` then names the
 * pool (`group: inference.networking.k8s.io`, `kind: InferencePool`).
 *
 * The pool selects the pods by the engine's pod labels (`VllmEngine.podSelector`, labels.ts: the model's own
 * labels, so the pool holds one model's replicas, which serve one model and are interchangeable for the EPP), on
 * the engines' `containerPort` (the EPP picks `podIP:port` endpoints; no Service in between), and names the EPP
 * Service `<pool>-epp` on port 9002 (the names and port the Inference Extension's own chart gives a pool's EPP);
 * pdstack does not deploy the EPP: deploy one per pool (its `--pool-name` is this pool's name).
 *
 * Which engines get a pool (`PdStack`, `getsInferencePool` in schema/facts/inference-pool.ts): every Deployment engine
 * (no KubeRay model, `raySpec.enabled`) except P/D prefill engines. A pool's
 * endpoint must answer a request on its own; a P/D decode engine does (when no KV cache arrives from prefill it
 * computes the prompt itself, as it does on the router's decode-only fallback), while a prefill engine (NIXL
 * sender, `kv_producer`) is the first step of the router's P/D path and pushes every prompt's KV cache to its
 * decode peer. The Gateway's requests therefore skip disaggregation (decode prefills them itself); requests that
 * should be disaggregated keep going through the router.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { endpointPickerServiceNameMessage } from '../schema/facts/dns-label.js';
import { ENGINE_DEFAULTS, INFERENCE_POOL_DEFAULTS } from './defaults.js';
import { requireDnsLabel, requireReleaseAndNamespace } from './invariants.js';
import type { Labels } from './labels.js';
import { requireUniqueObjects } from './unique-objects.js';

/** The Gateway API Inference Extension's API of InferencePools (v1, GA). */
export const INFERENCE_POOL_API_VERSION = 'inference.networking.k8s.io/v1';
/** What the Gateway does when the endpoint picker does not answer. */
export type EndpointPickerFailureMode = 'FailOpen' | 'FailClose';
/** At most this many labels in a pool's selector (the v1 CRD's `matchLabels` maxProperties). */
export const MAX_POOL_SELECTOR_LABELS = 64;

export interface EngineInferencePoolProps {
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** The model (a DNS label): the pool is `<release>-<model>-inference-pool`. */
  readonly model: string;
  /** The engine pods' labels (`VllmEngine.podSelector`): the pool's `selector.matchLabels` and its own labels. */
  readonly selector: Labels;
  /** The engines' container port: the pool's target port. @default ENGINE_DEFAULTS.containerPort (8000) */
  readonly port?: number;
  /** The endpoint picker's Service (a DNS label: a Service name). @default `<pool>-epp` (at most 63 characters) */
  readonly endpointPickerName?: string;
  /** The endpoint picker Service's port. @default INFERENCE_POOL_DEFAULTS.endpointPickerPort (9002) */
  readonly endpointPickerPort?: number;
  /** @default - not set: the API server's default, FailClose */
  readonly failureMode?: EndpointPickerFailureMode;
}

const FAILURE_MODES: readonly string[] = ['FailOpen', 'FailClose'] satisfies EndpointPickerFailureMode[];

function requirePort(prop: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`EngineInferencePool: ${prop} ${port} is not a TCP port (an integer from 1 to 65535)`);
}

export class EngineInferencePool extends Construct {
  public readonly pool: ApiObject;
  /** The pool's name, for an HTTPRoute's `backendRefs` and the endpoint picker's `--pool-name`. */
  public readonly poolName: string;
  /** The endpoint picker Service the pool names. */
  public readonly endpointPickerName: string;

  constructor(scope: Construct, id: string, props: EngineInferencePoolProps) {
    super(scope, id);
    requireUniqueObjects(this);
    requireReleaseAndNamespace('EngineInferencePool', props.release, props.namespace);
    requireDnsLabel('EngineInferencePool', 'model', props.model);
    const labels = Object.keys(props.selector).length;
    if (labels === 0 || labels > MAX_POOL_SELECTOR_LABELS)
      throw new Error(
        `EngineInferencePool: selector has ${labels} labels; an InferencePool selects by 1 to ${MAX_POOL_SELECTOR_LABELS}`,
      );
    const port = props.port ?? ENGINE_DEFAULTS.containerPort;
    requirePort('port', port);
    const endpointPickerPort = props.endpointPickerPort ?? INFERENCE_POOL_DEFAULTS.endpointPickerPort;
    requirePort('endpointPickerPort', endpointPickerPort);
    if (props.failureMode !== undefined && !FAILURE_MODES.includes(props.failureMode))
      throw new Error(
        `EngineInferencePool: failureMode ${String(props.failureMode)} is not one of ${FAILURE_MODES.join(', ')}`,
      );
    this.poolName = names.engineInferencePoolName(props.release, props.model);
    if (props.endpointPickerName !== undefined)
      requireDnsLabel('EngineInferencePool', 'endpointPickerName', props.endpointPickerName);
    else {
      const problem = endpointPickerServiceNameMessage(props.release, props.model);
      if (problem) throw new Error(`EngineInferencePool: ${problem}`);
    }
    this.endpointPickerName = props.endpointPickerName ?? names.endpointPickerServiceName(this.poolName);
    this.pool = new ApiObject(this, 'Resource', {
      apiVersion: INFERENCE_POOL_API_VERSION,
      kind: 'InferencePool',
      metadata: {
        name: this.poolName,
        namespace: props.namespace,
        labels: { ...props.selector },
      },
      spec: {
        selector: { matchLabels: { ...props.selector } },
        targetPorts: [{ number: port }],
        endpointPickerRef: {
          // kind defaults to Service, which requires the port
          name: this.endpointPickerName,
          port: { number: endpointPickerPort },
          failureMode: props.failureMode,
        },
      },
    });
  }
}

export { servesWholeRequests } from '../schema/facts/pd-engine.js';
