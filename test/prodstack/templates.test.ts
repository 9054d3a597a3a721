import { describe, expect, it } from 'vitest';
import type { Doc } from './assertions.js';
import { documentsByTemplate } from './templates.js';

const obj = (kind: string, name: string): Doc => ({ apiVersion: 'v1', kind, metadata: { name } });
const names = (docs: readonly Doc[] | undefined): string[] =>
  (docs ?? []).map((d) => `${String(d.kind)}/${(d.metadata as { name: string }).name}`);

const naming = {
  release: 'vllm',
  namespace: 'default',
  models: [
    { name: 'a', ray: false },
    { name: 'b', ray: true },
    { name: 'c', ray: false },
  ],
};

describe('production-stack template → pdstack objects', () => {
  it('orders a per-model template as Helm ranges: each model in turn, its objects in template order', () => {
    const objects = [
      obj('Deployment', 'vllm-c-deployment-vllm'),
      obj('Deployment', 'vllm-a-deployment-vllm'),
      obj('ConfigMap', 'vllm-c-chat-templates'),
      obj('ConfigMap', 'vllm-a-chat-templates'),
      obj('Service', 'vllm-a-engine-service'),
    ];
    const t = documentsByTemplate(objects, naming, ['deployment-vllm-multi.yaml', 'service-vllm.yaml']);
    expect(names(t.get('deployment-vllm-multi.yaml'))).toEqual([
      'Deployment/vllm-a-deployment-vllm',
      'ConfigMap/vllm-a-chat-templates',
      'Deployment/vllm-c-deployment-vllm',
      'ConfigMap/vllm-c-chat-templates',
    ]);
    expect(names(t.get('service-vllm.yaml'))).toEqual(['Service/vllm-a-engine-service']);
  });

  it("puts a KubeRay model's chat template with ray-cluster.yaml, as production-stack does", () => {
    const objects = [
      obj('RayCluster', 'vllm-b-raycluster'),
      obj('ConfigMap', 'vllm-b-chat-templates'),
      obj('ConfigMap', 'b-vllm-start-script'),
    ];
    const t = documentsByTemplate(objects, naming, ['deployment-vllm-multi.yaml', 'ray-cluster.yaml']);
    expect(names(t.get('deployment-vllm-multi.yaml'))).toEqual([]);
    expect(names(t.get('ray-cluster.yaml'))).toEqual([
      'RayCluster/vllm-b-raycluster',
      'ConfigMap/b-vllm-start-script',
      'ConfigMap/vllm-b-chat-templates',
    ]);
  });

  it("matches kind and name: the router's objects go to their own templates; routes by kind", () => {
    const objects = [
      obj('Service', 'vllm-router-service'),
      obj('HTTPRoute', 'vllm-router'),
      obj('GRPCRoute', 'vllm-router-grpc'),
      obj('Deployment', 'vllm-deployment-router'),
    ];
    const t = documentsByTemplate(objects, naming, ['route.yaml', 'service-router.yaml', 'deployment-router.yaml']);
    // Helm ranges over routerSpec.route by key: grpc before main (vllm-router).
    expect(names(t.get('route.yaml'))).toEqual(['GRPCRoute/vllm-router-grpc', 'HTTPRoute/vllm-router']);
    expect(names(t.get('service-router.yaml'))).toEqual(['Service/vllm-router-service']);
    expect(names(t.get('deployment-router.yaml'))).toEqual(['Deployment/vllm-deployment-router']);
  });

  it("gives objects no template names to extra-objects.yaml, except pdstack's own", () => {
    const objects = [
      obj('ValidatingAdmissionPolicy', 'vllm-default-router-sleeping-label'),
      obj('ConfigMap', 'my-extra'),
      obj('Deployment', 'vllm-a-deployment-vllm'),
    ];
    const t = documentsByTemplate(objects, naming, ['extra-objects.yaml']);
    expect(names(t.get('extra-objects.yaml'))).toEqual(['ConfigMap/my-extra']);
  });

  it('refuses a template it has no rule for', () => {
    expect(() => documentsByTemplate([], naming, ['unknown.yaml'])).toThrow(/not in the runner's table/);
  });
});
