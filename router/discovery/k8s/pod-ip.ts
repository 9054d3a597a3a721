/**
 * `pod-ip` mode: the pods of the namespace that match the label selector; a pod is a target when it has an IP, every
 * container is ready and it is not terminating (no `deletionTimestamp`). URL `http://<podIP>:<k8s-port>`, P/D role
 * from the pod label `model`, sleep from the label `sleeping=true` (which the router sets when it puts an engine to
 * sleep).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { MODEL_LABEL } from '../../../schema/facts/labels.js';
import type { Target } from './endpoint-set.js';
import { hasSleepingLabel } from './sleep-label.js';

export function isPodReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!pod.status?.podIP) return false;
  const statuses = pod.status.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((c) => c.ready === true);
}

export function podTargets(pods: readonly V1Pod[], port: number, namespace: string): Target[] {
  const targets: Target[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (!name || !isPodReady(pod)) continue;
    const ip = pod.status!.podIP!;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const labels = pod.metadata?.labels ?? {};
    targets.push({
      key: name,
      url: `http://${host}:${port}`,
      modelLabel: labels[MODEL_LABEL] ?? 'default',
      sleep: hasSleepingLabel(labels),
      revision: pod.metadata?.resourceVersion ?? '',
      namespace: pod.metadata?.namespace ?? namespace,
      podName: name,
    });
  }
  return targets;
}
