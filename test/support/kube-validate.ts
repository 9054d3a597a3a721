/**
 * Validates manifests against the Kubernetes OpenAPI schema with kubernetes-models' precompiled validators.
 * There is no API server here: this checks types, required fields, enums and quantities, not admission. Custom
 * resources are checked against their CRDs' schemas as @kubernetes-models compiles them (KEDA, prometheus-operator,
 * Gateway API 1.0.0). InferencePools (Gateway API Inference Extension, not in @kubernetes-models) are checked with ajv
 * against the v1 openAPIV3Schema of the extension's CRD at v1.0.0 (the first v1: endpointPickerRef required, one
 * target port) and v1.6.0, fixtures in test/fixtures/crds/, plus the CRD's two CEL rules (x-kubernetes-validations,
 * which ajv does not run) written out here. KubeRay's RayCluster, which no npm package carries either, against its
 * CRD's v1 openAPIV3Schema kept as a fixture (test/fixtures/crds/ray.io_rayclusters-v1.schema.yaml), with ajv.
 * LoraAdapter resources are checked with ajv against the openAPIV3Schema of production-stack's LoraAdapter CRD
 * (a fixture, test/fixtures/crds/production-stack.vllm.ai_loraadapters-v1alpha1.schema.yaml) and of pdstack's own
 * (constructs/lora-adapter.ts), both made strict: a field the CRD does not declare, which the API server would
 * silently prune, is an error here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { PACKAGE_ROOT } from '../../schema/paths.js';
import * as gatewayV1 from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as gatewayV1beta1 from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as admission from 'kubernetes-models/admissionregistration.k8s.io/v1';
import * as apiextensions from 'kubernetes-models/apiextensions.k8s.io/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { LORA_ADAPTER_API_VERSION, LORA_ADAPTER_KIND, LORA_ADAPTER_SCHEMA } from '../../constructs/lora-adapter.js';

type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, Record<string, ModelClass>> = {
  'admissionregistration.k8s.io/v1': admission as unknown as Record<string, ModelClass>,
  'apiextensions.k8s.io/v1': apiextensions as unknown as Record<string, ModelClass>,
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

/** The InferencePool CRD versions rendered pools are checked against (test/fixtures/crds/inferencepools-VERSION.yaml). */
export const INFERENCE_POOL_CRD_VERSIONS = ['v1.0.0', 'v1.6.0'] as const;

let inferencePoolSchemas: Array<readonly [string, ValidateFunction]> | undefined;
function inferencePoolValidators(): Array<readonly [string, ValidateFunction]> {
  inferencePoolSchemas ??= INFERENCE_POOL_CRD_VERSIONS.map((version) => {
    const crd = load(
      readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'crds', `inferencepools-${version}.yaml`), 'utf8'),
    ) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> } };
    const v1 = crd.spec.versions.find((v) => v.name === 'v1');
    if (!v1) throw new Error(`the InferencePool CRD ${version} has no v1`);
    // strict off: the schema carries Kubernetes' x-kubernetes-* keywords, which ajv does not know
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
    ajv.addFormat('date-time', true);
    return [version, ajv.compile(v1.schema.openAPIV3Schema)] as const;
  });
  return inferencePoolSchemas;
}

/** An InferencePool against each CRD version's schema, and the CRD's CEL rules; throws the first problem. */
function validateInferencePool(obj: KubeObject): void {
  for (const [version, validate] of inferencePoolValidators()) {
    if (!validate(obj))
      throw new Error(
        `not valid under the InferencePool CRD ${version}: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`,
      );
  }
  const spec = obj['spec'] as { targetPorts: Array<{ number: number }>; endpointPickerRef?: Record<string, unknown> };
  const ports = spec.targetPorts.map((p) => p.number);
  if (new Set(ports).size !== ports.length) throw new Error('port number must be unique');
  const ref = spec.endpointPickerRef;
  if (ref && (ref['kind'] ?? 'Service') === 'Service' && ref['port'] === undefined)
    throw new Error("port is required when kind is 'Service' or unspecified (defaults to 'Service')");
}

/** A copy of a structural schema where every object with `properties` allows no other key (what pruning drops). */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => !k.startsWith('x-kubernetes-'))
      .map(([k, v]) => [
        k,
        k === 'properties'
          ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)]))
          : strict(v),
      ]),
  );
  return 'properties' in out && !('additionalProperties' in out) ? { ...out, additionalProperties: false } : out;
}

/** production-stack's LoraAdapter CRD schema (v1alpha1, descriptions removed), the fixture named above. */
export const PRODUCTION_STACK_LORA_ADAPTER_SCHEMA = load(
  readFileSync(
    join(PACKAGE_ROOT, 'test', 'fixtures', 'crds', 'production-stack.vllm.ai_loraadapters-v1alpha1.schema.yaml'),
    'utf8',
  ),
) as object;

const loraAdapterValidators = [PRODUCTION_STACK_LORA_ADAPTER_SCHEMA, LORA_ADAPTER_SCHEMA].map((schema) =>
  new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(strict(schema) as object),
);

const RAY_CLUSTER_SCHEMA = join(PACKAGE_ROOT, 'test', 'fixtures', 'crds', 'ray.io_rayclusters-v1.schema.yaml');
let rayCluster: ValidateFunction | undefined;

/**
 * KubeRay's RayCluster v1 as the API server checks it against the CRD's structural schema: defaults applied first
 * (`minReplicas`, `maxReplicas` are required and defaulted), `x-kubernetes-*` and `format` keywords not enforced.
 */
function validateRayCluster(obj: KubeObject): void {
  rayCluster ??= new Ajv({ strict: false, allErrors: true, useDefaults: true, validateFormats: false }).compile(
    load(readFileSync(RAY_CLUSTER_SCHEMA, 'utf8')) as object,
  );
  if (!rayCluster(structuredClone(obj)))
    throw new Error(rayCluster.errors?.map((e) => `${e.instancePath} ${e.message ?? ''}`).join('; '));
}

/** Custom resources no @kubernetes-models package carries, by `apiVersion kind`: checked against their CRD fixtures. */
const CRD_VALIDATORS: Readonly<Record<string, (obj: KubeObject) => void>> = {
  'inference.networking.k8s.io/v1 InferencePool': validateInferencePool,
  'ray.io/v1 RayCluster': validateRayCluster,
};

/** Throws with `Kind/name: message` when `obj` is not a valid Kubernetes object of its kind. */
export function validateKubeObject(obj: KubeObject): void {
  if (obj.apiVersion === LORA_ADAPTER_API_VERSION && obj.kind === LORA_ADAPTER_KIND) {
    // metadata: the API server's ObjectMeta rules (the CRD schema says only `type: object`)
    new core.ConfigMap({ metadata: obj.metadata } as never).validate();
    for (const validate of loraAdapterValidators)
      if (!validate(structuredClone(obj)))
        throw new Error(`${obj.kind}/${obj.metadata.name}: ${JSON.stringify(validate.errors)}`);
    return;
  }
  const custom = CRD_VALIDATORS[`${obj.apiVersion} ${obj.kind}`];
  if (custom) {
    try {
      custom(obj);
    } catch (e) {
      throw new Error(`${obj.kind}/${obj.metadata.name}: ${(e as Error).message}`);
    }
    return;
  }
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
  obj.kind === 'PersistentVolume' ||
  obj.kind === 'ClusterRole' ||
  obj.kind === 'ClusterRoleBinding' ||
  obj.kind === 'CustomResourceDefinition';
