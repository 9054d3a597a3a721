/**
 * The ValidatingAdmissionPolicy that limits the router's `patch` to the `sleeping` label: its objects, and its CEL
 * evaluated (with @marcbachmann/cel-js) on the admission requests the router's `/sleep` and `/wake_up` make and on
 * the ones it must refuse. There is no API server here: matching and evaluation follow the policy's own fields
 * (matchConstraints, matchConditions, variables, validations; an expression error denies, as failurePolicy Fail).
 */
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import type { PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

const engine = { name: 'm', repository: 'r', tag: 't', modelURL: 'u', requestCPU: 1, requestMemory: '1Gi' };
const ROUTER = 'system:serviceaccount:llm:pd-router-service-account';

function policyOf(values: PdstackValues): Record<string, any> {
  const objects = synthStack(values, 'pd', 'llm');
  for (const o of objects) validateKubeObject(o);
  const binding = find(objects, 'ValidatingAdmissionPolicyBinding', 'pd-llm-router-sleeping-label');
  expect(binding.spec).toEqual({ policyName: 'pd-llm-router-sleeping-label', validationActions: ['Deny'] });
  expect(binding.metadata.namespace).toBeUndefined();
  return find(objects, 'ValidatingAdmissionPolicy', 'pd-llm-router-sleeping-label');
}

interface Request {
  readonly username: string;
  readonly operation: 'CREATE' | 'UPDATE';
  readonly object: Record<string, any>;
  readonly oldObject: Record<string, any> | null;
}

/** `undefined`: the policy does not apply; otherwise the messages of the validations that fail (empty: admitted). */
function admit(policy: Record<string, any>, req: Request): string[] | undefined {
  const ctx = {
    request: { userInfo: { username: req.username }, operation: req.operation },
    object: req.object,
    oldObject: req.oldObject,
  };
  const spec = policy.spec;
  if (!spec.matchConditions.every((m: { expression: string }) => evaluate(m.expression, ctx) === true))
    return undefined;
  const variables: Record<string, unknown> = {};
  for (const v of spec.variables) variables[v.name] = evaluate(v.expression, { ...ctx, variables });
  return spec.validations
    .filter((v: { expression: string }) => {
      try {
        return evaluate(v.expression, { ...ctx, variables }) !== true;
      } catch {
        return true; // an expression error denies (failurePolicy: Fail)
      }
    })
    .map((v: { message: string }) => v.message);
}

const pod = (labels: Record<string, string>, extra: Record<string, any> = {}): Record<string, any> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'pd-m-deployment-vllm-1', namespace: 'llm', labels, ...extra.metadata },
  spec: { containers: [{ name: 'vllm', image: 'r:t' }], ...extra.spec },
});
const awake = { model: 'm', 'app.kubernetes.io/instance': 'pd' };
const asleep = { ...awake, sleeping: 'true' };
const update = (oldObject: Record<string, any>, object: Record<string, any>, username = ROUTER): Request => ({
  username,
  operation: 'UPDATE',
  object,
  oldObject,
});

describe('RouterSleepLabelPolicy', () => {
  const policy = policyOf({ servingEngineSpec: { modelSpec: [engine] } });

  it("matches the router's service account on the engine pods of its namespace, and fails closed", () => {
    expect(policy.metadata.namespace).toBeUndefined();
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConstraints).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'llm' } },
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
    });
    expect(policy.spec.matchConditions).toEqual([
      { name: 'router-service-account', expression: `request.userInfo.username == '${ROUTER}'` },
    ]);
  });

  it('admits what /sleep and /wake_up do: add sleeping=true, remove it', () => {
    expect(admit(policy, update(pod(awake), pod(asleep)))).toEqual([]);
    expect(admit(policy, update(pod(asleep), pod(awake)))).toEqual([]);
    expect(admit(policy, update(pod({}), pod({ sleeping: 'true' })))).toEqual([]);
  });

  it('denies the router any other change', () => {
    const onlySleeping = 'the router may change only the label sleeping';
    expect(admit(policy, update(pod(awake), pod({ ...awake, model: 'other' })))).toEqual([onlySleeping]);
    expect(admit(policy, update(pod(awake), pod({ ...asleep, extra: 'x' })))).toEqual([onlySleeping]);
    expect(admit(policy, update(pod(awake), pod({ sleeping: 'true' })))).toEqual([onlySleeping]);
    expect(admit(policy, update(pod(awake), pod({ ...awake, sleeping: 'false' })))).toEqual([
      'the router may set the label sleeping only to "true"',
    ]);
    const other = 'the router may not change the spec, annotations, finalizers or owners';
    expect(
      admit(policy, update(pod(awake), pod(asleep, { spec: { containers: [{ name: 'vllm', image: 'evil' }] } }))),
    ).toEqual([other]);
    expect(admit(policy, update(pod(awake), pod(asleep, { metadata: { annotations: { a: 'b' } } })))).toEqual([other]);
    expect(admit(policy, update(pod(awake), pod(asleep, { metadata: { finalizers: ['x'] } })))).toEqual([other]);
    const created = admit(policy, { username: ROUTER, operation: 'CREATE', object: pod(asleep), oldObject: null });
    expect(created).toContain('the router may not create objects');
  });

  it("leaves everyone else's requests alone", () => {
    const other = 'system:serviceaccount:llm:someone-else';
    expect(admit(policy, update(pod(awake), pod({ ...awake, model: 'x' }), other))).toBeUndefined();
    expect(admit(policy, update(pod(awake), pod(awake), 'kubernetes-admin'))).toBeUndefined();
  });

  it('covers Services in service-name mode, and exists only with the Role it narrows', () => {
    const services = policyOf({
      servingEngineSpec: { modelSpec: [engine] },
      routerSpec: { k8sServiceDiscoveryType: 'service-name' },
    });
    expect(services.spec.matchConstraints.resourceRules[0].resources).toEqual(['services']);
    const own = synthStack({ servingEngineSpec: { modelSpec: [engine] }, routerSpec: { serviceAccountName: 'mine' } });
    expect(own.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy') || o.kind === 'Role')).toEqual([]);
  });
});
