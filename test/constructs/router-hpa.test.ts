import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { RouterAutoscaler } from '../../constructs/router-hpa.js';
import { find, routerStack } from '../support/synth.js';

describe('RouterAutoscaler', () => {
  it("renders production-stack's HPA and leaves the router's replicas to it", () => {
    const objects = routerStack({
      replicaCount: 2,
      autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
    });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'vllm-router-hpa');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata).toEqual({
      name: 'vllm-router-hpa',
      namespace: 'default',
      labels: { environment: 'router', release: 'router' },
    });
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'vllm-deployment-router' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    });
    expect(find(objects, 'Deployment', 'vllm-deployment-router').spec).not.toHaveProperty('replicas');
  });

  it("takes production-stack's defaults (1 to 3 replicas at 80% CPU) and the router's labels", () => {
    const objects = routerStack({ labels: { team: 'a' }, autoscaling: { enabled: true } });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'vllm-router-hpa');
    expect(hpa.metadata.labels).toEqual({ team: 'a' });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([1, 3]);
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(80);
  });

  it('renders nothing when disabled, and the Deployment keeps replicaCount', () => {
    const objects = routerStack({ replicaCount: 2, autoscaling: { enabled: false } });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(find(objects, 'Deployment', 'vllm-deployment-router').spec.replicas).toBe(2);
  });

  it('refuses bounds it cannot keep, and a target that is not a Deployment', () => {
    const chart = Testing.chart();
    const deployment = new k8s.KubeDeployment(chart, 'D', {
      metadata: { name: 'd' },
      spec: { replicas: 1, selector: {}, template: {} },
    });
    let id = 0;
    const hpa = (props: object): RouterAutoscaler =>
      new RouterAutoscaler(chart, `A${id++}`, { release: 'r', namespace: 'n', deployment, ...props });
    expect(() => hpa({ minReplicas: 4, maxReplicas: 2 })).toThrow('minReplicas 4 exceeds maxReplicas 2');
    expect(() => hpa({ minReplicas: 0 })).toThrow(
      'RouterAutoscaler: minReplicas: 0 is not a whole number of at least 1',
    );
    expect(() => hpa({ targetCpuUtilizationPercentage: 1.5 })).toThrow(
      'RouterAutoscaler: targetCpuUtilizationPercentage: 1.5 is not a whole number of at least 1',
    );
    const service = new k8s.KubeService(chart, 'S', { metadata: { name: 's' } });
    expect(() => new RouterAutoscaler(chart, 'B', { release: 'r', namespace: 'n', deployment: service })).toThrow(
      'scales a Deployment, not a Service',
    );
  });
});
