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
import type { ModelSpec } from '../schema/values.generated.js';
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
import { renderInputOf, type EngineSettings, type VllmEngineProps } from './engine-props.js';
import { requireUniqueObjects } from './unique-objects.js';

export * from './engine-props.js';

/** The model's settings in the values file's shape (see `renderInputOf`). */
export const modelSpecOf = (props: VllmEngineProps): ModelSpec => renderInputOf(props).spec;

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
    const { spec, settings } = renderInputOf(props);
    requireValidEngine(release, namespace, spec);
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
