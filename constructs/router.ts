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
import { probe, ROUTER_PROBE_DEFAULTS, type ProbeOverrides } from './probes.js';
import { ReleaseSecret, type SecretKeyRef, type SecretSource } from './release-secret.js';
import { deploymentStrategy, nodeAffinity, nonEmpty } from './workload.js';
import { requireReleaseAndNamespace } from './invariants.js';
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
    throw new Error(`VllmRouter: extraArgs make the router print its ${parsed.action} and exit`);
  }
  return parsed.args.shutdownGraceSeconds;
}

/** Where the router finds its engines. */
export interface RouterEngineDiscovery {
  /** `--k8s-label-selector`, e.g. `app.kubernetes.io/instance=pd,environment=test,release=test`; omitted when undefined. */
  readonly labelSelector?: string;
  /** `--k8s-port`: the port engines answer on in the chosen discovery type. */
  readonly port: number;
  /** `VLLM_API_KEY` of the router when `apiKey` is not set: a key of a Secret. @default - none */
  readonly apiKeySecretRef?: SecretKeyRef;
}

/** How the router addresses an engine it discovers in Kubernetes: by pod IP or by the engine's Service. */
export type K8sServiceDiscoveryType = NonNullable<RouterSpec['k8sServiceDiscoveryType']>;

/**
 * How the router finds its backends: in Kubernetes (`RouterDiscovery.kubernetes()`, by the engines' labels) or a fixed
 * list (`RouterDiscovery.staticBackends(...)`).
 */
export class RouterDiscovery {
  /** Engines found by their labels in the router's namespace, addressed by pod IP (default) or by their Service. */
  public static kubernetes(type: K8sServiceDiscoveryType = ROUTER_DEFAULTS.k8sServiceDiscoveryType): RouterDiscovery {
    return new RouterDiscovery('k8s', type, [], []);
  }

  /**
   * Fixed backends (`--static-backends`), each serving the model at the same index of `models` (`--static-models`).
   * `rbacType` only chooses what the router's Role grants (production-stack's Role follows `k8sServiceDiscoveryType`
   * whatever the discovery); @default 'pod-ip'
   */
  public static staticBackends(
    backends: readonly string[],
    models: readonly string[],
    rbacType: K8sServiceDiscoveryType = ROUTER_DEFAULTS.k8sServiceDiscoveryType,
  ): RouterDiscovery {
    return new RouterDiscovery('static', rbacType, backends, models);
  }

  private constructor(
    /** `--service-discovery`. */
    public readonly mode: 'k8s' | 'static',
    /** `--k8s-service-discovery-type` (k8s mode), and what the Role grants: pods, or Services too (service-name). */
    public readonly type: K8sServiceDiscoveryType,
    public readonly backends: readonly string[],
    public readonly models: readonly string[],
  ) {}
}

/** The router's image. */
export interface RouterImage {
  /** @default ROUTER_DEFAULTS.repository: pdstack-router's image (schema/facts/router-image.ts) */
  readonly repository?: string;
  /** @default ROUTER_DEFAULTS.tag: the pdstack version */
  readonly tag?: string;
  /** @default ROUTER_DEFAULTS.imagePullPolicy ('Always') */
  readonly pullPolicy?: NonNullable<RouterSpec['imagePullPolicy']>;
  /** Secrets to pull it with. @default - none */
  readonly pullSecrets?: readonly k8s.LocalObjectReference[];
}

/** How the router picks an engine for a request. */
export interface RouterRouting {
  /** `--routing-logic`. @default ROUTER_DEFAULTS.routingLogic ('roundrobin') */
  readonly logic?: NonNullable<RouterSpec['routingLogic']>;
  /** `--session-key`: the header the `session` logic keys on. @default - none */
  readonly sessionKey?: string;
  /** `--prefix-min-match-length` (0: not passed). @default ROUTER_DEFAULTS.prefixMinMatchLength (0) */
  readonly prefixMinMatchLength?: number;
}

/** The router's statistics. */
export interface RouterStats {
  /** `--engine-stats-interval`, seconds. @default ROUTER_DEFAULTS.engineScrapeInterval (15) */
  readonly engineScrapeIntervalSeconds?: number;
  /** `--request-stats-window`, seconds. @default ROUTER_DEFAULTS.requestStatsWindow (60) */
  readonly requestStatsWindowSeconds?: number;
}

/** OpenTelemetry tracing of the router (`--otel-*`, passed after `extraArgs`). */
export interface RouterTracing {
  /** `--otel-endpoint`: `host:port` (OTLP/gRPC), `http(s)://host:port` or `.../v1/traces` (OTLP/HTTP). */
  readonly endpoint: string;
  /** `--otel-service-name` (empty: the flag's default). @default DEFAULT_OTEL_SERVICE_NAME ('vllm-router') */
  readonly serviceName?: string;
  /** `--otel-secure`: TLS to an OTLP/gRPC endpoint. @default false */
  readonly secure?: boolean;
}

/** Where the router's pods run. */
export interface RouterScheduling {
  /** The pod's affinity, verbatim. @default - none, or the required node affinity of `nodeSelectorTerms` */
  readonly affinity?: k8s.Affinity;
  /** Required node affinity terms (ignored when `affinity` is set). @default - none */
  readonly nodeSelectorTerms?: readonly k8s.NodeSelectorTerm[];
  /** @default - none */
  readonly priorityClassName?: string;
}

/** The router Service. */
export interface RouterServiceOptions {
  /** `ExternalName` is refused: it cannot reach the router. @default ROUTER_DEFAULTS.serviceType ('ClusterIP') */
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** The port clients use. @default ROUTER_DEFAULTS.servicePort (80) */
  readonly port?: number;
  /** With type `NodePort`. @default - Kubernetes picks one */
  readonly nodePort?: number;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** More ports, after the router's and LMCache's. @default - none */
  readonly extraPorts?: readonly k8s.ServicePort[];
}

/** Probes of the router container: each given field replaces the default's (GET /health on the router port). */
export interface RouterProbes {
  /** @default ROUTER_PROBE_DEFAULTS.startup (5 s delay, every 5 s, 3 failures) */
  readonly startup?: ProbeOverrides;
  /** @default ROUTER_PROBE_DEFAULTS.liveness (30 s delay, every 5 s, 3 failures) */
  readonly liveness?: ProbeOverrides;
  /** @default ROUTER_PROBE_DEFAULTS.readiness (30 s delay, every 5 s, 3 failures) */
  readonly readiness?: ProbeOverrides;
}

export interface VllmRouterProps {
  /** Release name: prefix of every object name. */
  readonly release: string;
  /** Namespace the router watches (`--k8s-namespace`) and its objects live in. */
  readonly namespace: string;
  /** How the router reaches the engines (`--k8s-label-selector`, `--k8s-port`, their API key). */
  readonly engines: RouterEngineDiscovery;
  /** @default RouterDiscovery.kubernetes() (by pod IP) */
  readonly discovery?: RouterDiscovery;
  /** @default - pdstack-router's image, see `RouterImage` */
  readonly image?: RouterImage;
  /** Deployment replicas. @default ROUTER_DEFAULTS.replicaCount (1) */
  readonly replicas?: number;
  /** The container port the router listens on (`--port`). @default ROUTER_DEFAULTS.containerPort (8000) */
  readonly containerPort?: number;
  /** @default - see `RouterRouting` */
  readonly routing?: RouterRouting;
  /** @default - see `RouterStats` */
  readonly stats?: RouterStats;
  /** `--root-path`. @default - none */
  readonly rootPath?: string;
  /** More router arguments, after pdstack's (P/D: `--prefill-model-labels X --decode-model-labels Y`). @default - none */
  readonly extraArgs?: readonly string[];
  /** @default - no tracing */
  readonly tracing?: RouterTracing;
  /** The router's Hugging Face token (env `HF_TOKEN`). @default - none */
  readonly hfToken?: SecretSource;
  /** The router's `VLLM_API_KEY` (a literal is stored as the release's `vllmApiKey`). @default - `engines.apiKeySecretRef` */
  readonly apiKey?: SecretSource;
  /** `LMCACHE_LOG_LEVEL`. @default DEFAULT_LMCACHE_LOG_LEVEL ('INFO') */
  readonly lmcacheLogLevel?: string;
  /** More env of the router container, after pdstack's. @default - none */
  readonly env?: readonly k8s.EnvVar[];
  /** An existing ServiceAccount. @default - its own, with a Role, RoleBinding and the sleep-label admission policy */
  readonly serviceAccountName?: string;
  /** Labels of the router's objects and pods (its selector too). @default ROUTER_DEFAULTS.labels ({environment: router, release: router}) */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** @default - anywhere, no priority class */
  readonly scheduling?: RouterScheduling;
  /** @default DEFAULT_ROLLING_UPDATE (RollingUpdate, maxSurge 100%, maxUnavailable 0) */
  readonly strategy?: k8s.DeploymentStrategy;
  /** @default - none */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** @default ROUTER_CONTAINER_SECURITY_CONTEXT (none for production-stack's router images) */
  readonly containerSecurityContext?: k8s.SecurityContext;
  /** @default ROUTER_DEFAULTS.resources (requests cpu 400m, memory 1000Mi; limits memory 1000Mi) */
  readonly resources?: k8s.ResourceRequirements;
  /** @default - see `RouterProbes` */
  readonly probes?: RouterProbes;
  /** @default - see `RouterServiceOptions` */
  readonly service?: RouterServiceOptions;
  /** More pod volumes. @default - none */
  readonly volumes?: readonly k8s.Volume[];
  /** More container volume mounts. @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

/** The router's arguments, in production-stack's order (the image's entrypoint is the router). */
export function routerArgs(props: VllmRouterProps): string[] {
  const d = ROUTER_DEFAULTS;
  const { namespace, engines, routing = {}, stats = {} } = props;
  const discovery = props.discovery ?? RouterDiscovery.kubernetes();
  const args = [
    '--host',
    '0.0.0.0',
    '--port',
    String(props.containerPort ?? d.containerPort),
    '--service-discovery',
    discovery.mode,
  ];
  if (discovery.mode === 'k8s') {
    args.push('--k8s-namespace', namespace, '--k8s-service-discovery-type', discovery.type);
    if (engines.labelSelector !== undefined) args.push('--k8s-label-selector', engines.labelSelector);
    args.push('--k8s-port', String(engines.port));
  } else {
    args.push('--static-backends', discovery.backends.join(','), '--static-models', discovery.models.join(','));
  }
  args.push('--routing-logic', routing.logic ?? d.routingLogic);
  const prefix = routing.prefixMinMatchLength ?? d.prefixMinMatchLength;
  if (prefix !== 0) args.push('--prefix-min-match-length', String(prefix));
  if (routing.sessionKey) args.push('--session-key', routing.sessionKey);
  if (props.rootPath) args.push('--root-path', props.rootPath);
  args.push('--engine-stats-interval', String(stats.engineScrapeIntervalSeconds ?? d.engineScrapeInterval));
  args.push('--request-stats-window', String(stats.requestStatsWindowSeconds ?? d.requestStatsWindow));
  args.push(...(props.extraArgs ?? []));
  args.push(...otelArgs(props.tracing));
  return args;
}

/**
 * The router's tracing → `--otel-endpoint`, `--otel-service-name` (an empty name: the flag's default) and `--otel-secure`,
 * after `extraArgs`, when the endpoint is set: production-stack's flags, order and conditions.
 */
export function otelArgs(otel: Partial<RouterTracing> | undefined): string[] {
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
    const { release, namespace, engines, image = {}, scheduling = {}, probes = {}, service = {} } = props;
    requireReleaseAndNamespace('VllmRouter', release, namespace);
    const d = ROUTER_DEFAULTS;
    const repository = image.repository ?? d.repository;
    const labels = routerLabels(release, props.labels ?? d.labels);
    const containerPort = props.containerPort ?? d.containerPort;
    const discovery = props.discovery ?? RouterDiscovery.kubernetes();
    this.serviceName = names.routerServiceName(release);

    const ownAccount = !props.serviceAccountName;
    this.serviceAccountName = props.serviceAccountName || names.routerServiceAccountName(release);
    if (ownAccount) {
      new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: this.serviceAccountName, namespace } });
      const serviceName = discovery.type === 'service-name';
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
      { name: 'LMCACHE_LOG_LEVEL', value: props.lmcacheLogLevel ?? DEFAULT_LMCACHE_LOG_LEVEL },
    );
    const apiKey = props.apiKey
      ? ReleaseSecret.vllmApiKeyRef(this, { release, namespace }, props.apiKey)
      : engines.apiKeySecretRef;
    if (apiKey) env.push({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { ...apiKey } } });
    env.push(...(props.env ?? []));

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: names.routerDeploymentName(release), namespace, labels: { ...labels } },
      spec: {
        replicas: props.replicas ?? d.replicaCount,
        strategy: props.strategy ?? deploymentStrategy(undefined),
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels }, annotations: nonEmpty({ ...props.podAnnotations }) },
          spec: {
            serviceAccountName: this.serviceAccountName,
            terminationGracePeriodSeconds:
              Math.ceil(routerShutdownGraceSeconds(props.extraArgs)) + ROUTER_TERMINATION_MARGIN_SECONDS,
            priorityClassName: scheduling.priorityClassName || undefined,
            securityContext: props.podSecurityContext,
            imagePullSecrets: image.pullSecrets?.length ? [...image.pullSecrets] : undefined,
            affinity: scheduling.affinity ?? nodeAffinity(scheduling.nodeSelectorTerms),
            volumes: props.volumes?.length ? [...props.volumes] : undefined,
            containers: [
              {
                name: 'router-container',
                image: `${repository}:${image.tag ?? d.tag}`,
                imagePullPolicy: image.pullPolicy ?? d.imagePullPolicy,
                args: routerArgs(props),
                env,
                ports: [
                  { name: 'router-port', containerPort },
                  { name: 'lmcache-port', containerPort: ROUTER_LMCACHE_PORT },
                ],
                resources: props.resources ?? fromUser<k8s.ResourceRequirements>(d.resources),
                securityContext:
                  props.containerSecurityContext ??
                  (PRODUCTION_STACK_ROUTER_REPOSITORIES.has(repository)
                    ? undefined
                    : ROUTER_CONTAINER_SECURITY_CONTEXT),
                startupProbe: probe(ROUTER_PROBE_DEFAULTS.startup, 'router-port', probes.startup),
                livenessProbe: probe(ROUTER_PROBE_DEFAULTS.liveness, 'router-port', probes.liveness),
                readinessProbe: probe(ROUTER_PROBE_DEFAULTS.readiness, 'router-port', probes.readiness),
                volumeMounts: props.volumeMounts?.length ? [...props.volumeMounts] : undefined,
              },
            ],
          },
        },
      },
    });

    const serviceType = service.type ?? d.serviceType;
    if (serviceType === 'ExternalName')
      throw new Error(
        'VllmRouter: serviceType ExternalName cannot reach the router (no selector or ports); use ClusterIP, NodePort or LoadBalancer',
      );
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name: this.serviceName,
        namespace,
        labels: { ...labels },
        annotations: nonEmpty({ ...service.annotations }),
      },
      spec: {
        type: serviceType,
        selector: { ...labels },
        ports: [
          {
            name: ROUTER_SERVICE_PORT_NAME,
            port: service.port ?? d.servicePort,
            targetPort: intOrString(containerPort),
            protocol: 'TCP',
            nodePort: serviceType === 'NodePort' && service.nodePort ? service.nodePort : undefined,
          },
          { name: 'lmcache-port', port: ROUTER_LMCACHE_PORT, targetPort: intOrString('lmcache-port'), protocol: 'TCP' },
          ...(service.extraPorts ?? []),
        ],
      },
    });
  }
}
