import { describe, expect, it } from 'vitest';
import { engineObjects, enginePod } from '../support/engine.js';
import { find, vllmContainer } from '../support/synth.js';

describe('engine volumes', () => {
  it('creates the PVC for a storage size and mounts it at /data', () => {
    const objects = engineObjects({ pvcStorage: '50Gi', storageClass: 'fast', pvcAccessMode: ['ReadWriteMany'] });
    expect(find(objects, 'PersistentVolumeClaim', 'pd-opt-storage-claim').spec).toEqual({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '50Gi' } },
      storageClassName: 'fast',
    });
    const pod = enginePod(objects);
    expect(pod.volumes).toEqual([{ name: 'pd-storage', persistentVolumeClaim: { claimName: 'pd-opt-storage-claim' } }]);
    expect(vllmContainer({ spec: { template: { spec: pod } } }).volumeMounts).toEqual([
      { name: 'pd-storage', mountPath: '/data' },
    ]);
  });

  it('uses an existing claim or an emptyDir instead of creating a PVC', () => {
    const existing = engineObjects({ pvcStorage: '10Gi', pvcExistingClaimName: 'models' });
    expect(existing.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(enginePod(existing).volumes).toEqual([
      { name: 'pd-storage', persistentVolumeClaim: { claimName: 'models' } },
    ]);
    const empty = engineObjects({ pvcStorage: { emptyDir: { sizeLimit: '100Gi' } } });
    expect(enginePod(empty).volumes).toEqual([{ name: 'pd-storage', emptyDir: { sizeLimit: '100Gi' } }]);
  });

  it('mounts /dev/shm for tensor parallelism and the chat template ConfigMap at /templates, named after it', () => {
    const objects = engineObjects({
      shmSize: '8Gi',
      chatTemplate: 't.jinja',
      chatTemplateConfigMap: '{{ messages }}',
      vllmConfig: { tensorParallelSize: 2 },
    });
    expect(enginePod(objects).volumes).toEqual([
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
      { name: 'pd-opt-chat-templates', configMap: { name: 'pd-opt-chat-templates' } },
    ]);
    expect(vllmContainer({ spec: { template: { spec: enginePod(objects) } } }).volumeMounts).toContainEqual({
      name: 'pd-opt-chat-templates',
      mountPath: '/templates',
    });
    expect(find(objects, 'ConfigMap', 'pd-opt-chat-templates').data).toEqual({ 't.jinja': '{{ messages }}' });
  });

  it("mounts production-stack's templates claim when chatTemplate has no ConfigMap, and 20Gi shm by default", () => {
    const objects = engineObjects({ chatTemplate: 't.jinja', vllmConfig: { tensorParallelSize: 2 } });
    expect(enginePod(objects).volumes).toEqual([
      { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '20Gi' } },
      { name: 'vllm-templates', persistentVolumeClaim: { claimName: 'vllm-templates-pvc' } },
    ]);
    expect(objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
  });

  it('appends extraVolumes and extraVolumeMounts verbatim, keeping their quantities', () => {
    const pod = enginePod(
      engineObjects({
        extraVolumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }],
        extraVolumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      }),
    );
    expect(pod.volumes).toEqual([{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }]);
    expect(vllmContainer({ spec: { template: { spec: pod } } }).volumeMounts).toEqual([
      { name: 'cache', mountPath: '/cache' },
    ]);
  });
});
