/**
 * An engine's volumes and the vllm container's mounts: its model storage (a PVC it owns, an existing claim or an
 * emptyDir) at /data, where `HF_HOME` points; `/dev/shm` for tensor parallelism; the chat templates at /templates
 * (a ConfigMap it owns, or production-stack's templates claim); then the user's `extraVolumes`/`extraVolumeMounts`.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ModelSpec } from '../schema/values.generated.js';
import { fromUser, quantity } from './kube-json.js';
import * as names from '../schema/facts/names.js';
import { TEMPLATES_MOUNT_PATH } from './vllm-command.js';
import { nonEmpty } from './workload.js';

/** `/dev/shm` size for tensor-parallel engines when `shmSize` is not set. */
export const DEFAULT_SHM_SIZE = '20Gi';
/** The claim production-stack mounts at /templates when `chatTemplate` has no `chatTemplateConfigMap`. */
export const TEMPLATES_PVC = 'vllm-templates-pvc';
/** The volume of a chat template read from TEMPLATES_PVC (one from the values' text is named after its ConfigMap). */
const TEMPLATES_VOLUME = 'vllm-templates';
/** Where the model storage is mounted (and `HF_HOME` points when there is storage). */
export const STORAGE_MOUNT_PATH = '/data';
/** Where the release's shared volume (`sharedPvcStorage`) is mounted, and `HF_HOME` points when there is one. */
export const SHARED_STORAGE_MOUNT_PATH = '/data/shared-pvc-storage';

export interface EngineVolumesProps {
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  readonly spec: Readonly<ModelSpec>;
  /** The claim of the release's shared volume (`SharedStorage.claimName`). @default - none */
  readonly sharedStorageClaim?: string;
}

export interface EngineVolumes {
  readonly volumes: k8s.Volume[];
  /** Mounts of the vllm container. */
  readonly mounts: k8s.VolumeMount[];
  /** The name of the storage volume (`<release>-storage`), which the LoRA sidecar and init container mount too. */
  readonly storageVolume: string;
  /** The PVC this engine owns, when `pvcStorage` is a size and no existing claim is named. */
  readonly storageClaim?: ApiObject;
}

/** The volumes and mounts of an engine; adds the PVC and chat-template ConfigMap it owns to `scope`. */
export function engineVolumes(scope: Construct, props: EngineVolumesProps): EngineVolumes {
  const { release, namespace, spec } = props;
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  const storageVolume = names.storageVolumeName(release);
  let storageClaim: ApiObject | undefined;
  const storage = spec.pvcStorage;
  if (storage !== undefined) {
    if (typeof storage === 'object') {
      volumes.push({ name: storageVolume, emptyDir: fromUser<k8s.EmptyDirVolumeSource>(storage.emptyDir) });
    } else {
      const claimName = spec.pvcExistingClaimName ?? names.engineStorageClaimName(release, spec.name);
      if (spec.pvcExistingClaimName === undefined) {
        storageClaim = new k8s.KubePersistentVolumeClaim(scope, 'Storage', {
          metadata: {
            name: claimName,
            namespace,
            labels: nonEmpty({ ...spec.pvcLabels }),
            annotations: nonEmpty({ ...spec.pvcAnnotations }),
          },
          spec: {
            accessModes: [...(spec.pvcAccessMode ?? ['ReadWriteOnce'])],
            resources: { requests: { storage: quantity(storage) } },
            storageClassName: spec.storageClass,
            selector: spec.pvcMatchLabels ? { matchLabels: { ...spec.pvcMatchLabels } } : undefined,
          },
        });
      }
      volumes.push({ name: storageVolume, persistentVolumeClaim: { claimName } });
    }
    mounts.push({ name: storageVolume, mountPath: STORAGE_MOUNT_PATH });
  }
  const shared = props.sharedStorageClaim && names.sharedStorageVolumeName(release);
  if (shared) volumes.push({ name: shared, persistentVolumeClaim: { claimName: props.sharedStorageClaim! } });
  if (spec.vllmConfig?.tensorParallelSize !== undefined) {
    volumes.push({
      name: 'shm',
      emptyDir: { medium: 'Memory', sizeLimit: quantity(spec.shmSize ?? DEFAULT_SHM_SIZE) },
    });
    mounts.push({ name: 'shm', mountPath: '/dev/shm' });
  }
  if (spec.chatTemplate) {
    if (spec.chatTemplateConfigMap !== undefined) {
      const cmName = names.engineChatTemplatesConfigMapName(release, spec.name);
      new k8s.KubeConfigMap(scope, 'ChatTemplates', {
        metadata: { name: cmName, namespace },
        data: { [spec.chatTemplate]: spec.chatTemplateConfigMap },
      });
      // The volume is named after its ConfigMap, as production-stack names it.
      volumes.push({ name: cmName, configMap: { name: cmName } });
      mounts.push({ name: cmName, mountPath: TEMPLATES_MOUNT_PATH });
    } else {
      volumes.push({ name: TEMPLATES_VOLUME, persistentVolumeClaim: { claimName: TEMPLATES_PVC } });
      mounts.push({ name: TEMPLATES_VOLUME, mountPath: TEMPLATES_MOUNT_PATH });
    }
  }
  mounts.push(...fromUser<k8s.VolumeMount[]>(spec.extraVolumeMounts ?? []));
  if (shared) mounts.push({ name: shared, mountPath: SHARED_STORAGE_MOUNT_PATH });
  volumes.push(...fromUser<k8s.Volume[]>(spec.extraVolumes ?? []));
  return { volumes, mounts, storageVolume, storageClaim };
}
