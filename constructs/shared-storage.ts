/**
 * `SharedStorage`: `sharedPvcStorage` → the claim `<release>-shared-pvc-storage-claim` every engine mounts at
 * `/data/shared-pvc-storage` (its `HF_HOME`), and, when a `hostPath` or an NFS export backs it, the PersistentVolume
 * the claim binds to, as production-stack's `shared-storage.yaml` renders them. The PersistentVolume is cluster-scoped,
 * so its name holds the namespace too (`<release>-<namespace>-shared-pvc-storage`; production-stack's
 * `<release>-shared-pvc-storage` collides between two namespaces' releases of one name).
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import type { Quantity } from '../schema/facts/quantity.js';
import { SHARED_STORAGE_DEFAULTS } from './defaults.js';
import { requireReleaseAndNamespace } from './invariants.js';
import { quantity } from './kube-json.js';
import { requireUniqueObjects } from './unique-objects.js';

/** An NFS export backing the shared volume. */
export interface SharedStorageNfs {
  readonly server: string;
  /** The exported path. */
  readonly path: string;
}

export interface SharedStorageProps {
  readonly release: string;
  /** The namespace of the claim (and in the PersistentVolume's name). */
  readonly namespace: string;
  /** e.g. `Quantity.parse('100Gi')`. @default SHARED_STORAGE_DEFAULTS.size ('100Gi') */
  readonly size?: Quantity;
  /** @default SHARED_STORAGE_DEFAULTS.accessModes (['ReadWriteMany']) */
  readonly accessModes?: readonly ('ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod')[];
  /** The claim's (and volume's) storageClassName; `''` sets none. @default SHARED_STORAGE_DEFAULTS.storageClass ('': none) */
  readonly storageClass?: string;
  /** A node directory backing a PersistentVolume the claim binds to; wins over `nfs`. @default - none */
  readonly hostPath?: string;
  /** An NFS export backing a PersistentVolume the claim binds to. @default - none */
  readonly nfs?: SharedStorageNfs;
}

export class SharedStorage extends Construct {
  public readonly claim: ApiObject;
  public readonly volume?: ApiObject;
  /** The claim engines mount. */
  public readonly claimName: string;

  constructor(scope: Construct, id: string, props: SharedStorageProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, hostPath, nfs } = props;
    requireReleaseAndNamespace('SharedStorage', release, namespace);
    if (hostPath === '')
      throw new Error('SharedStorage: hostPath is empty; give a node directory, or leave hostPath out');
    if (nfs !== undefined && (nfs.server === '' || nfs.path === ''))
      throw new Error(
        `SharedStorage: nfs needs a server and a path (given server \`${nfs.server}\`, path \`${nfs.path}\`)`,
      );
    const d = SHARED_STORAGE_DEFAULTS;
    const size = quantity(props.size?.given ?? d.size);
    const accessModes = [...(props.accessModes ?? d.accessModes)];
    const storageClassName = (props.storageClass ?? d.storageClass) || undefined;
    const labels = { app: release, component: 'shared-pvc-storage' };
    const volumeName = names.sharedStoragePvName(release, namespace);
    if (hostPath !== undefined || nfs !== undefined) {
      this.volume = new k8s.KubePersistentVolume(this, 'Volume', {
        metadata: { name: volumeName, labels: { type: 'local', ...labels } },
        spec: {
          storageClassName,
          capacity: { storage: size },
          accessModes,
          // hostPath wins, as in production-stack (the checks of meaning refuse both)
          ...(hostPath !== undefined ? { hostPath: { path: hostPath } } : { nfs }),
        },
      });
    }
    this.claimName = names.sharedStorageClaimName(release);
    this.claim = new k8s.KubePersistentVolumeClaim(this, 'Claim', {
      metadata: { name: this.claimName, namespace, labels },
      spec: {
        storageClassName,
        accessModes,
        resources: { requests: { storage: size } },
        volumeName: this.volume ? volumeName : undefined,
      },
    });
  }
}
