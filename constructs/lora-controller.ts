/**
 * `LoraController`: `loraController` → production-stack's LoRA controller (the `lmstack-lora-controller` image),
 * which loads the adapters of LoraAdapter custom resources (constructs/lora-adapter.ts) into the engines whose pod
 * label `model` is the adapter's `baseModel`. As production-stack's `deployment-lora-controller.yaml`,
 * `serviceaccount.yaml`, `role.yaml`, `rolebinding.yaml` and `pdb-lora-controller.yaml` render them: the Deployment
 * `<release>-lora-controller` (container `manager`, leader election, health probes on :8081, metrics on :8443,
 * the webhook on :9443, and with `sharedPvcStorage` an init container that hands the shared volume to the
 * controller's user 65532), its ServiceAccount, a ClusterRole and ClusterRoleBinding with production-stack's rules,
 * and the PodDisruptionBudget `<release>-pdb-lora-controller`.
 *
 * Differences (README: deliberate differences): the ClusterRole and its binding are cluster-scoped, so their name
 * holds the namespace (`<release>-<namespace>-lora-controller`); leader election is a Role and RoleBinding in the
 * release's namespace (production-stack: a ClusterRole granting every namespace's ConfigMaps and Leases), since
 * controller-runtime elects its leader in the namespace the pod runs in.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { LORA_CONTROLLER_DEFAULTS, SHARED_STORAGE_DEFAULTS } from './defaults.js';
import { requireReleaseAndNamespace, requireWholeNumber } from './invariants.js';
import { SHARED_STORAGE_MOUNT_PATH } from './engine-volumes.js';
import { fromUser } from './kube-json.js';
import { LORA_ADAPTER_GROUP } from './lora-adapter.js';
import { loraControllerLabels, type Labels } from './labels.js';
import { requireUniqueObjects } from './unique-objects.js';
import { nonEmpty, podDisruptionBudget, type DisruptionBudget } from './workload.js';

/** Ports and paths of the controller (controller-runtime's flags as production-stack passes them). */
export const LORA_CONTROLLER_HEALTH_PORT = 8081;
export const LORA_CONTROLLER_METRICS_PORT = 8443;
export const LORA_CONTROLLER_WEBHOOK_PORT = 9443;
export const LORA_CONTROLLER_WEBHOOK_CERT_PATH = '/tmp/k8s-webhook-server/serving-certs';
/** The user the controller's image runs as (distroless `nonroot`): the init container gives it the shared volume. */
export const LORA_CONTROLLER_UID = 65532;

/** The controller pod's metadata, security contexts, resources, scheduling and env. */
export interface LoraControllerPodSettings {
  /** The Deployment's labels, after its own. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The Deployment's annotations. @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The pods' labels, after their own (not the selector). @default - none */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** @default LORA_CONTROLLER_POD_SECURITY_CONTEXT (runAsNonRoot, seccomp RuntimeDefault) */
  readonly podSecurityContext?: k8s.PodSecurityContext;
  /** The `manager` container's. @default LORA_CONTROLLER_CONTAINER_SECURITY_CONTEXT (no privilege escalation, all capabilities dropped) */
  readonly containerSecurityContext?: k8s.SecurityContext;
  /** The `manager` container's requests and limits. @default - none */
  readonly resources?: k8s.ResourceRequirements;
  /** @default - none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly affinity?: k8s.Affinity;
  /** @default - none */
  readonly tolerations?: readonly k8s.Toleration[];
  /** @default - none */
  readonly imagePullSecrets?: readonly k8s.LocalObjectReference[];
  /** More env of the `manager` container, after `WATCH_NAMESPACE` and `KUBERNETES_CLUSTER_DOMAIN`. @default - none */
  readonly env?: readonly k8s.EnvVar[];
}

/** production-stack's security contexts of the controller (the schema's defaults of `loraController`). */
export const LORA_CONTROLLER_POD_SECURITY_CONTEXT = fromUser<k8s.PodSecurityContext>(
  LORA_CONTROLLER_DEFAULTS.podSecurityContext,
);
export const LORA_CONTROLLER_CONTAINER_SECURITY_CONTEXT = fromUser<k8s.SecurityContext>(
  LORA_CONTROLLER_DEFAULTS.containerSecurityContext,
);

/** The shared volume (`sharedPvcStorage`) the controller mounts. */
export interface LoraSharedStorage {
  /** The claim: `<release>-shared-pvc-storage-claim` (`SharedStorage.claimName`). */
  readonly claimName: string;
  /** The init container's image, which `chown`s the volume. @default SHARED_STORAGE_DEFAULTS.image (busybox:1.37) */
  readonly initImage?: { readonly repository: string; readonly tag: string };
}

export interface LoraControllerProps {
  /** Release name: prefix of the object names. */
  readonly release: string;
  /** The namespace of the objects, the controller's `WATCH_NAMESPACE` and its RBAC subjects. */
  readonly namespace: string;
  /** @default LORA_CONTROLLER_DEFAULTS.image (lmcache/lmstack-lora-controller:latest) */
  readonly image?: { readonly repository: string; readonly tag: string };
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** @default 1 */
  readonly replicas?: number;
  /** An existing ServiceAccount: no ServiceAccount, ClusterRole or bindings are rendered. @default - its own, `<release>-lora-controller` */
  readonly serviceAccountName?: string;
  /** `KUBERNETES_CLUSTER_DOMAIN`. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Serve metrics over HTTPS on :8443; `false` turns the endpoint off. @default true */
  readonly metrics?: boolean;
  /** Serve the webhook on :9443 with the certificate of Secret `<release>-lora-controller-webhook-server-cert` (not rendered). @default false */
  readonly webhook?: boolean;
  /** Arguments after the controller's own. @default - none */
  readonly extraArgs?: readonly string[];
  /** Labels, annotations, security contexts, resources, scheduling and env. @default - production-stack's security contexts, nothing else */
  readonly pod?: LoraControllerPodSettings;
  /** The shared volume to mount at /data/shared-pvc-storage. @default - none */
  readonly sharedStorage?: LoraSharedStorage;
  /** A PodDisruptionBudget `<release>-pdb-lora-controller` over the controller's pods. @default - none */
  readonly pdb?: DisruptionBudget;
}

export class LoraController extends Construct {
  public readonly deployment: k8s.KubeDeployment;
  public readonly serviceAccountName: string;
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  public readonly clusterRole?: k8s.KubeClusterRole;
  public readonly leaderElectionRole?: k8s.KubeRole;
  public readonly pdb?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: LoraControllerProps) {
    super(scope, id);
    requireUniqueObjects(this);
    requireReleaseAndNamespace('LoraController', props.release, props.namespace);
    const { release, namespace } = props;
    const d = LORA_CONTROLLER_DEFAULTS;
    const replicas = props.replicas ?? d.replicaCount;
    requireWholeNumber(`LoraController ${release}`, 'replicas', replicas, 0);
    const pod = props.pod ?? {};
    const labels = loraControllerLabels(release);
    const name = names.loraControllerName(release);
    this.serviceAccountName = props.serviceAccountName || name;
    if (!props.serviceAccountName) this.rbac(release, namespace, labels);

    const metrics = props.metrics ?? d.metrics;
    const webhook = props.webhook ?? d.webhook;
    const shared = props.sharedStorage;
    const sharedVolume = names.sharedStorageVolumeName(release);
    const sharedMount = { name: sharedVolume, mountPath: SHARED_STORAGE_MOUNT_PATH };
    const initImage = shared?.initImage ?? SHARED_STORAGE_DEFAULTS.image;
    const image = props.image ?? d.image;
    const volumeMounts: k8s.VolumeMount[] = [
      ...(webhook
        ? [{ name: 'webhook-server-cert', mountPath: LORA_CONTROLLER_WEBHOOK_CERT_PATH, readOnly: true }]
        : []),
      ...(shared ? [sharedMount] : []),
    ];
    const volumes: k8s.Volume[] = [
      ...(webhook
        ? [{ name: 'webhook-server-cert', secret: { secretName: names.loraControllerWebhookCertSecretName(release) } }]
        : []),
      ...(shared ? [{ name: sharedVolume, persistentVolumeClaim: { claimName: shared.claimName } }] : []),
    ];
    const container: k8s.Container = {
      name: 'manager',
      image: `${image.repository}:${image.tag}`,
      imagePullPolicy: props.imagePullPolicy ?? d.image.pullPolicy,
      args: [
        '--leader-elect',
        `--health-probe-bind-address=:${LORA_CONTROLLER_HEALTH_PORT}`,
        ...(metrics ? [`--metrics-bind-address=:${LORA_CONTROLLER_METRICS_PORT}`, '--metrics-secure'] : []),
        ...(metrics ? [] : ['--metrics-bind-address=0']),
        ...(webhook ? [`--webhook-cert-path=${LORA_CONTROLLER_WEBHOOK_CERT_PATH}`] : []),
        ...(props.extraArgs ?? []),
      ],
      env: [
        { name: 'WATCH_NAMESPACE', value: namespace },
        { name: 'KUBERNETES_CLUSTER_DOMAIN', value: props.clusterDomain ?? d.kubernetesClusterDomain },
        ...(pod.env ?? []),
      ],
      // the metrics port is declared whether or not metrics are served, as production-stack declares it
      ports: [
        { name: 'metrics', containerPort: LORA_CONTROLLER_METRICS_PORT, protocol: 'TCP' },
        ...(webhook ? [{ name: 'webhook-server', containerPort: LORA_CONTROLLER_WEBHOOK_PORT, protocol: 'TCP' }] : []),
      ],
      livenessProbe: probe('/healthz', 15, 20),
      readinessProbe: probe('/readyz', 5, 10),
      resources: nonEmpty(pod.resources),
      securityContext: pod.containerSecurityContext ?? LORA_CONTROLLER_CONTAINER_SECURITY_CONTEXT,
      volumeMounts: volumeMounts.length > 0 ? volumeMounts : undefined,
    };
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name,
        namespace,
        labels: { ...labels, ...pod.labels },
        annotations: nonEmpty({ ...pod.annotations }),
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels, ...pod.podLabels }, annotations: nonEmpty({ ...pod.podAnnotations }) },
          spec: {
            imagePullSecrets: pod.imagePullSecrets?.length ? [...pod.imagePullSecrets] : undefined,
            serviceAccountName: this.serviceAccountName,
            securityContext: pod.podSecurityContext ?? LORA_CONTROLLER_POD_SECURITY_CONTEXT,
            initContainers: shared
              ? [
                  {
                    name: 'fix-perms',
                    image: `${initImage.repository}:${initImage.tag}`,
                    command: [
                      'sh',
                      '-c',
                      `chown -R ${LORA_CONTROLLER_UID}:${LORA_CONTROLLER_UID} ${SHARED_STORAGE_MOUNT_PATH}`,
                    ],
                    securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false },
                    volumeMounts: [sharedMount],
                  },
                ]
              : undefined,
            containers: [container],
            volumes: volumes.length > 0 ? volumes : undefined,
            nodeSelector: nonEmpty(pod.nodeSelector) ? { ...pod.nodeSelector } : undefined,
            affinity: nonEmpty(pod.affinity),
            tolerations: pod.tolerations?.length ? [...pod.tolerations] : undefined,
            terminationGracePeriodSeconds: 10,
          },
        },
      },
    });
    if (props.pdb) {
      this.pdb = podDisruptionBudget(this, 'Pdb', {
        name: names.loraControllerPdbName(release),
        namespace,
        selector: labels,
        pdb: props.pdb,
      });
    }
  }

  /** Its ServiceAccount, production-stack's ClusterRole rules bound to it, and the leader-election Role. */
  private rbac(release: string, namespace: string, labels: Labels): void {
    const subjects = [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace }];
    const all = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    (this as { serviceAccount?: k8s.KubeServiceAccount }).serviceAccount = new k8s.KubeServiceAccount(
      this,
      'ServiceAccount',
      { metadata: { name: this.serviceAccountName, namespace, labels: { ...labels } } },
    );
    const clusterRoleName = names.loraControllerClusterRoleName(release, namespace);
    (this as { clusterRole?: k8s.KubeClusterRole }).clusterRole = new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: clusterRoleName, labels: { ...labels } },
      rules: [
        { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: all },
        { apiGroups: [LORA_ADAPTER_GROUP], resources: ['loraadapters'], verbs: all },
        { apiGroups: [LORA_ADAPTER_GROUP], resources: ['loraadapters/status'], verbs: ['get', 'update', 'patch'] },
        {
          apiGroups: [''],
          resources: ['pods', 'events', 'secrets'],
          verbs: ['get', 'list', 'watch', 'update', 'patch'],
        },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: clusterRoleName, labels: { ...labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
      subjects,
    });
    const electionLabels = { ...labels, 'app.kubernetes.io/component': 'leader-election' };
    const roleName = names.loraLeaderElectionRoleName(release);
    (this as { leaderElectionRole?: k8s.KubeRole }).leaderElectionRole = new k8s.KubeRole(this, 'LeaderElectionRole', {
      metadata: { name: roleName, namespace, labels: electionLabels },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'LeaderElectionRoleBinding', {
      metadata: { name: names.loraLeaderElectionRoleBindingName(release), namespace, labels: electionLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects,
    });
  }
}

const probe = (path: string, initialDelaySeconds: number, periodSeconds: number): k8s.Probe => ({
  httpGet: { path, port: k8s.IntOrString.fromNumber(LORA_CONTROLLER_HEALTH_PORT) },
  initialDelaySeconds,
  periodSeconds,
});

/** A values file's `{repository, tag}`, each key left out taken from `defaults`; undefined when neither is given. */
export function imageOrDefault(
  image: { readonly repository?: string; readonly tag?: string } | undefined,
  defaults: { readonly repository: string; readonly tag: string },
): { repository: string; tag: string } | undefined {
  if (image?.repository === undefined && image?.tag === undefined) return undefined;
  return { repository: image.repository ?? defaults.repository, tag: image.tag ?? defaults.tag };
}
