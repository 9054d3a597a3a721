import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { SharedStorage } from '../../constructs/shared-storage.js';
import { Quantity } from '../../schema/facts/quantity.js';
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

  it('takes typed props built in code: a Quantity size, an NFS export, a storage class', () => {
    const chart = new Chart(Testing.app(), 't');
    const storage = new SharedStorage(chart, 's', {
      release: 'pd',
      namespace: 'llm',
      size: Quantity.parse('20Gi'),
      accessModes: ['ReadWriteOnce'],
      storageClass: 'nfs-client',
      nfs: { server: 'nfs.local', path: '/exports/hf' },
    });
    expect(storage.claimName).toBe('pd-shared-pvc-storage-claim');
    const objects = Testing.synth(chart) as KubeObject[];
    for (const o of objects) validateKubeObject(o);
    expect(find(objects, 'PersistentVolume', 'pd-llm-shared-pvc-storage').spec).toEqual({
      storageClassName: 'nfs-client',
      capacity: { storage: '20Gi' },
      accessModes: ['ReadWriteOnce'],
      nfs: { server: 'nfs.local', path: '/exports/hf' },
    });
    expect(find(objects, 'PersistentVolumeClaim', 'pd-shared-pvc-storage-claim').spec).toEqual({
      storageClassName: 'nfs-client',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      volumeName: 'pd-llm-shared-pvc-storage',
    });
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(() => new SharedStorage(chart, 'a', { release: 'Bad_Name', namespace: 'llm' })).toThrow(/^SharedStorage: /);
    expect(() => new SharedStorage(chart, 'b', { release: 'pd', namespace: 'Team_A' })).toThrow(/^SharedStorage: /);
    const base = { release: 'pd', namespace: 'llm' };
    expect(() => new SharedStorage(chart, 'c', { ...base, hostPath: '' })).toThrow(
      'SharedStorage: hostPath is empty; give a node directory, or leave hostPath out',
    );
    expect(() => new SharedStorage(chart, 'd', { ...base, nfs: { server: 'nfs.local', path: '' } })).toThrow(
      'SharedStorage: nfs needs a server and a path (given server `nfs.local`, path ``)',
    );
  });
});
