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
import { ENGINE_DEFAULTS } from './defaults.js';
import { engineContainers, engineResources } from './engine-container.js';
import { engineEnv, type EngineEnv } from './engine-env.js';
import { modelEngineService } from './engine-service.js';
import { engineVolumes, type EngineVolumes } from './engine-volumes.js';
import { EngineScaledObject } from './keda.js';
import { engineLabels } from './labels.js';
import * as names from '../schema/facts/names.js';
import { sharesHostIpcPid } from '../schema/facts/pd-engine.js';
import { deploymentStrategy, enginePodPlacement, nonEmpty, podDisruptionBudget } from './workload.js';
import { requireValidEngine } from './invariants.js';
import { resourceKeysOf, rulesInputOf, type VllmEngineProps } from './engine-props.js';
import { requireUniqueObjects } from './unique-objects.js';

export * from './engine-props.js';

/**
 * An engine's volumes (its PVC and chat-template ConfigMap added to `scope`) and its vllm container's env (literal
 * secrets added to the release Secret), whatever runs vLLM: a Deployment (`VllmEngine`) or a RayCluster.
 */
export function engineVolumesAndEnv(
  scope: Construct,
  props: VllmEngineProps,
): { readonly volumes: EngineVolumes; readonly env: EngineEnv } {
  return { volumes: engineVolumes(scope, props), env: engineEnv(scope, props) };
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
    const { release, namespace, name, metadata = {}, podMetadata = {}, keda, lmcache } = props;
    requireValidEngine(release, namespace, name, rulesInputOf(props));
    this.modelName = name;
    const selector = engineLabels(release, name, props.selectorLabels ?? ENGINE_DEFAULTS.labels);
    this.podSelector = selector;
    this.serviceName = names.engineServiceName(release, name);

    const { volumes, env } = engineVolumesAndEnv(this, props);
    this.storageClaim = volumes.storageClaim;
    const resources = engineResources(resourceKeysOf(props.resources));
    const { containers, initContainers } = engineContainers({ engine: props, resources, volumes, env });
    const hostIpcPid = sharesHostIpcPid(lmcache);

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name: names.engineDeploymentName(release, name),
        namespace,
        labels: { ...selector, ...metadata.labels },
        annotations: nonEmpty({ ...metadata.annotations }),
      },
      spec: {
        // KEDA owns the replicas of a model it scales
        replicas: keda?.enabled ? undefined : (props.replicas ?? ENGINE_DEFAULTS.replicaCount),
        progressDeadlineSeconds: ENGINE_PROGRESS_DEADLINE_SECONDS,
        strategy: deploymentStrategy(props.strategy),
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: {
            labels: { ...selector, ...podMetadata.labels },
            annotations: nonEmpty({ ...podMetadata.annotations }),
          },
          spec: {
            ...enginePodPlacement(props),
            initContainers,
            hostIpc: hostIpcPid ? true : undefined,
            hostPid: hostIpcPid ? true : undefined,
            hostname: names.engineHostname(release, name),
            subdomain: this.serviceName,
            containers,
            volumes: volumes.volumes.length > 0 ? volumes.volumes : undefined,
          },
        },
      },
    });

    this.service = modelEngineService(this, { name: this.serviceName, namespace, engine: props, selector });

    if (keda?.enabled)
      new EngineScaledObject(this, 'ScaledObject', { release, namespace, name, keda, lmcache, labels: selector });

    const { pdb } = props;
    if (pdb) {
      podDisruptionBudget(this, 'Pdb', { name: names.enginePdbName(release, name), namespace, selector, pdb });
    }
  }
}
