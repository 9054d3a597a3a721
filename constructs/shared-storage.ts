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
import type { SharedPvcStorage } from '../schema/values.generated.js';
import { SHARED_STORAGE_DEFAULTS } from './defaults.js';
import { quantity } from './kube-json.js';
import { requireUniqueObjects } from './unique-objects.js';

export interface SharedStorageProps {
  readonly release: string;
  /** The namespace of the claim (and in the PersistentVolume's name). */
  readonly namespace: string;
  /** `sharedPvcStorage`; must be enabled. Keys left out take the schema's defaults. */
  readonly spec: Readonly<SharedPvcStorage>;
}

export class SharedStorage extends Construct {
  public readonly claim: ApiObject;
  public readonly volume?: ApiObject;
  /** The claim engines mount. */
  public readonly claimName: string;

  constructor(scope: Construct, id: string, props: SharedStorageProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace, spec } = props;
    if (spec.enabled !== true) throw new Error('SharedStorage: sharedPvcStorage is not enabled; do not create it');
    const d = SHARED_STORAGE_DEFAULTS;
    const size = quantity(spec.size ?? d.size);
    const accessModes = [...(spec.accessModes ?? d.accessModes)];
    const storageClassName = (spec.storageClass ?? d.storageClass) || undefined;
    const hostPath = spec.hostPath || undefined;
    const nfs = spec.nfs?.server && spec.nfs.path ? { server: spec.nfs.server, path: spec.nfs.path } : undefined;
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
