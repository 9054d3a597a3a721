import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { LoraController } from '../../constructs/lora-controller.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import type { KubeObject } from '../support/kube-validate.js';
import { find, loraStack } from '../support/synth.js';

const render = (values: PdstackValues): KubeObject[] => loraStack(values);

const LABELS = { 'app.kubernetes.io/component': 'lora-controller', 'helm-release-name': 'vllm' };
const ELECTION_LABELS = { 'app.kubernetes.io/component': 'leader-election', 'helm-release-name': 'vllm' };
const SUBJECTS = [{ kind: 'ServiceAccount', name: 'vllm-lora-controller', namespace: 'llm' }];

describe('LoraController', () => {
  it("renders production-stack's controller Deployment with the defaults of its values.yaml", () => {
    const deployment = find(
      render({ loraController: { enableLoraController: true } }),
      'Deployment',
      'vllm-lora-controller',
    );
    expect(deployment.metadata).toEqual({ name: 'vllm-lora-controller', namespace: 'llm', labels: LABELS });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: LABELS });
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata).toEqual({ labels: LABELS });
    expect(pod.serviceAccountName).toBe('vllm-lora-controller');
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.terminationGracePeriodSeconds).toBe(10);
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes).toBeUndefined();
    expect(pod.containers).toEqual([
      {
        name: 'manager',
        image: 'lmcache/lmstack-lora-controller:latest',
        imagePullPolicy: 'IfNotPresent',
        args: [
          '--leader-elect',
          '--health-probe-bind-address=:8081',
          '--metrics-bind-address=:8443',
          '--metrics-secure',
        ],
        env: [
          { name: 'WATCH_NAMESPACE', value: 'llm' },
          { name: 'KUBERNETES_CLUSTER_DOMAIN', value: 'cluster.local' },
        ],
        ports: [{ name: 'metrics', containerPort: 8443, protocol: 'TCP' }],
        livenessProbe: { httpGet: { path: '/healthz', port: 8081 }, initialDelaySeconds: 15, periodSeconds: 20 },
        readinessProbe: { httpGet: { path: '/readyz', port: 8081 }, initialDelaySeconds: 5, periodSeconds: 10 },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ]);
  });

  it("grants its ServiceAccount production-stack's ClusterRole rules, named with the namespace, and leader election in the namespace only", () => {
    const objects = render({ loraController: { enableLoraController: true } });
    expect(find(objects, 'ServiceAccount', 'vllm-lora-controller').metadata).toEqual({
      name: 'vllm-lora-controller',
      namespace: 'llm',
      labels: LABELS,
    });
    const all = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    expect(find(objects, 'ClusterRole', 'vllm-llm-lora-controller').rules).toEqual([
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: all },
      { apiGroups: ['production-stack.vllm.ai'], resources: ['loraadapters'], verbs: all },
      {
        apiGroups: ['production-stack.vllm.ai'],
        resources: ['loraadapters/status'],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: [''], resources: ['pods', 'events', 'secrets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    ]);
    const bound = (kind: string, name: string): unknown[] => {
      const binding = find(objects, kind, name);
      return [binding.roleRef, binding.subjects];
    };
    const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
    expect(bound('ClusterRoleBinding', 'vllm-llm-lora-controller')).toEqual([
      ref('ClusterRole', 'vllm-llm-lora-controller'),
      SUBJECTS,
    ]);
    const role = find(objects, 'Role', 'vllm-leader-election-role');
    expect(role.metadata).toEqual({ name: 'vllm-leader-election-role', namespace: 'llm', labels: ELECTION_LABELS });
    expect(role.rules.map((r: { resources: string[] }) => r.resources)).toEqual([
      ['configmaps'],
      ['leases'],
      ['events'],
    ]);
    expect(bound('RoleBinding', 'vllm-leader-election-rolebinding')).toEqual([
      ref('Role', 'vllm-leader-election-role'),
      SUBJECTS,
    ]);
    expect(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual([
      'vllm-llm-lora-controller',
    ]);
  });

  it('with an existing serviceAccountName renders no ServiceAccount and no RBAC objects', () => {
    const objects = render({ loraController: { enableLoraController: true, serviceAccountName: 'mine' } });
    expect(find(objects, 'Deployment', 'vllm-lora-controller').spec.template.spec.serviceAccountName).toBe('mine');
    expect(objects.filter((o) => /Role|ServiceAccount/.test(o.kind)).map((o) => o.kind)).toEqual([]);
  });

  it('renders the webhook, metrics off, extra args and env, and the pod settings verbatim', () => {
    const deployment = find(
      render({
        loraController: {
          enableLoraController: true,
          replicaCount: 2,
          image: { repository: 'r/c', tag: 'v1', pullPolicy: 'Always' },
          kubernetesClusterDomain: 'corp.local',
          metrics: { enabled: false },
          webhook: { enabled: true },
          extraArgs: ['--zap-log-level=debug'],
          env: [{ name: 'A', value: '1' }],
          labels: { team: 'ml' },
          podLabels: { tier: 'ctl' },
          annotations: { a: 'b' },
          podAnnotations: { c: 'd' },
          imagePullSecrets: [{ name: 'regcred' }],
          nodeSelector: { pool: 'cpu' },
          tolerations: [{ key: 'k', operator: 'Exists' }],
          resources: { requests: { cpu: '100m' } },
        },
      }),
      'Deployment',
      'vllm-lora-controller',
    );
    expect(deployment.metadata.labels).toEqual({ ...LABELS, team: 'ml' });
    expect(deployment.metadata.annotations).toEqual({ a: 'b' });
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(LABELS);
    expect(deployment.spec.template.metadata).toEqual({ labels: { ...LABELS, tier: 'ctl' }, annotations: { c: 'd' } });
    const pod = deployment.spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.nodeSelector).toEqual({ pool: 'cpu' });
    expect(pod.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
    const [manager] = pod.containers;
    expect(manager.image).toBe('r/c:v1');
    expect(manager.imagePullPolicy).toBe('Always');
    expect(manager.resources).toEqual({ requests: { cpu: '100m' } });
    expect(manager.args).toEqual([
      '--leader-elect',
      '--health-probe-bind-address=:8081',
      '--metrics-bind-address=0',
      '--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs',
      '--zap-log-level=debug',
    ]);
    expect(manager.env).toEqual([
      { name: 'WATCH_NAMESPACE', value: 'llm' },
      { name: 'KUBERNETES_CLUSTER_DOMAIN', value: 'corp.local' },
      { name: 'A', value: '1' },
    ]);
    expect(manager.ports).toEqual([
      { name: 'metrics', containerPort: 8443, protocol: 'TCP' },
      { name: 'webhook-server', containerPort: 9443, protocol: 'TCP' },
    ]);
    expect(manager.volumeMounts).toEqual([
      { name: 'webhook-server-cert', mountPath: '/tmp/k8s-webhook-server/serving-certs', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'webhook-server-cert', secret: { secretName: 'vllm-lora-controller-webhook-server-cert' } },
    ]);
  });

  it("mounts the shared volume, which a root init container first hands to the controller's user", () => {
    const objects = render({
      loraController: { enableLoraController: true },
      sharedPvcStorage: { enabled: true, image: { repository: 'docker.io/busybox', tag: 'latest' } },
    });
    const pod = find(objects, 'Deployment', 'vllm-lora-controller').spec.template.spec;
    const mount = { name: 'vllm-shared-pvc-storage', mountPath: '/data/shared-pvc-storage' };
    expect(pod.initContainers).toEqual([
      {
        name: 'fix-perms',
        image: 'docker.io/busybox:latest',
        command: ['sh', '-c', 'chown -R 65532:65532 /data/shared-pvc-storage'],
        securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false },
        volumeMounts: [mount],
      },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([mount]);
    expect(pod.volumes).toEqual([
      { name: 'vllm-shared-pvc-storage', persistentVolumeClaim: { claimName: 'vllm-shared-pvc-storage-claim' } },
    ]);
    // the engines mount the same claim (constructs/engine-volumes.ts)
    const engine = find(objects, 'Deployment', 'vllm-opt-deployment-vllm').spec.template.spec;
    expect(engine.volumes).toContainEqual(pod.volumes[0]);
  });

  it('the init container defaults to busybox:1.37, as production-stack', () => {
    const objects = render({ loraController: { enableLoraController: true }, sharedPvcStorage: { enabled: true } });
    expect(find(objects, 'Deployment', 'vllm-lora-controller').spec.template.spec.initContainers[0].image).toBe(
      'busybox:1.37',
    );
  });

  it('renders the PodDisruptionBudget over its pods when pdb.enabled; maxUnavailable wins', () => {
    const objects = render({
      loraController: { enableLoraController: true, pdb: { enabled: true, minAvailable: 1, maxUnavailable: 1 } },
    });
    const pdb = find(objects, 'PodDisruptionBudget', 'vllm-pdb-lora-controller');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: LABELS } });
    expect(
      render({ loraController: { enableLoraController: true } }).some((o) => o.kind === 'PodDisruptionBudget'),
    ).toBe(false);
  });

  it('renders nothing when not enabled', () => {
    const objects = render({ loraController: { enableLoraController: false, pdb: { enabled: true } } });
    expect(objects.filter((o) => o.metadata.name.includes('lora'))).toEqual([]);
  });

  it('takes typed props built in code: quantities, security contexts, scheduling and env as k8s objects', () => {
    const chart = new Chart(Testing.app(), 'c');
    new LoraController(chart, 'ctl', {
      release: 'vllm',
      namespace: 'llm',
      pod: {
        resources: { requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') } },
        podSecurityContext: { runAsUser: 1000 },
        containerSecurityContext: { readOnlyRootFilesystem: true },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['cpu'] }] }],
            },
          },
        },
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
        imagePullSecrets: [{ name: 'regcred' }],
        env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        nodeSelector: { pool: 'cpu' },
      },
    });
    const deployment = find(Testing.synth(chart) as KubeObject[], 'Deployment', 'vllm-lora-controller');
    const pod = deployment.spec.template.spec;
    const [manager] = pod.containers;
    expect(manager.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' } });
    expect(manager.securityContext).toEqual({ readOnlyRootFilesystem: true });
    expect(manager.env.at(-1)).toEqual({ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } });
    expect(pod.securityContext).toEqual({ runAsUser: 1000 });
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'pool', operator: 'In', values: ['cpu'] }] },
    ]);
    expect(pod.tolerations).toEqual([{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.nodeSelector).toEqual({ pool: 'cpu' });
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 'c');
    expect(() => new LoraController(chart, 'a', { release: 'vllm', namespace: 'llm', replicas: -1 })).toThrow(
      'LoraController vllm: replicas: -1 is not a whole number of at least 0',
    );
    expect(() => new LoraController(chart, 'b', { release: 'Bad_Name', namespace: 'llm' })).toThrow(/LoraController/);
    expect(() => new LoraController(chart, 'c', { release: 'vllm', namespace: 'Team_A' })).toThrow(/^LoraController: /);
  });
});
