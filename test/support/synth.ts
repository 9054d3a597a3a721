/** Synthesises constructs in memory (cdk8s Testing) and finds objects by kind and name. */
import { Testing } from 'cdk8s';
import { buildApp } from '../../charts/synth.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { validateKubeObject, type KubeObject } from './kube-validate.js';

export function synthStack(values: PdstackValues, release = 'pd', namespace = 'default'): KubeObject[] {
  return Testing.synth(buildApp(values, { release, namespace }).chart) as KubeObject[];
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject & Record<string, any> {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found as KubeObject & Record<string, any>;
}

/** The labels of routerStack's router (release `vllm`, default routerSpec.labels), as production-stack's suites expect. */
export const ROUTER_LABELS = {
  'app.kubernetes.io/name': 'router',
  'app.kubernetes.io/instance': 'vllm',
  'app.kubernetes.io/component': 'router',
  'app.kubernetes.io/part-of': 'vllm-stack',
  'app.kubernetes.io/managed-by': 'helm',
  environment: 'router',
  release: 'router',
} as const;

/**
 * The objects of one engine behind a router of `routerSpec` (release `vllm`, production-stack's test release), each
 * validated against its Kubernetes or CRD schema.
 */
export function routerStack(
  routerSpec: PdstackValues['routerSpec'],
  release = 'vllm',
  namespace = 'default',
): KubeObject[] {
  const engine = { name: 'm', repository: 'r', tag: 't', modelURL: 'u', requestCPU: 1, requestMemory: '1Gi' };
  const objects = synthStack({ servingEngineSpec: { modelSpec: [engine] }, routerSpec }, release, namespace);
  for (const o of objects) validateKubeObject(o);
  return objects;
}

/** The `vllm` container of an engine Deployment. */
export const vllmContainer = (deployment: Record<string, any>): Record<string, any> =>
  deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'vllm');

/** A container's env as `name → value` (valueFrom rendered as `<fieldRef:path>` / `<secret:name/key>`). */
export function envMap(container: Record<string, any>): Record<string, string> {
  return Object.fromEntries(
    (container.env as Array<Record<string, any>>).map((e) => [
      e.name,
      e.value ??
        (e.valueFrom.fieldRef
          ? `<fieldRef:${e.valueFrom.fieldRef.fieldPath}>`
          : `<secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}>`),
    ]),
  );
}

/**
 * The objects of `values` (release `vllm`, namespace `llm`) beside one LoRA-enabled engine and no router, each
 * validated against its Kubernetes or CRD schema (the LoRA constructs' tests).
 */
export function loraStack(values: PdstackValues): KubeObject[] {
  const engine = {
    name: 'opt',
    repository: 'r',
    tag: 't',
    modelURL: 'facebook/opt-125m',
    requestCPU: 2,
    requestMemory: '8Gi',
  };
  const objects = synthStack(
    {
      servingEngineSpec: { modelSpec: [{ ...engine, enableLoRA: true }] },
      routerSpec: { enableRouter: false },
      ...values,
    },
    'vllm',
    'llm',
  );
  for (const o of objects) validateKubeObject(o);
  return objects;
}
