import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { SharedStorage } from '../../constructs/shared-storage.js';
import type { SharedPvcStorage } from '../../schema/values.generated.js';
import { BASE_MODEL, enginePod } from '../support/engine.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { envMap, find, synthStack, vllmContainer } from '../support/synth.js';

function render(sharedPvcStorage: SharedPvcStorage): KubeObject[] {
  const objects = synthStack(
    {
      servingEngineSpec: { modelSpec: [{ ...BASE_MODEL, pvcStorage: '10Gi' }] },
      routerSpec: { enableRouter: false },
      sharedPvcStorage,
    },
    'vllm',
    'llm',
  );
  for (const o of objects) validateKubeObject(o);
  return objects;
}

const LABELS = { app: 'vllm', component: 'shared-pvc-storage' };

describe('SharedStorage', () => {
  it('binds the claim to a hostPath PersistentVolume, named with the namespace (it is cluster-scoped)', () => {
    const objects = render({ enabled: true, hostPath: '/data/shared', size: '50Gi', accessModes: ['ReadWriteMany'] });
    expect(find(objects, 'PersistentVolume', 'vllm-llm-shared-pvc-storage')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'vllm-llm-shared-pvc-storage', labels: { type: 'local', ...LABELS } },
      spec: { capacity: { storage: '50Gi' }, accessModes: ['ReadWriteMany'], hostPath: { path: '/data/shared' } },
    });
    expect(find(objects, 'PersistentVolumeClaim', 'vllm-shared-pvc-storage-claim')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'vllm-shared-pvc-storage-claim', namespace: 'llm', labels: LABELS },
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '50Gi' } },
        volumeName: 'vllm-llm-shared-pvc-storage',
      },
    });
  });

  it('backs it with an NFS export, with the storage class given', () => {
    const objects = render({ enabled: true, nfs: { server: 'nfs.example', path: '/exports' }, storageClass: 'nfs' });
    const volume = find(objects, 'PersistentVolume', 'vllm-llm-shared-pvc-storage');
    expect(volume.spec).toEqual({
      storageClassName: 'nfs',
      capacity: { storage: '100Gi' },
      accessModes: ['ReadWriteMany'],
      nfs: { server: 'nfs.example', path: '/exports' },
    });
    expect(find(objects, 'PersistentVolumeClaim', 'vllm-shared-pvc-storage-claim').spec.storageClassName).toBe('nfs');
  });

  it('renders only the claim for a dynamically provisioned volume', () => {
    const objects = render({ enabled: true });
    expect(objects.filter((o) => o.kind === 'PersistentVolume')).toEqual([]);
    expect(find(objects, 'PersistentVolumeClaim', 'vllm-shared-pvc-storage-claim').spec).toEqual({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '100Gi' } },
    });
  });

  it('is mounted by every engine at /data/shared-pvc-storage, where HF_HOME points', () => {
    const objects = render({ enabled: true });
    const deployment = find(objects, 'Deployment', 'vllm-opt-deployment-vllm');
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'vllm-shared-pvc-storage',
      persistentVolumeClaim: { claimName: 'vllm-shared-pvc-storage-claim' },
    });
    const vllm = vllmContainer(deployment);
    expect(vllm.volumeMounts).toContainEqual({
      name: 'vllm-shared-pvc-storage',
      mountPath: '/data/shared-pvc-storage',
    });
    expect(envMap(vllm)['HF_HOME']).toBe('/data/shared-pvc-storage');
    const without = synthStack({ servingEngineSpec: { modelSpec: [BASE_MODEL] }, routerSpec: { enableRouter: false } });
    expect(envMap(vllmContainer({ spec: { template: { spec: enginePod(without) } } }))['HF_HOME']).toBe('/tmp');
  });

  it('refuses to build a disabled shared volume', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(
      () => new SharedStorage(chart, 's', { release: 'pd', namespace: 'default', spec: { enabled: false } }),
    ).toThrow(/not enabled/);
  });
});
