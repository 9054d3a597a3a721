/**
 * `service-name` mode (for service meshes, production-stack #471): the Services of the namespace that match the
 * label selector; a Service is a target when its Endpoints object (same name) has at least one ready address.
 * URL `http://<serviceName>:<k8s-port>`, P/D role from the Service's `spec.selector.model`, sleep from the Service
 * label `sleeping=true`. Meant for one Service per engine pod, as in the original.
 */
import type { V1Endpoints, V1Service } from '@kubernetes/client-node';
import { MODEL_LABEL } from '../../../schema/facts/labels.js';
import type { Target } from './endpoint-set.js';
import { hasSleepingLabel } from './sleep-label.js';

export function hasReadyAddress(endpoints: V1Endpoints | undefined): boolean {
  return (endpoints?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
}

export function serviceTargets(
  services: readonly V1Service[],
  endpoints: readonly V1Endpoints[],
  port: number,
  namespace: string,
): Target[] {
  const byName = new Map<string, V1Endpoints>();
  for (const e of endpoints) if (e.metadata?.name) byName.set(e.metadata.name, e);
  const targets: Target[] = [];
  for (const svc of services) {
    const name = svc.metadata?.name;
    if (!name) continue;
    const eps = byName.get(name);
    if (svc.metadata?.deletionTimestamp || !hasReadyAddress(eps)) continue;
    targets.push({
      key: name,
      url: `http://${name}:${port}`,
      modelLabel: svc.spec?.selector?.[MODEL_LABEL] ?? 'default',
      sleep: hasSleepingLabel(svc.metadata?.labels),
      revision: `${svc.metadata?.resourceVersion ?? ''}/${eps?.metadata?.resourceVersion ?? ''}`,
      namespace: svc.metadata?.namespace ?? namespace,
      serviceName: name,
    });
  }
  return targets;
}
