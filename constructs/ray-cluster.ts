/**
 * `VllmRayCluster`: a KubeRay model (`modelSpec[].raySpec.enabled`) → RayCluster `<release>-<model>-raycluster`
 * (ray.io/v1: a head group of one pod, a worker group `ray` of `replicaCount` pods), the ConfigMaps of the head's two
 * scripts, and the engine Service, PVC and release-Secret entries a `VllmEngine` has — the objects production-stack's
 * `ray-cluster.yaml` and `service-vllm.yaml` render for such a model (its Deployment is not rendered).
 *
 * KubeRay starts Ray in each pod (`ray start`, with the container's CPU and GPU limits) after running the Ray
 * container's own command. The head's command starts the start script in the background; the script waits until the
 * cluster has all its nodes (the wait script, also the head's startup probe), then execs `vllm serve ...
 * --distributed-executor-backend ray`, which places `tensorParallelSize × pipelineParallelSize` workers on the
 * cluster's GPUs. The containers are built from the engine's pieces (env, volumes, resources, init container, vLLM
 * command), so a KubeRay model gets what a Deployment's engine gets from the same keys.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ContainerResourcesRulesInput } from '../schema/facts/engine-rules.js';
import * as names from '../schema/facts/names.js';
import { EXPECTED_NODES_ENV, rayNodeCount } from '../schema/facts/ray.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import {
  engineVolumesAndEnv,
  resourceKeysOf,
  rulesInputOf,
  type EngineInitContainer,
  type EngineResources,
  type ResourceKeys,
  type VllmEngineProps,
} from './engine.js';
import { engineResources, engineSecurityContext, initContainer } from './engine-container.js';
import { modelEngineService } from './engine-service.js';
import { requireValidRayCluster } from './invariants.js';
import { engineLabels, rayNodeLabels } from './labels.js';
import { kvTransferConfig } from './lmcache.js';
import { requireUniqueObjects } from './unique-objects.js';
import { vllmBinary, vllmCommand } from './vllm-command.js';
import { enginePodPlacement, nonEmpty } from './workload.js';

/** KubeRay's API group/version of RayCluster. */
export const RAY_CLUSTER_API_VERSION = 'ray.io/v1';
/** The worker group's name (production-stack's). */
export const RAY_WORKER_GROUP = 'ray';
/** The ConfigMap keys and mount paths of the head's scripts (production-stack's file names and paths). */
export const RAY_WAIT_SCRIPT = { volume: 'wait-script', mountPath: '/scripts', file: 'wait_for_ray.py' } as const;
export const RAY_START_SCRIPT = {
  volume: 'vllm-script',
  mountPath: '/entrypoint',
  file: 'vllm-entrypoint.sh',
} as const;

/**
 * The wait script: exit 0 once the Ray cluster has `EXPECTED_NODES` live nodes, else 1. Run by the start script
 * until it passes, and as the head's startup probe.
 */
export const RAY_WAIT_SCRIPT_TEXT = `# pdstack: exit 0 once the Ray cluster has $${EXPECTED_NODES_ENV} live nodes (its head and every worker), else 1.
import logging
import os
import sys

import ray

expected = int(os.environ.get("${EXPECTED_NODES_ENV}", "1"))
try:
    ray.init(address="auto", logging_level=logging.ERROR, log_to_driver=False)
except Exception as error:  # Ray on the head is not up yet
    print(f"Ray is not reachable yet: {error}", file=sys.stderr)
    sys.exit(1)
alive = sum(1 for node in ray.nodes() if node.get("Alive"))
print(f"Ray nodes alive: {alive} of {expected}")
sys.exit(0 if alive >= expected else 1)
`;

/**
 * The head container's command. KubeRay runs it with `bash -lc`, followed by `&& ulimit ...; ray start --head ...`
 * (it joins a Ray container's command into that line), so it is shell text that returns at once: a subshell puts the
 * start script in the background.
 */
export const RAY_HEAD_COMMAND = `(bash ${RAY_START_SCRIPT.mountPath}/${RAY_START_SCRIPT.file} &)`;

/**
 * Probes of the Ray containers, production-stack's timings: the head is ready when vLLM answers `/health`, and
 * started once the cluster has all its nodes (up to 30 × 15 s). A probe that always passes stands where none is
 * wanted: KubeRay injects its own probes into a Ray container that has none.
 */
const HEAD_READINESS = { path: '/health', periodSeconds: 10, failureThreshold: 1 } as const;
const HEAD_STARTUP = { periodSeconds: 15, failureThreshold: 30, timeoutSeconds: 10 } as const;
const ALWAYS_PASSES: k8s.Probe = { exec: { command: ['true'] } };

/** The head node of a `VllmRayCluster`: its pod runs vLLM's API server and Ray's head. */
export interface RayHeadNode {
  /** What the head's container requests (GPUs: requested and limited; KubeRay gives Ray the limit). */
  readonly resources: EngineResources;
  /** Container resources used verbatim instead of `resources` (`raySpec.headNode.resources`). @default - from `resources` */
  readonly resourcesOverride?: Readonly<Record<string, unknown>>;
  /** The head pod's init container (the workers run the engine's `initContainer`). @default - none */
  readonly initContainer?: EngineInitContainer;
}

/** The engine objects of a `VllmRayCluster`. */
export interface RayEngineObjects {
  /** The Service `<release>-<model>-engine-service`: the head's vLLM (the router and clients reach it there). */
  readonly service: ApiObject;
  readonly serviceName: string;
  /** The PVC of `pvcStorage`, mounted by the head and every worker. */
  readonly storageClaim?: ApiObject;
  /** Labels of the head pod: the Service's selector (workers carry production-stack's labels only). */
  readonly podSelector: Readonly<Record<string, string>>;
}

/**
 * A `VllmEngine`'s props plus the head node. The model's `resources` (and `resources.override`, `initContainer`) are
 * each worker's; `replicas` is the number of workers.
 */
export interface VllmRayClusterProps extends VllmEngineProps {
  readonly head: RayHeadNode;
}

export class VllmRayCluster extends Construct {
  /** The model name (`modelSpec.name`), also the pod label `model`. */
  public readonly modelName: string;
  public readonly rayCluster: ApiObject;
  /** What a `VllmEngine` of the model has too: its Service (reaching the head's vLLM), PVC and pod selector. */
  public readonly engine: RayEngineObjects;

  constructor(scope: Construct, id: string, props: VllmRayClusterProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, name, head, metadata = {} } = props;
    // the head's resources: `head.resourcesOverride` verbatim, else `head.resources` (its `override` is not read)
    const headResources = resourceKeysOf({ ...head.resources, override: head.resourcesOverride });
    requireValidRayCluster(release, namespace, name, rulesInputOf(props), headKeys(headResources));
    this.modelName = name;
    const labels = props.selectorLabels ?? ENGINE_DEFAULTS.labels;
    const selector = engineLabels(release, name, labels);
    const nodeLabels = rayNodeLabels(release, name, labels);
    const serviceName = names.engineServiceName(release, name);
    const { volumes, env } = engineVolumesAndEnv(this, props);
    const { cacheServer } = props;
    const hostIp: k8s.EnvVar = { name: 'VLLM_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
    const workers = props.replicas ?? ENGINE_DEFAULTS.replicaCount;
    const containerPort = props.containerPort ?? ENGINE_DEFAULTS.containerPort;
    const securityContext = engineSecurityContext(props);
    const image = `${props.image.repository}:${props.image.tag}`;
    const imagePullPolicy = props.image.pullPolicy ?? ENGINE_DEFAULTS.imagePullPolicy;
    const init = (given: EngineInitContainer | undefined): k8s.Container[] | undefined =>
      given ? [initContainer(release, given, securityContext, volumes, env, cacheServer)] : undefined;
    const envFrom = env.envFrom.length > 0 ? env.envFrom : undefined;
    const python = pythonBinary(props.image.repository);
    const waitScript = names.rayWaitScriptConfigMapName(release, name);
    const startScript = names.rayStartScriptConfigMapName(release, name);

    const headContainer: k8s.Container = {
      name: 'vllm-ray-head',
      image,
      imagePullPolicy,
      command: [RAY_HEAD_COMMAND],
      env: [hostIp, { name: EXPECTED_NODES_ENV, value: String(rayNodeCount(workers)) }, ...env.env],
      envFrom,
      ports: [{ name: 'container-port', containerPort }],
      readinessProbe: {
        httpGet: { path: HEAD_READINESS.path, port: k8s.IntOrString.fromNumber(containerPort) },
        periodSeconds: HEAD_READINESS.periodSeconds,
        failureThreshold: HEAD_READINESS.failureThreshold,
      },
      livenessProbe: ALWAYS_PASSES,
      startupProbe: {
        exec: { command: [python, `${RAY_WAIT_SCRIPT.mountPath}/${RAY_WAIT_SCRIPT.file}`] },
        ...HEAD_STARTUP,
      },
      resources: engineResources(headResources),
      securityContext,
      volumeMounts: [
        { name: RAY_WAIT_SCRIPT.volume, mountPath: RAY_WAIT_SCRIPT.mountPath },
        { name: RAY_START_SCRIPT.volume, mountPath: RAY_START_SCRIPT.mountPath },
        ...volumes.mounts,
      ],
    };
    const workerContainer: k8s.Container = {
      name: 'vllm-ray-worker',
      image,
      imagePullPolicy,
      env: [hostIp, ...env.env],
      envFrom,
      readinessProbe: ALWAYS_PASSES,
      livenessProbe: ALWAYS_PASSES,
      resources: engineResources(resourceKeysOf(props.resources)),
      securityContext,
      volumeMounts: volumes.mounts.length > 0 ? volumes.mounts : undefined,
    };
    const placement = enginePodPlacement(props);
    const podMetadata = (podLabels: Readonly<Record<string, string>>): k8s.ObjectMeta => ({
      labels: { ...podLabels, ...props.podMetadata?.labels },
      annotations: nonEmpty({ ...props.podMetadata?.annotations }),
    });
    const headTemplate: k8s.PodTemplateSpec = {
      metadata: podMetadata(selector),
      spec: {
        ...placement,
        // production-stack's: the head is stopped at once
        terminationGracePeriodSeconds: 0,
        initContainers: init(head.initContainer),
        containers: [headContainer],
        volumes: [
          { name: RAY_WAIT_SCRIPT.volume, configMap: { name: waitScript } },
          { name: RAY_START_SCRIPT.volume, configMap: { name: startScript } },
          ...volumes.volumes,
        ],
      },
    };
    const workerTemplate: k8s.PodTemplateSpec = {
      metadata: podMetadata(nodeLabels),
      spec: {
        ...placement,
        initContainers: init(props.initContainer),
        containers: [workerContainer],
        volumes: volumes.volumes.length > 0 ? volumes.volumes : undefined,
      },
    };

    this.rayCluster = new ApiObject(this, 'RayCluster', {
      apiVersion: RAY_CLUSTER_API_VERSION,
      kind: 'RayCluster',
      metadata: {
        name: names.rayClusterName(release, name),
        namespace,
        labels: { ...nodeLabels, ...metadata.labels },
        annotations: nonEmpty({ ...metadata.annotations }),
      },
      spec: {
        headGroupSpec: {
          serviceType: 'ClusterIP',
          rayStartParams: { 'dashboard-host': '0.0.0.0' },
          template: k8s.toJson_PodTemplateSpec(headTemplate),
        },
        workerGroupSpecs: [
          {
            rayStartParams: {},
            replicas: workers,
            groupName: RAY_WORKER_GROUP,
            template: k8s.toJson_PodTemplateSpec(workerTemplate),
          },
        ],
      },
    });

    const command = vllmCommand(props, containerPort, kvTransferConfig(props), 'ray');
    new k8s.KubeConfigMap(this, 'WaitScript', {
      metadata: { name: waitScript, namespace },
      data: { [RAY_WAIT_SCRIPT.file]: RAY_WAIT_SCRIPT_TEXT },
    });
    new k8s.KubeConfigMap(this, 'StartScript', {
      metadata: { name: startScript, namespace },
      data: { [RAY_START_SCRIPT.file]: startScriptText(python, command) },
    });

    const service = modelEngineService(this, { name: serviceName, namespace, engine: props, selector });
    this.engine = { service, serviceName, storageClaim: volumes.storageClaim, podSelector: selector };
  }
}

/** The head's resource keys in `raySpec.headNode`'s shape (what the KubeRay rules read). */
function headKeys(head: ResourceKeys): ContainerResourcesRulesInput {
  const { requestCPU, requestMemory, requestGPU, limitCPU, limitMemory, resources } = head;
  return { requestCPU, requestMemory, requestGPU, limitCPU, limitMemory, resources };
}

/** The Python of the image's vLLM (the wait script imports `ray`, installed with vLLM): beside its binary, else on the PATH. */
export function pythonBinary(repository: string): string {
  const vllm = vllmBinary(repository);
  return vllm.includes('/') ? `${vllm.slice(0, vllm.lastIndexOf('/'))}/python3` : 'python3';
}

/** A word for bash: single-quoted unless it needs no quoting. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/** The start script: wait for every Ray node, then exec vLLM with Ray as its executor. */
export function startScriptText(python: string, command: readonly string[]): string {
  return [
    '#!/bin/bash',
    "# pdstack: waits until the Ray cluster has all its nodes, then serves the model with Ray as vLLM's executor.",
    'set -eu',
    `echo "pdstack: waiting for $${EXPECTED_NODES_ENV} Ray nodes"`,
    `until ${python} ${RAY_WAIT_SCRIPT.mountPath}/${RAY_WAIT_SCRIPT.file}; do`,
    '  sleep 2',
    'done',
    `exec ${command.map(shellWord).join(' ')}`,
    '',
  ].join('\n');
}
