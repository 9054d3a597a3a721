/**
 * `RouterAutoscaler`: `routerSpec.autoscaling` → HorizontalPodAutoscaler (autoscaling/v2) `<release>-router-hpa`
 * scaling the router Deployment on average CPU use, as production-stack renders it (labelled with
 * `routerSpec.labels` only). The Deployment's `replicas` is taken out: the autoscaler owns it (a `replicas` in the
 * Deployment would be reset by every `kubectl apply` / `helm upgrade`).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import type { RouterObjectProps } from './router-object.js';
import { nonEmpty } from './workload.js';
import { requireReleaseAndNamespace, requireWholeNumber } from './invariants.js';

export interface RouterAutoscalerProps extends RouterObjectProps {
  /** The router Deployment it scales (`VllmRouter.deployment`); its `replicas` is removed. */
  readonly deployment: ApiObject;
  /** @default ROUTER_DEFAULTS.autoscaling.minReplicas (1) */
  readonly minReplicas?: number;
  /** @default ROUTER_DEFAULTS.autoscaling.maxReplicas (3) */
  readonly maxReplicas?: number;
  /** Average CPU use to keep, in percent of the pods' CPU request. @default ROUTER_DEFAULTS.autoscaling.targetCPUUtilizationPercentage (80) */
  readonly targetCpuUtilizationPercentage?: number;
}

export class RouterAutoscaler extends Construct {
  public readonly hpa: k8s.KubeHorizontalPodAutoscalerV2;

  constructor(scope: Construct, id: string, props: RouterAutoscalerProps) {
    super(scope, id);
    requireReleaseAndNamespace('RouterAutoscaler', props.release, props.namespace);
    const d = ROUTER_DEFAULTS.autoscaling;
    const min = props.minReplicas ?? d.minReplicas;
    const max = props.maxReplicas ?? d.maxReplicas;
    const target = props.targetCpuUtilizationPercentage ?? d.targetCPUUtilizationPercentage;
    requireWholeNumber('RouterAutoscaler', 'minReplicas', min, 1);
    requireWholeNumber('RouterAutoscaler', 'maxReplicas', max, 1);
    requireWholeNumber('RouterAutoscaler', 'targetCpuUtilizationPercentage', target, 1);
    if (min > max) throw new Error(`RouterAutoscaler: minReplicas ${min} exceeds maxReplicas ${max}`);
    const { deployment } = props;
    if (deployment.kind !== 'Deployment')
      throw new Error(`RouterAutoscaler: scales a Deployment, not a ${deployment.kind}`);
    deployment.addJsonPatch(JsonPatch.remove('/spec/replicas'));
    this.hpa = new k8s.KubeHorizontalPodAutoscalerV2(this, 'Resource', {
      metadata: {
        name: names.routerHpaName(props.release),
        namespace: props.namespace,
        labels: nonEmpty({ ...(props.labels ?? ROUTER_DEFAULTS.labels) }),
      },
      spec: {
        scaleTargetRef: { apiVersion: deployment.apiVersion, kind: deployment.kind, name: deployment.name },
        minReplicas: min,
        maxReplicas: max,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } },
        ],
      },
    });
  }
}
