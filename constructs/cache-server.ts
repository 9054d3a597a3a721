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
import type { CacheserverSpec } from '../schema/values.generated.js';
import { CACHE_SERVER_DEFAULTS } from './defaults.js';
import { fromUser, intOrString } from './kube-json.js';
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

export interface LmcacheServerProps {
  /** Release name: prefix of the object names. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** `cacheserverSpec`; must be enabled. Keys left out take the schema's defaults. */
  readonly spec: Readonly<CacheserverSpec>;
}

export class LmcacheServer extends Construct {
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  public readonly serviceName: string;
  public readonly endpoint: LmcacheServerEndpoint;

  constructor(scope: Construct, id: string, props: LmcacheServerProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, spec } = props;
    if (spec.enabled !== true)
      throw new Error('LmcacheServer: cacheserverSpec is not enabled (enabled: true); do not create the cache server');
    const d = CACHE_SERVER_DEFAULTS;
    const containerPort = spec.containerPort ?? d.containerPort;
    const servicePort = spec.servicePort ?? d.servicePort;
    const labels = cacheServerLabels(release, spec.labels ?? {});
    this.serviceName = names.cacheServerServiceName(release);
    const serde = spec.serde ?? d.serde;
    this.endpoint = { url: lmcacheRemoteUrl(this.serviceName, servicePort), servicePort, serde: serde || undefined };

    const strategy = spec.strategy ?? d.strategy;
    const liveness = spec.livenessProbe ?? d.livenessProbe;
    const runtimeClassName = spec.runtimeClassName ?? d.runtimeClassName;
    const schedulerName = spec.schedulerName ?? d.schedulerName;
    const priorityClassName = spec.priorityClassName ?? d.priorityClassName;
    const container: k8s.Container = {
      name: 'lmcache-server',
      image: `${spec.image?.repository ?? d.image.repository}:${spec.image?.tag ?? d.image.tag}`,
      command: [LMCACHE_SERVER_COMMAND, '0.0.0.0', String(containerPort)],
      resources: nonEmpty(spec.resources) ? fromUser<k8s.ResourceRequirements>(spec.resources) : undefined,
      ports: [{ name: 'caserver-cport', containerPort }],
      imagePullPolicy: spec.imagePullPolicy ?? d.imagePullPolicy,
      livenessProbe: nonEmpty(liveness)
        ? {
            initialDelaySeconds: liveness.initialDelaySeconds ?? d.livenessProbe.initialDelaySeconds,
            periodSeconds: liveness.periodSeconds ?? d.livenessProbe.periodSeconds,
            failureThreshold: liveness.failureThreshold ?? d.livenessProbe.failureThreshold,
            timeoutSeconds: liveness.timeoutSeconds ?? d.livenessProbe.timeoutSeconds,
            exec: { command: [...LMCACHE_HEALTH_PROBE, '127.0.0.1', String(containerPort)] },
          }
        : undefined,
      securityContext: nonEmpty(spec.containerSecurityContext)
        ? fromUser<k8s.SecurityContext>(spec.containerSecurityContext)
        : undefined,
    };
    // the Deployment and the Service: production-stack's labels, and their own annotations
    const metadata = (name: string, annotations: Readonly<Record<string, string>> | undefined): k8s.ObjectMeta => ({
      name,
      namespace,
      labels: { ...labels },
      annotations: nonEmpty({ ...annotations }),
    });
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: metadata(names.cacheServerDeploymentName(release), spec.annotations),
      spec: {
        replicas: spec.replicaCount ?? d.replicaCount,
        strategy: nonEmpty(strategy) ? fromUser<k8s.DeploymentStrategy>(strategy) : undefined,
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels } },
          spec: {
            priorityClassName: priorityClassName || undefined,
            runtimeClassName: runtimeClassName || undefined,
            schedulerName: schedulerName || undefined,
            tolerations: spec.tolerations?.length ? fromUser<k8s.Toleration[]>(spec.tolerations) : undefined,
            securityContext: nonEmpty(spec.securityContext)
              ? fromUser<k8s.PodSecurityContext>(spec.securityContext)
              : undefined,
            affinity: nonEmpty(spec.affinity) ? fromUser<k8s.Affinity>(spec.affinity) : undefined,
            nodeSelector: nonEmpty(spec.nodeSelector) ? { ...spec.nodeSelector } : undefined,
            imagePullSecrets: spec.imagePullSecrets?.length
              ? fromUser<k8s.LocalObjectReference[]>(spec.imagePullSecrets)
              : undefined,
            // lmcache_server never calls the API server: no token in the pod (a pdstack hardening, as on engines)
            automountServiceAccountToken: false,
            containers: [container],
          },
        },
      },
    });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: metadata(this.serviceName, spec.serviceAnnotations),
      spec: {
        type: spec.serviceType ?? d.serviceType,
        ports: [
          { name: 'cacheserver-sport', port: servicePort, targetPort: intOrString(containerPort), protocol: 'TCP' },
        ],
        selector: { ...labels },
      },
    });
  }
}
