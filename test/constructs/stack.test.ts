import { describe, expect, it } from 'vitest';
import { ROUTER_CONTAINER_SECURITY_CONTEXT } from '../../constructs/router.js';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { isClusterScoped, validateKubeObject } from '../support/kube-validate.js';
import { envMap, find, synthStack, vllmContainer } from '../support/synth.js';
import { exampleValues } from '../support/values.js';

// The bundled example (the tutorial's values-16 with the peer host fixed for release pd) against what
// production-stack's chart renders for it (reference §2.3), modulo pdstack's documented fixes.
describe('PdStack on the bundled example, release pd', () => {
  const objects = synthStack(exampleValues());

  it('renders exactly the objects production-stack renders', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/pd-deployment-router',
      'Deployment/pd-llama-decode-deployment-vllm',
      'Deployment/pd-llama-prefill-deployment-vllm',
      'PersistentVolumeClaim/pd-llama-decode-storage-claim',
      'PersistentVolumeClaim/pd-llama-prefill-storage-claim',
      'Role/pd-reader',
      'RoleBinding/pd-deployment-access-binding',
      'Secret/pd-secrets',
      'Service/pd-llama-decode-engine-service',
      'Service/pd-llama-prefill-engine-service',
      'Service/pd-router-service',
      'ServiceAccount/pd-router-service-account',
      'ValidatingAdmissionPolicy/pd-default-router-sleeping-label',
      'ValidatingAdmissionPolicyBinding/pd-default-router-sleeping-label',
    ]);
    for (const o of objects) expect(o.metadata.namespace).toBe(isClusterScoped(o) ? undefined : 'default');
  });

  it('passes the Kubernetes schema for every object', () => {
    for (const o of objects) expect(() => validateKubeObject(o)).not.toThrow();
  });

  it('renders the prefill command with the kv-transfer-config of production-stack', () => {
    const c = vllmContainer(find(objects, 'Deployment', 'pd-llama-prefill-deployment-vllm'));
    expect(c.command).toEqual([
      '/opt/venv/bin/vllm',
      'serve',
      'meta-llama/Llama-3.1-8B-Instruct',
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--enable-prefix-caching',
      '--max-model-len',
      '32000',
      '--gpu-memory-utilization',
      '0.6',
      '--kv-transfer-config',
      '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_producer","kv_connector_extra_config":{"discard_partial_chunks": false, "lmcache_rpc_port": "sender"}}',
    ]);
    expect(c.args).toBeUndefined();
    expect(c.image).toBe('lmcache/vllm-openai:2025-05-27-v1');
  });

  it('renders the prefill env in production-stack order and values', () => {
    const c = vllmContainer(find(objects, 'Deployment', 'pd-llama-prefill-deployment-vllm'));
    expect(c.env.map((e: { name: string }) => e.name)).toEqual([
      'PYTHONHASHSEED',
      'HF_HOME',
      'POD_IP',
      'PROMETHEUS_MULTIPROC_DIR',
      'HF_TOKEN',
      'LMCACHE_USE_EXPERIMENTAL',
      'VLLM_RPC_TIMEOUT',
      'LMCACHE_LOG_LEVEL',
      'CUDA_VISIBLE_DEVICES',
      'LMCACHE_LOCAL_CPU',
      'LMCACHE_MAX_LOCAL_CPU_SIZE',
      'LMCACHE_REMOTE_SERDE',
      'UCX_TLS',
      'LMCACHE_ENABLE_NIXL',
      'LMCACHE_NIXL_ROLE',
      'LMCACHE_NIXL_RECEIVER_HOST',
      'LMCACHE_NIXL_RECEIVER_PORT',
      'LMCACHE_NIXL_BUFFER_SIZE',
      'LMCACHE_NIXL_BUFFER_DEVICE',
      'LMCACHE_NIXL_ENABLE_GC',
      'LMCACHE_LMCACHE_INSTANCE_ID',
    ]);
    expect(envMap(c)).toEqual({
      PYTHONHASHSEED: '123',
      HF_HOME: '/data',
      POD_IP: '<fieldRef:status.podIP>',
      PROMETHEUS_MULTIPROC_DIR: '/tmp',
      HF_TOKEN: '<secret:pd-secrets/hf_token_llama-prefill>',
      LMCACHE_USE_EXPERIMENTAL: 'True',
      VLLM_RPC_TIMEOUT: '1000000',
      LMCACHE_LOG_LEVEL: 'INFO',
      CUDA_VISIBLE_DEVICES: '0',
      LMCACHE_LOCAL_CPU: 'False',
      LMCACHE_MAX_LOCAL_CPU_SIZE: '0',
      LMCACHE_REMOTE_SERDE: 'NULL',
      UCX_TLS: 'cuda_ipc,cuda_copy,tcp',
      LMCACHE_ENABLE_NIXL: 'True',
      LMCACHE_NIXL_ROLE: 'sender',
      LMCACHE_NIXL_RECEIVER_HOST: 'pd-llama-decode-engine-service',
      LMCACHE_NIXL_RECEIVER_PORT: '55555',
      LMCACHE_NIXL_BUFFER_SIZE: '1073741824',
      LMCACHE_NIXL_BUFFER_DEVICE: 'cuda',
      LMCACHE_NIXL_ENABLE_GC: 'True',
      LMCACHE_LMCACHE_INSTANCE_ID: '<fieldRef:metadata.name>',
    });
  });

  it('renders the decode engine as the receiver on GPU 1', () => {
    const c = vllmContainer(find(objects, 'Deployment', 'pd-llama-decode-deployment-vllm'));
    expect(c.command).toContain(
      '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_consumer","kv_connector_extra_config":{"discard_partial_chunks": false, "lmcache_rpc_port": "receiver"}}',
    );
    expect(c.command).not.toContain('--gpu-memory-utilization');
    const env = envMap(c);
    expect(env).toMatchObject({
      CUDA_VISIBLE_DEVICES: '1',
      LMCACHE_NIXL_ROLE: 'receiver',
      LMCACHE_NIXL_RECEIVER_HOST: '0.0.0.0',
    });
    expect(env.HF_TOKEN).toBe('<secret:pd-secrets/hf_token_llama-decode>');
  });

  it('lays out the engine pod as production-stack does', () => {
    const d = find(objects, 'Deployment', 'pd-llama-prefill-deployment-vllm');
    const pod = d.spec.template.spec;
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.progressDeadlineSeconds).toBe(1200);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } });
    expect(pod).toMatchObject({
      hostIPC: true,
      hostPID: true,
      hostname: 'pd-llama-prefill-vllm-stack',
      subdomain: 'pd-llama-prefill-engine-service',
    });
    expect(pod.runtimeClassName).toBeUndefined(); // runtimeClassName: "" omits it
    const labels = {
      model: 'llama-prefill',
      'helm-release-name': 'pd',
      'app.kubernetes.io/name': 'llama-prefill',
      'app.kubernetes.io/instance': 'pd',
      'app.kubernetes.io/component': 'serving-engine',
      'app.kubernetes.io/part-of': 'vllm-stack',
      'app.kubernetes.io/managed-by': 'helm',
      environment: 'test',
      release: 'test',
    };
    expect(d.spec.selector.matchLabels).toEqual(labels);
    expect(d.spec.template.metadata.labels).toEqual(labels);
    const c = vllmContainer(d);
    expect(c.ports).toEqual([
      { name: 'container-port', containerPort: 8000 },
      { name: 'zmq-port', containerPort: 55555 },
      { name: 'ucx-port', containerPort: 9999 },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '8', memory: '30Gi' } }); // fix: no `limits: null`
    expect(c.securityContext).toEqual({ runAsNonRoot: false });
    expect(c.startupProbe).toEqual({
      initialDelaySeconds: 15,
      periodSeconds: 10,
      failureThreshold: 60,
      httpGet: { path: '/health', port: 8000 },
    });
    expect(c.livenessProbe).toEqual({
      initialDelaySeconds: 15,
      periodSeconds: 10,
      failureThreshold: 3,
      httpGet: { path: '/health', port: 8000 },
    });
    expect(c.readinessProbe).toEqual({
      initialDelaySeconds: 15,
      periodSeconds: 5,
      failureThreshold: 3,
      httpGet: { path: '/health', port: 8000 },
    });
    expect(c.volumeMounts).toEqual([{ name: 'pd-storage', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([
      { name: 'pd-storage', persistentVolumeClaim: { claimName: 'pd-llama-prefill-storage-claim' } },
    ]);
  });

  it('leaks no cdk8s-plus default into the pods; only the documented hardening', () => {
    for (const name of ['pd-llama-prefill-deployment-vllm', 'pd-llama-decode-deployment-vllm']) {
      const pod = find(objects, 'Deployment', name).spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toBeUndefined();
      for (const c of pod.containers) {
        expect(c.securityContext?.readOnlyRootFilesystem).toBeUndefined();
        expect(c.securityContext?.runAsNonRoot).not.toBe(true);
      }
    }
    const router = find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec;
    expect(router.automountServiceAccountToken).toBeUndefined();
    expect(router.securityContext).toBeUndefined();
    expect(router.containers[0].securityContext).toEqual(ROUTER_CONTAINER_SECURITY_CONTEXT);
  });

  it('renders engine Services and PVCs', () => {
    const s = find(objects, 'Service', 'pd-llama-decode-engine-service');
    expect(s.spec.type).toBe('ClusterIP');
    expect(s.spec.ports).toEqual([
      { name: 'service-port', port: 80, targetPort: 'container-port', protocol: 'TCP' },
      { name: 'zmq-port', port: 55555, targetPort: 'zmq-port', protocol: 'TCP' },
      { name: 'ucx-port', port: 9999, targetPort: 'ucx-port', protocol: 'TCP' },
    ]);
    expect(s.spec.selector).toEqual(
      find(objects, 'Deployment', 'pd-llama-decode-deployment-vllm').spec.selector.matchLabels,
    );
    const pvc = find(objects, 'PersistentVolumeClaim', 'pd-llama-decode-storage-claim');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } });
  });

  it('stores the literal hf_tokens in the release Secret', () => {
    const secret = find(objects, 'Secret', 'pd-secrets');
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data).sort()).toEqual(['hf_token_llama-decode', 'hf_token_llama-prefill']);
    expect(Buffer.from(secret.data['hf_token_llama-prefill'], 'base64').toString()).toBe('<your-hf-token>');
  });

  it('starts the router with production-stack args plus --k8s-port and an instance-scoped selector', () => {
    const d = find(objects, 'Deployment', 'pd-deployment-router');
    const c = d.spec.template.spec.containers[0];
    expect(c.name).toBe('router-container');
    expect(c.image).toBe(`${ROUTER_IMAGE.repository}:${ROUTER_IMAGE.tag}`);
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual([
      '--host',
      '0.0.0.0',
      '--port',
      '8000',
      '--service-discovery',
      'k8s',
      '--k8s-namespace',
      'default',
      '--k8s-service-discovery-type',
      'pod-ip',
      '--k8s-label-selector',
      'app.kubernetes.io/instance=pd,environment=test,release=test',
      '--k8s-port',
      '8000',
      '--routing-logic',
      'disaggregated_prefill',
      '--engine-stats-interval',
      '15',
      '--request-stats-window',
      '60',
      '--prefill-model-labels',
      'llama-prefill',
      '--decode-model-labels',
      'llama-decode',
    ]);
    expect(envMap(c)).toEqual({ PYTHONHASHSEED: '123', LMCACHE_LOG_LEVEL: 'INFO' });
    expect(c.resources).toEqual({ requests: { cpu: '4', memory: '16G' }, limits: { cpu: '4', memory: '32G' } });
    expect(c.ports).toEqual([
      { name: 'router-port', containerPort: 8000 },
      { name: 'lmcache-port', containerPort: 9000 },
    ]);
    expect(c.livenessProbe).toEqual({
      initialDelaySeconds: 30,
      periodSeconds: 5,
      failureThreshold: 3,
      httpGet: { path: '/health', port: 'router-port' },
    });
    expect(c.startupProbe).toEqual({
      initialDelaySeconds: 5,
      periodSeconds: 5,
      failureThreshold: 3,
      httpGet: { path: '/health', port: 'router-port' },
    });
    expect(d.spec.template.spec.serviceAccountName).toBe('pd-router-service-account');
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'router',
      'app.kubernetes.io/instance': 'pd',
      'app.kubernetes.io/component': 'router',
      'app.kubernetes.io/part-of': 'vllm-stack',
      'app.kubernetes.io/managed-by': 'helm',
      environment: 'router',
      release: 'router',
    });
  });

  it('exposes the router on port 80 and grants discovery RBAC (get/watch/list, patch on pods for the sleeping label)', () => {
    const s = find(objects, 'Service', 'pd-router-service');
    expect(s.spec.ports).toEqual([
      { name: 'router-sport', port: 80, targetPort: 8000, protocol: 'TCP' },
      { name: 'lmcache-port', port: 9000, targetPort: 'lmcache-port', protocol: 'TCP' },
    ]);
    expect(find(objects, 'Role', 'pd-reader').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['patch'] },
    ]);
    expect(find(objects, 'RoleBinding', 'pd-deployment-access-binding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'pd-router-service-account', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pd-reader' },
    });
  });

  it('in service-name mode grants patch on Services only (they carry the sleeping label), not on pods or Endpoints', () => {
    const values = exampleValues();
    const withServiceName = {
      ...values,
      routerSpec: { ...values.routerSpec, k8sServiceDiscoveryType: 'service-name' as const },
    };
    expect(find(synthStack(withServiceName), 'Role', 'pd-reader').rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: [''], resources: ['services'], verbs: ['patch'] },
    ]);
  });

  it('names everything after another release consistently', () => {
    const other = synthStack(exampleValues(), 'other', 'team-a');
    for (const o of other) {
      expect(o.metadata.name.startsWith(isClusterScoped(o) ? 'other-team-a-' : 'other-')).toBe(true);
      expect(o.metadata.namespace).toBe(isClusterScoped(o) ? undefined : 'team-a');
    }
    const router = find(other, 'Deployment', 'other-deployment-router').spec.template.spec.containers[0];
    expect(router.args).toContain('app.kubernetes.io/instance=other,environment=test,release=test');
    expect(router.args).toContain('team-a');
  });
});

describe('PdStack invariants', () => {
  it('refuses a release that cannot name its objects, before any engine is built', () => {
    expect(() => synthStack(exampleValues(), 'Pd')).toThrow(/^PdStack: release name `Pd` is not valid: /);
  });
});
