/**
 * `LmcacheServer`: `cacheserverSpec` → the LMCache cache server, Deployment `<release>-deployment-cache-server` running
 * `lmcache_server` and Service `<release>-cache-server-service`, as production-stack's `deployment-cache-server.yaml`
 * and `service-cache-server.yaml` render them. Its `endpoint` is what engines with LMCache get as
 * `LMCACHE_REMOTE_URL`/`LMCACHE_REMOTE_SERDE`, and their init containers as `LMCACHE_SERVER_SERVICE_PORT`.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { lmcacheRemoteUrl } from '../schema/facts/lmcache.js';
import * as names from '../schema/facts/names.js';
import { CACHE_SERVER_DEFAULTS } from './defaults.js';
import { fromUser, intOrString } from './kube-json.js';
import { requireReleaseAndNamespace, requireWholeNumber } from './invariants.js';
import { cacheServerLabels } from './labels.js';
import { requireUniqueObjects } from './unique-objects.js';
import { nonEmpty } from './workload.js';

/** The server binary and LMCache's health probe script in production-stack's cache server image (lmcache/vllm-openai). */
export const LMCACHE_SERVER_COMMAND = '/opt/venv/bin/lmcache_server';
export const LMCACHE_HEALTH_PROBE = ['/opt/venv/bin/python3', '/workspace/LMCache/examples/kubernetes/health_probe.py'];

/** How engines reach the cache server. */
export interface LmcacheServerEndpoint {
  /** `LMCACHE_REMOTE_URL`: `lm://<release>-cache-server-service:<servicePort>`. */
  readonly url: string;
  /** The Service port (the init containers' `LMCACHE_SERVER_SERVICE_PORT`). */
  readonly servicePort: number;
  /** `LMCACHE_REMOTE_SERDE`. @default - none */
  readonly serde?: string;
}

/** The cache server's image, `<repository>:<tag>`. */
export interface LmcacheServerImage {
  /** @default CACHE_SERVER_DEFAULTS.image.repository ('lmcache/vllm-openai') */
  readonly repository?: string;
  /** @default CACHE_SERVER_DEFAULTS.image.tag ('latest') */
  readonly tag?: string;
  /** @default CACHE_SERVER_DEFAULTS.imagePullPolicy ('IfNotPresent') */
  readonly pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Secrets to pull it with. @default - none */
  readonly pullSecrets?: readonly k8s.LocalObjectReference[];
}

/** The timings of the liveness probe (LMCache's health_probe.py against the server). */
export interface LmcacheServerProbe {
  /** @default CACHE_SERVER_DEFAULTS.livenessProbe.initialDelaySeconds (30) */
  readonly initialDelaySeconds?: number;
  /** @default CACHE_SERVER_DEFAULTS.livenessProbe.periodSeconds (10) */
  readonly periodSeconds?: number;
  /** @default CACHE_SERVER_DEFAULTS.livenessProbe.failureThreshold (3) */
  readonly failureThreshold?: number;
  /** @default CACHE_SERVER_DEFAULTS.livenessProbe.timeoutSeconds (5) */
  readonly timeoutSeconds?: number;
}

/** Where the cache server's pods run. */
export interface LmcacheServerScheduling {
  /** @default - none */
  readonly affinity?: k8s.Affinity;
  /** @default - none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly tolerations?: readonly k8s.Toleration[];
  /** `''` sets none. @default CACHE_SERVER_DEFAULTS.runtimeClassName ('': none) */
  readonly runtimeClassName?: string;
  /** `''` sets none. @default CACHE_SERVER_DEFAULTS.schedulerName ('': none) */
  readonly schedulerName?: string;
  /** `''` sets none. @default CACHE_SERVER_DEFAULTS.priorityClassName ('': none) */
  readonly priorityClassName?: string;
}

/** The Service `<release>-cache-server-service`. */
export interface LmcacheServerServiceOptions {
  /** @default CACHE_SERVER_DEFAULTS.serviceType ('ClusterIP') */
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** The port engines reach it on (`LMCACHE_REMOTE_URL`). @default CACHE_SERVER_DEFAULTS.servicePort (80) */
  readonly port?: number;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface LmcacheServerProps {
  /** Release name: prefix of the object names. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** @default - lmcache/vllm-openai:latest, see `LmcacheServerImage` */
  readonly image?: LmcacheServerImage;
  /** Deployment replicas. @default CACHE_SERVER_DEFAULTS.replicaCount (1) */
  readonly replicas?: number;
  /** The port `lmcache_server` listens on. @default CACHE_SERVER_DEFAULTS.containerPort (8000) */
  readonly containerPort?: number;
  /** @default - see `LmcacheServerServiceOptions` */
  readonly service?: LmcacheServerServiceOptions;
  /** Labels of the Deployment, its pods and selector, and the Service, after production-stack's. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The Deployment's annotations. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** `{}` sets none. @default CACHE_SERVER_STRATEGY (RollingUpdate, maxUnavailable 0, maxSurge 1) */
  readonly strategy?: k8s.DeploymentStrategy;
  /** A timing left out takes its default; `false` renders no probe. @default - see `LmcacheServerProbe` */
  readonly livenessProbe?: LmcacheServerProbe | false;
  /** The `lmcache-server` container's requests and limits. @default - none */
  readonly resources?: k8s.ResourceRequirements;
  /** @default - anywhere, see `LmcacheServerScheduling` */
  readonly scheduling?: LmcacheServerScheduling;
  /** @default - none */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** The `lmcache-server` container's. @default - none */
  readonly containerSecurityContext?: k8s.SecurityContext;
  /** The engines' `LMCACHE_REMOTE_SERDE` (e.g. `naive`); `''` sets none. @default CACHE_SERVER_DEFAULTS.serde ('': none) */
  readonly serde?: string;
}

/** production-stack's rollout of the cache server (the schema's default of `cacheserverSpec.strategy`). */
export const CACHE_SERVER_STRATEGY = fromUser<k8s.DeploymentStrategy>(CACHE_SERVER_DEFAULTS.strategy);

export class LmcacheServer extends Construct {
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  public readonly serviceName: string;
  public readonly endpoint: LmcacheServerEndpoint;

  constructor(scope: Construct, id: string, props: LmcacheServerProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, image = {}, service = {}, scheduling = {} } = props;
    requireReleaseAndNamespace('LmcacheServer', release, namespace);
    const d = CACHE_SERVER_DEFAULTS;
    const replicas = props.replicas ?? d.replicaCount;
    requireWholeNumber(`LmcacheServer ${release}`, 'replicas', replicas, 0);
    const containerPort = props.containerPort ?? d.containerPort;
    const servicePort = service.port ?? d.servicePort;
    const labels = cacheServerLabels(release, props.labels ?? {});
    this.serviceName = names.cacheServerServiceName(release);
    const serde = props.serde ?? d.serde;
    this.endpoint = { url: lmcacheRemoteUrl(this.serviceName, servicePort), servicePort, serde: serde || undefined };

    const strategy = props.strategy ?? CACHE_SERVER_STRATEGY;
    const liveness = props.livenessProbe ?? {};
    const runtimeClassName = scheduling.runtimeClassName ?? d.runtimeClassName;
    const schedulerName = scheduling.schedulerName ?? d.schedulerName;
    const priorityClassName = scheduling.priorityClassName ?? d.priorityClassName;
    const container: k8s.Container = {
      name: 'lmcache-server',
      image: `${image.repository ?? d.image.repository}:${image.tag ?? d.image.tag}`,
      command: [LMCACHE_SERVER_COMMAND, '0.0.0.0', String(containerPort)],
      resources: nonEmpty(props.resources),
      ports: [{ name: 'caserver-cport', containerPort }],
      imagePullPolicy: image.pullPolicy ?? d.imagePullPolicy,
      livenessProbe: liveness
        ? {
            initialDelaySeconds: liveness.initialDelaySeconds ?? d.livenessProbe.initialDelaySeconds,
            periodSeconds: liveness.periodSeconds ?? d.livenessProbe.periodSeconds,
            failureThreshold: liveness.failureThreshold ?? d.livenessProbe.failureThreshold,
            timeoutSeconds: liveness.timeoutSeconds ?? d.livenessProbe.timeoutSeconds,
            exec: { command: [...LMCACHE_HEALTH_PROBE, '127.0.0.1', String(containerPort)] },
          }
        : undefined,
      securityContext: nonEmpty(props.containerSecurityContext),
    };
    // the Deployment and the Service: production-stack's labels, and their own annotations
    const metadata = (name: string, annotations: Readonly<Record<string, string>> | undefined): k8s.ObjectMeta => ({
      name,
      namespace,
      labels: { ...labels },
      annotations: nonEmpty({ ...annotations }),
    });
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: metadata(names.cacheServerDeploymentName(release), props.annotations),
      spec: {
        replicas,
        strategy: nonEmpty(strategy),
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            priorityClassName: priorityClassName || undefined,
            runtimeClassName: runtimeClassName || undefined,
            schedulerName: schedulerName || undefined,
            tolerations: scheduling.tolerations?.length ? [...scheduling.tolerations] : undefined,
            securityContext: nonEmpty(props.podSecurityContext),
            affinity: nonEmpty(scheduling.affinity),
            nodeSelector: nonEmpty(scheduling.nodeSelector) ? { ...scheduling.nodeSelector } : undefined,
            imagePullSecrets: image.pullSecrets?.length ? [...image.pullSecrets] : undefined,
            // lmcache_server never calls the API server: no token in the pod (a pdstack hardening, as on engines)
            automountServiceAccountToken: false,
            containers: [container],
          },
        },
      },
    });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: metadata(this.serviceName, service.annotations),
      spec: {
        type: service.type ?? d.serviceType,
        ports: [
          { name: 'cacheserver-sport', port: servicePort, targetPort: intOrString(containerPort), protocol: 'TCP' },
        ],
        selector: { ...labels },
      },
    });
  }
}
