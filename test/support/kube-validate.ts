/**
 * Validates manifests against the Kubernetes OpenAPI schema with kubernetes-models' precompiled validators.
 * There is no API server here: this checks types, required fields, enums and quantities, not admission. Custom
 * resources are checked against their CRDs' schemas as @kubernetes-models compiles them (KEDA, prometheus-operator,
 * Gateway API 1.0.0).
 */
import * as gatewayV1 from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as gatewayV1beta1 from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as admission from 'kubernetes-models/admissionregistration.k8s.io/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';

type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, Record<string, ModelClass>> = {
  'admissionregistration.k8s.io/v1': admission as unknown as Record<string, ModelClass>,
  'apps/v1': apps as unknown as Record<string, ModelClass>,
  'autoscaling/v2': autoscaling as unknown as Record<string, ModelClass>,
  'gateway.networking.k8s.io/v1': gatewayV1 as unknown as Record<string, ModelClass>,
  'gateway.networking.k8s.io/v1beta1': gatewayV1beta1 as unknown as Record<string, ModelClass>,
  'keda.sh/v1alpha1': keda as unknown as Record<string, ModelClass>,
  'monitoring.coreos.com/v1': monitoring as unknown as Record<string, ModelClass>,
  'networking.k8s.io/v1': networking as unknown as Record<string, ModelClass>,
  v1: core as unknown as Record<string, ModelClass>,
  'policy/v1': policy as unknown as Record<string, ModelClass>,
  'rbac.authorization.k8s.io/v1': rbac as unknown as Record<string, ModelClass>,
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** Throws with `Kind/name: message` when `obj` is not a valid Kubernetes object of its kind. */
export function validateKubeObject(obj: KubeObject): void {
  const model = MODELS[obj.apiVersion]?.[obj.kind];
  if (!model) throw new Error(`no kubernetes-models validator for ${obj.apiVersion} ${obj.kind}`);
  try {
    new model(obj as never).validate();
  } catch (e) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(e as Error).message}`);
  }
}

/** Whether a kind pdstack renders is cluster-scoped (no namespace; pdstack puts the namespace in its name). */
export const isClusterScoped = (obj: Pick<KubeObject, 'kind'>): boolean =>
  obj.kind === 'ValidatingAdmissionPolicy' ||
  obj.kind === 'ValidatingAdmissionPolicyBinding' ||
  obj.kind === 'PersistentVolume';
