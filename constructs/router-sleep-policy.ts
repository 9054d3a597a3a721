/**
 * `RouterSleepLabelPolicy`: a ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1,
 * Kubernetes ≥ 1.30) that narrow the router's RBAC `patch` to what `/sleep` and `/wake_up` do: set or remove the
 * label `sleeping=true` (router/discovery/k8s/sleep-label.ts). RBAC cannot name a label, so the Role grants `patch`
 * on every pod (or Service); this policy denies any change the router's service account makes to those objects
 * other than the `sleeping` label, and any object it would create through a patch. A pdstack addition.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { SLEEPING_LABEL } from '../schema/facts/labels.js';
import * as names from '../schema/facts/names.js';

export interface RouterSleepLabelPolicyProps {
  readonly release: string;
  /** The namespace of the router's service account and of the engines it patches. */
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** What the router patches: engine pods (pod-ip discovery) or their Services (service-name discovery). */
  readonly resource: 'pods' | 'services';
}

/** CEL: a metadata field of the object, or `empty` when the object has none (`has()` is false for an omitted field). */
const orEmpty = (object: string, field: string, empty: '{}' | '[]'): string =>
  `has(${object}.metadata.${field}) ? ${object}.metadata.${field} : ${empty}`;

/** CEL: a metadata field is the same in the object and the old object. */
const unchanged = (field: string, empty: '{}' | '[]'): string =>
  `(${orEmpty('object', field, empty)}) == (${orEmpty('oldObject', field, empty)})`;

/** The policy's CEL: every validation must hold for the router's request to be admitted. */
const VALIDATIONS: ReadonlyArray<{ readonly expression: string; readonly message: string }> = [
  { expression: 'oldObject != null', message: 'the router may not create objects' },
  {
    expression:
      `variables.labels.all(k, k == '${SLEEPING_LABEL}' || (k in variables.oldLabels && variables.oldLabels[k] == variables.labels[k])) && ` +
      `variables.oldLabels.all(k, k == '${SLEEPING_LABEL}' || k in variables.labels)`,
    message: `the router may change only the label ${SLEEPING_LABEL}`,
  },
  {
    expression: `!('${SLEEPING_LABEL}' in variables.labels) || variables.labels['${SLEEPING_LABEL}'] == 'true'`,
    message: `the router may set the label ${SLEEPING_LABEL} only to "true"`,
  },
  {
    expression: [
      'object.spec == oldObject.spec',
      unchanged('annotations', '{}'),
      unchanged('finalizers', '[]'),
      unchanged('ownerReferences', '[]'),
    ].join(' && '),
    message: 'the router may not change the spec, annotations, finalizers or owners',
  },
];

export class RouterSleepLabelPolicy extends Construct {
  public readonly policy: ApiObject;
  public readonly binding: ApiObject;

  constructor(scope: Construct, id: string, props: RouterSleepLabelPolicyProps) {
    super(scope, id);
    const name = names.routerSleepLabelPolicyName(props.release, props.namespace);
    const user = `system:serviceaccount:${props.namespace}:${props.serviceAccountName}`;
    this.policy = new ApiObject(this, 'Policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } },
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: [props.resource] },
          ],
        },
        matchConditions: [{ name: 'router-service-account', expression: `request.userInfo.username == '${user}'` }],
        variables: [
          { name: 'labels', expression: orEmpty('object', 'labels', '{}') },
          { name: 'oldLabels', expression: `oldObject == null ? {} : (${orEmpty('oldObject', 'labels', '{}')})` },
        ],
        validations: VALIDATIONS.map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    });
    this.binding = new ApiObject(this, 'Binding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'] },
    });
    // cluster-scoped: no namespace, even inside a cdk8s Chart that has one (it gives every object its namespace)
    for (const o of [this.policy, this.binding]) {
      if (o.metadata.namespace !== undefined) o.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}
