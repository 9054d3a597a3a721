/**
 * `VllmRouter`: `routerSpec` → Deployment `<release>-deployment-router`, Service `<release>-router-service`,
 * ServiceAccount `<release>-router-service-account`, Role `<release>-reader` and RoleBinding
 * `<release>-deployment-access-binding`, as production-stack's router templates render them (reference §1.10),
 * with these fixes: `--k8s-port` is passed (the engines' `containerPort` in pod-ip mode, their `servicePort` in
 * service-name mode); the engine label selector includes `app.kubernetes.io/instance=<release>`. The Role grants
 * production-stack's verbs get/watch/list, and `patch` only on what carries the `sleeping=true` label that the
 * router's `/sleep` and `/wake_up` set and remove: pods, or Services in service-name mode (production-stack grants
 * `patch` on every resource of the rule, Endpoints included); RBAC cannot name a label, so a
 * ValidatingAdmissionPolicy (router-sleep-policy.ts) limits that `patch` to the `sleeping` label. pdstack hardening: the container's security context defaults to
 * non-root, read-only root filesystem, no privilege escalation, no capabilities (pdstack-router writes nothing to its
 * filesystem); the pod's `terminationGracePeriodSeconds` exceeds the router's `--shutdown-grace-seconds` drain.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { RouterSpec } from '../schema/values.generated.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import { fromUser, intOrString } from './kube-json.js';
import { routerLabels } from './labels.js';
import { DEFAULT_LMCACHE_LOG_LEVEL } from '../schema/facts/lmcache.js';
import * as names from '../schema/facts/names.js';
import { DEFAULT_OTEL_SERVICE_NAME, parseRouterArgv } from '../schema/facts/router-flags.js';
import { PRODUCTION_STACK_ROUTER_REPOSITORIES, ROUTER_IMAGE_UID } from '../schema/facts/router-image.js';
import { RouterSleepLabelPolicy } from './router-sleep-policy.js';
import { probe, ROUTER_PROBE_DEFAULTS } from './probes.js';
import { ReleaseSecret, type SecretKeyRef, type SecretSource } from './release-secret.js';
import { deploymentStrategy, nonEmpty, podAffinity } from './workload.js';
import { requireReleaseName } from './invariants.js';
import { requireUniqueObjects } from './unique-objects.js';

/** The name of the router Service's port to the router (what its ServiceMonitor scrapes). */
export const ROUTER_SERVICE_PORT_NAME = 'router-sport';

/** The router's second container port (production-stack's LMCache controller port), exposed by its Service. */
export const ROUTER_LMCACHE_PORT = 9000;

/**
 * The router container's security context when `routerSpec.containerSecurityContext` is not set: Kubernetes'
 * "restricted" Pod Security Standard for pdstack-router's image (uid `ROUTER_IMAGE_UID`; it writes nothing to its
 * filesystem). Not applied to production-stack's router images, whose user and writes pdstack does not know.
 */
export const ROUTER_CONTAINER_SECURITY_CONTEXT: k8s.SecurityContext = {
  runAsNonRoot: true,
  runAsUser: ROUTER_IMAGE_UID,
  runAsGroup: ROUTER_IMAGE_UID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Seconds the pod's `terminationGracePeriodSeconds` gives the router beyond its own drain grace before SIGKILL. */
export const ROUTER_TERMINATION_MARGIN_SECONDS = 5;

/** The router's drain grace on SIGTERM: `--shutdown-grace-seconds` of `extraArgs`, else the flag table's default. */
export function routerShutdownGraceSeconds(extraArgs: readonly string[] | undefined): number {
  const parsed = parseRouterArgv(extraArgs ?? []);
  if (parsed.action !== 'run') {
    throw new Error(`VllmRouter: routerSpec.extraArgs make the router print its ${parsed.action} and exit`);
  }
  return parsed.args.shutdownGraceSeconds;
}

/** Where the router finds its engines. */
export interface RouterEngineDiscovery {
  /** `--k8s-label-selector`, e.g. `app.kubernetes.io/instance=pd,environment=test,release=test`; omitted when undefined. */
  readonly labelSelector?: string;
  /** `--k8s-port`: the port engines answer on in the chosen discovery type. */
  readonly port: number;
  /** `VLLM_API_KEY` of the router when `routerSpec.vllmApiKey` is not set: a key of a Secret. @default - none */
  readonly apiKeySecretRef?: SecretKeyRef;
}

export interface VllmRouterProps {
  /** Release name: prefix of every object name. */
  readonly release: string;
  /** Namespace the router watches (`--k8s-namespace`) and its objects live in. */
  readonly namespace: string;
  /** The router's settings: `routerSpec` keys as the values file writes them. @default - the schema defaults */
  readonly spec?: RouterOptions;
  /** The router's Hugging Face token (env `HF_TOKEN`). @default - none */
  readonly hfToken?: SecretSource;
  /** How the router reaches the engines. */
  readonly engines: RouterEngineDiscovery;
}

/** The `routerSpec` keys but those with props of their own (`hfToken`) or none (`enableRouter`: a router is built). */
export type RouterOptions = Readonly<Omit<RouterSpec, 'enableRouter' | 'hf_token'>>;

/** The router's arguments, in production-stack's order (the image's entrypoint is the router). */
export function routerArgs(spec: RouterOptions, namespace: string, engines: RouterEngineDiscovery): string[] {
  const d = ROUTER_DEFAULTS;
  const discovery = spec.serviceDiscovery ?? d.serviceDiscovery;
  const args = [
    '--host',
    '0.0.0.0',
    '--port',
    String(spec.containerPort ?? d.containerPort),
    '--service-discovery',
    discovery,
  ];
  if (discovery === 'k8s') {
    args.push(
      '--k8s-namespace',
      namespace,
      '--k8s-service-discovery-type',
      spec.k8sServiceDiscoveryType ?? d.k8sServiceDiscoveryType,
    );
    if (engines.labelSelector !== undefined) args.push('--k8s-label-selector', engines.labelSelector);
    args.push('--k8s-port', String(engines.port));
  } else {
    args.push('--static-backends', spec.staticBackends ?? '', '--static-models', spec.staticModels ?? '');
  }
  args.push('--routing-logic', spec.routingLogic ?? d.routingLogic);
  const prefix = spec.prefixMinMatchLength ?? d.prefixMinMatchLength;
  if (prefix !== 0) args.push('--prefix-min-match-length', String(prefix));
  if (spec.sessionKey) args.push('--session-key', spec.sessionKey);
  if (spec.rootPath) args.push('--root-path', spec.rootPath);
  args.push('--engine-stats-interval', String(spec.engineScrapeInterval ?? d.engineScrapeInterval));
  args.push('--request-stats-window', String(spec.requestStatsWindow ?? d.requestStatsWindow));
  args.push(...(spec.extraArgs ?? []).map(String));
  args.push(...otelArgs(spec.otel));
  return args;
}

/**
 * `routerSpec.otel` → `--otel-endpoint`, `--otel-service-name` (an empty name: the flag's default) and `--otel-secure`,
 * after `extraArgs`, when the endpoint is set: production-stack's flags, order and conditions.
 */
export function otelArgs(otel: RouterSpec['otel']): string[] {
  if (!otel?.endpoint) return [];
  const args = ['--otel-endpoint', otel.endpoint, '--otel-service-name', otel.serviceName || DEFAULT_OTEL_SERVICE_NAME];
  if (otel.secure) args.push('--otel-secure');
  return args;
}

export class VllmRouter extends Construct {
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  /** The Service clients reach the router by (`kubectl port-forward svc/<serviceName> 30080:80`). */
  public readonly serviceName: string;
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: VllmRouterProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, engines } = props;
    requireReleaseName('VllmRouter', release);
    const spec: RouterOptions = props.spec ?? {};
    const d = ROUTER_DEFAULTS;
    const repository = spec.repository ?? d.repository;
    const labels = routerLabels(release, spec.labels ?? d.labels);
    const containerPort = spec.containerPort ?? d.containerPort;
    this.serviceName = names.routerServiceName(release);

    const ownAccount = !spec.serviceAccountName;
    this.serviceAccountName = spec.serviceAccountName || names.routerServiceAccountName(release);
    if (ownAccount) {
      new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: this.serviceAccountName, namespace } });
      const serviceName = (spec.k8sServiceDiscoveryType ?? d.k8sServiceDiscoveryType) === 'service-name';
      new k8s.KubeRole(this, 'Role', {
        metadata: { name: names.routerRoleName(release), namespace },
        rules: [
          {
            apiGroups: [''],
            resources: serviceName ? ['pods', 'services', 'endpoints'] : ['pods'],
            verbs: ['get', 'watch', 'list'],
          },
          { apiGroups: [''], resources: [serviceName ? 'services' : 'pods'], verbs: ['patch'] },
        ],
      });
      new k8s.KubeRoleBinding(this, 'RoleBinding', {
        metadata: { name: names.routerRoleBindingName(release), namespace },
        subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.routerRoleName(release) },
      });
      new RouterSleepLabelPolicy(this, 'SleepLabelPolicy', {
        release,
        namespace,
        serviceAccountName: this.serviceAccountName,
        resource: serviceName ? 'services' : 'pods',
      });
    }

    const env: k8s.EnvVar[] = [];
    // A literal goes into the release Secret, not into a plain env value as production-stack has it.
    const hfToken = ReleaseSecret.secretRef(
      this,
      { release, namespace },
      names.ROUTER_HF_TOKEN_SECRET_KEY,
      props.hfToken,
    );
    if (hfToken) env.push({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { ...hfToken } } });
    env.push(
      { name: 'PYTHONHASHSEED', value: '123' },
      { name: 'LMCACHE_LOG_LEVEL', value: spec.lmcacheConfig?.logLevel ?? DEFAULT_LMCACHE_LOG_LEVEL },
    );
    if (spec.vllmApiKey?.secretName && spec.vllmApiKey.secretKey) {
      env.push({
        name: 'VLLM_API_KEY',
        valueFrom: { secretKeyRef: { name: spec.vllmApiKey.secretName, key: spec.vllmApiKey.secretKey } },
      });
    } else if (engines.apiKeySecretRef) {
      env.push({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { ...engines.apiKeySecretRef } } });
    }
    env.push(...fromUser<k8s.EnvVar[]>(spec.env ?? []));

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: names.routerDeploymentName(release), namespace, labels: { ...labels } },
      spec: {
        replicas: spec.replicaCount ?? d.replicaCount,
        strategy: deploymentStrategy(spec.strategy),
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels }, annotations: nonEmpty({ ...spec.podAnnotations }) },
          spec: {
            serviceAccountName: this.serviceAccountName,
            terminationGracePeriodSeconds:
              Math.ceil(routerShutdownGraceSeconds(spec.extraArgs)) + ROUTER_TERMINATION_MARGIN_SECONDS,
            priorityClassName: spec.priorityClassName || undefined,
            securityContext: nonEmpty(spec.securityContext)
              ? fromUser<k8s.PodSecurityContext>(spec.securityContext)
              : undefined,
            imagePullSecrets: spec.imagePullSecrets?.length
              ? fromUser<k8s.LocalObjectReference[]>(spec.imagePullSecrets)
              : undefined,
            affinity: podAffinity(spec.affinity, spec.nodeSelectorTerms),
            volumes: spec.extraVolumes?.length ? fromUser<k8s.Volume[]>(spec.extraVolumes) : undefined,
            containers: [
              {
                name: 'router-container',
                image: `${repository}:${spec.tag ?? d.tag}`,
                imagePullPolicy: spec.imagePullPolicy ?? d.imagePullPolicy,
                args: routerArgs(spec, namespace, engines),
                env,
                ports: [
                  { name: 'router-port', containerPort },
                  { name: 'lmcache-port', containerPort: ROUTER_LMCACHE_PORT },
                ],
                resources: fromUser<k8s.ResourceRequirements>(spec.resources ?? d.resources),
                securityContext: nonEmpty(spec.containerSecurityContext)
                  ? fromUser<k8s.SecurityContext>(spec.containerSecurityContext)
                  : PRODUCTION_STACK_ROUTER_REPOSITORIES.has(repository)
                    ? undefined
                    : ROUTER_CONTAINER_SECURITY_CONTEXT,
                startupProbe: probe(ROUTER_PROBE_DEFAULTS.startup, 'router-port', spec.startupProbe),
                livenessProbe: probe(ROUTER_PROBE_DEFAULTS.liveness, 'router-port', spec.livenessProbe),
                readinessProbe: probe(ROUTER_PROBE_DEFAULTS.readiness, 'router-port', spec.readinessProbe),
                volumeMounts: spec.extraVolumeMounts?.length
                  ? fromUser<k8s.VolumeMount[]>(spec.extraVolumeMounts)
                  : undefined,
              },
            ],
          },
        },
      },
    });

    const serviceType = spec.serviceType ?? d.serviceType;
    if (serviceType === 'ExternalName')
      throw new Error(
        'VllmRouter: serviceType ExternalName cannot reach the router (no selector or ports); use ClusterIP, NodePort or LoadBalancer',
      );
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name: this.serviceName,
        namespace,
        labels: { ...labels },
        annotations: nonEmpty({ ...spec.serviceAnnotations }),
      },
      spec: {
        type: serviceType,
        selector: { ...labels },
        ports: [
          {
            name: ROUTER_SERVICE_PORT_NAME,
            port: spec.servicePort ?? d.servicePort,
            targetPort: intOrString(containerPort),
            protocol: 'TCP',
            nodePort: serviceType === 'NodePort' && spec.nodePort ? spec.nodePort : undefined,
          },
          { name: 'lmcache-port', port: ROUTER_LMCACHE_PORT, targetPort: intOrString('lmcache-port'), protocol: 'TCP' },
          ...fromUser<k8s.ServicePort[]>(spec.extraPorts ?? []),
        ],
      },
    });
  }
}
