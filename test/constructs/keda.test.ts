import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { EngineScaledObject } from '../../constructs/keda.js';
import type { Keda, ModelSpec } from '../../schema/values.generated.js';
import { BASE_MODEL, engineDeployment, engineObjects, pdModel } from '../support/engine.js';
import { validateKubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

const PROMETHEUS = 'http://prometheus-operated.monitoring.svc:9090';
const TRIGGER = {
  type: 'prometheus',
  metadata: { serverAddress: PROMETHEUS, metricName: 'vllm:num_requests_waiting', query: 'q', threshold: '5' },
};

const ADVANCED: Keda = {
  enabled: true,
  minReplicaCount: 1,
  maxReplicaCount: 10,
  pollingInterval: 10,
  cooldownPeriod: 60,
  idleReplicaCount: 0,
  initialCooldownPeriod: 30,
  fallback: { failureThreshold: 5, replicas: 2 },
  advanced: {
    restoreToOriginalReplicaCount: true,
    horizontalPodAutoscalerConfig: { name: 'my-hpa', behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
  },
  triggers: [TRIGGER],
};

describe('EngineScaledObject', () => {
  it("renders production-stack's ScaledObject over the engine Deployment, which gets no replicas (KEDA owns them)", () => {
    // every key of keda but enabled is the ScaledObject's, verbatim
    const { enabled: _enabled, ...fields } = ADVANCED;
    const objects = engineObjects({ replicaCount: 3, keda: ADVANCED });
    const deployment = engineDeployment(objects);
    expect(deployment.spec.replicas).toBeUndefined();
    const scaled = find(objects, 'ScaledObject', 'pd-opt-scaledobject');
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.metadata).toEqual({
      name: 'pd-opt-scaledobject',
      namespace: 'default',
      labels: deployment.spec.selector.matchLabels,
    });
    expect(scaled.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'pd-opt-deployment-vllm' },
      ...fields,
    });
  });

  it("without triggers, sums the engine's queued requests over the series its ServiceMonitor labels (a pdstack fix)", () => {
    const scaled = find(engineObjects({ keda: { enabled: true } }), 'ScaledObject', 'pd-opt-scaledobject');
    expect(scaled.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'pd-opt-deployment-vllm' },
      triggers: [
        {
          type: 'prometheus',
          name: 'requests-waiting',
          metadata: {
            serverAddress: PROMETHEUS,
            query: 'sum(vllm:num_requests_waiting{namespace="default",service="pd-opt-engine-service"})',
            threshold: '5',
          },
        },
      ],
    });
  });

  it('gives a P/D spec a trigger per role: prefill on queued requests, decode on KV-cache usage', () => {
    const pd = (name: string, nixlRole: 'sender' | 'receiver'): ModelSpec => ({
      ...pdModel(name, nixlRole),
      keda: { enabled: true, maxReplicaCount: 4 },
    });
    const objects = synthStack(
      {
        servingEngineSpec: { modelSpec: [pd('prefill', 'sender'), pd('decode', 'receiver')] },
        routerSpec: { enableRouter: false },
      },
      'pd',
      'llm',
    );
    for (const o of objects) validateKubeObject(o);
    const metadata = (model: string): Record<string, string> =>
      find(objects, 'ScaledObject', `pd-${model}-scaledobject`).spec.triggers[0].metadata;
    expect(metadata('prefill')).toEqual({
      serverAddress: PROMETHEUS,
      query: 'sum(vllm:num_requests_waiting{namespace="llm",service="pd-prefill-engine-service"})',
      threshold: '5',
    });
    const decode = 'namespace="llm",service="pd-decode-engine-service"';
    expect(metadata('decode')).toEqual({
      serverAddress: PROMETHEUS,
      query: `sum(vllm:kv_cache_usage_perc{${decode}}) or sum(vllm:gpu_cache_usage_perc{${decode}})`,
      threshold: '0.8',
    });
    expect(find(objects, 'ScaledObject', 'pd-decode-scaledobject').spec.triggers[0].name).toBe('kv-cache-usage');
  });

  it('is not rendered when disabled, and the Deployment keeps its replicas', () => {
    const objects = engineObjects({ replicaCount: 2, keda: { enabled: false } });
    expect(objects.map((o) => o.kind)).not.toContain('ScaledObject');
    expect(engineDeployment(objects).spec.replicas).toBe(2);
  });

  it('refuses to build a ScaledObject for a model without keda enabled', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(
      () => new EngineScaledObject(chart, 'k', { release: 'pd', name: BASE_MODEL.name, keda: undefined, labels: {} }),
    ).toThrow(/keda is not enabled/);
  });
});
