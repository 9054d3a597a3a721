/**
 * An engine's volumes and the vllm container's mounts: its model storage (a PVC it owns, an existing claim or an
 * emptyDir) at /data, where `HF_HOME` points; `/dev/shm` for tensor parallelism; the chat templates at /templates
 * (a ConfigMap it owns, or production-stack's templates claim); then the user's `storage.volumes`/`volumeMounts`.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { VllmEngineProps } from './engine-props.js';
import { quantity } from './kube-json.js';
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

/** What an engine's volumes come from: its props' storage, chat template, tensor parallelism and shared volume. */
export type EngineVolumesProps = Pick<
  VllmEngineProps,
  'release' | 'namespace' | 'name' | 'storage' | 'vllm' | 'sharedStorageClaim'
>;

export interface EngineVolumes {
  readonly volumes: k8s.Volume[];
  /** Mounts of the vllm container. */
  readonly mounts: k8s.VolumeMount[];
  /** The name of the storage volume (`<release>-storage`), which the LoRA sidecar and init container mount too. */
  readonly storageVolume: string;
  /** Whether the storage volume exists (the props give `storage.model`): mounted at /data. */
  readonly modelStorage: boolean;
  /** The PVC this engine owns, when `storage.model` is a `ModelStorage.claim`. */
  readonly storageClaim?: ApiObject;
}

/** The volumes and mounts of an engine; adds the PVC and chat-template ConfigMap it owns to `scope`. */
export function engineVolumes(scope: Construct, props: EngineVolumesProps): EngineVolumes {
  const { release, namespace, name, storage = {} } = props;
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  const storageVolume = names.storageVolumeName(release);
  let storageClaim: ApiObject | undefined;
  const model = storage.model;
  if (model !== undefined) {
    if (model.kind === 'emptyDir') {
      volumes.push({ name: storageVolume, emptyDir: model.emptyDirSource });
    } else {
      const claimName = model.claimName ?? names.engineStorageClaimName(release, name);
      if (model.kind === 'claim') {
        const options = model.claimOptions;
        storageClaim = new k8s.KubePersistentVolumeClaim(scope, 'Storage', {
          metadata: {
            name: claimName,
            namespace,
            labels: nonEmpty({ ...options.labels }),
            annotations: nonEmpty({ ...options.annotations }),
          },
          spec: {
            accessModes: [...(options.accessModes ?? ['ReadWriteOnce'])],
            resources: { requests: { storage: quantity(model.size!.given) } },
            storageClassName: options.storageClass,
            selector: options.matchLabels ? { matchLabels: { ...options.matchLabels } } : undefined,
          },
        });
      }
      volumes.push({ name: storageVolume, persistentVolumeClaim: { claimName } });
    }
    mounts.push({ name: storageVolume, mountPath: STORAGE_MOUNT_PATH });
  }
  const shared = props.sharedStorageClaim && names.sharedStorageVolumeName(release);
  if (shared) volumes.push({ name: shared, persistentVolumeClaim: { claimName: props.sharedStorageClaim! } });
  if (props.vllm?.config?.tensorParallelSize !== undefined) {
    volumes.push({
      name: 'shm',
      emptyDir: { medium: 'Memory', sizeLimit: quantity(storage.shmSize?.given ?? DEFAULT_SHM_SIZE) },
    });
    mounts.push({ name: 'shm', mountPath: '/dev/shm' });
  }
  const template = props.vllm?.chatTemplate;
  if (template?.file) {
    if (template.content !== undefined) {
      const cmName = names.engineChatTemplatesConfigMapName(release, name);
      new k8s.KubeConfigMap(scope, 'ChatTemplates', {
        metadata: { name: cmName, namespace },
        data: { [template.file]: template.content },
      });
      // The volume is named after its ConfigMap, as production-stack names it.
      volumes.push({ name: cmName, configMap: { name: cmName } });
      mounts.push({ name: cmName, mountPath: TEMPLATES_MOUNT_PATH });
    } else {
      volumes.push({ name: TEMPLATES_VOLUME, persistentVolumeClaim: { claimName: TEMPLATES_PVC } });
      mounts.push({ name: TEMPLATES_VOLUME, mountPath: TEMPLATES_MOUNT_PATH });
    }
  }
  mounts.push(...(storage.volumeMounts ?? []));
  if (shared) mounts.push({ name: shared, mountPath: SHARED_STORAGE_MOUNT_PATH });
  volumes.push(...(storage.volumes ?? []));
  return { volumes, mounts, storageVolume, modelStorage: model !== undefined, storageClaim };
}
