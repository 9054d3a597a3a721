/**
 * The label `sleeping=true` that marks an engine put to sleep through the router (production-stack's convention):
 * on the pod in pod-ip mode, on the Service in service-name mode. Discovery reads it (`pod-ip.ts`,
 * `service-name.ts`: sleeping engines get no traffic); `/sleep` and `/wake_up` set and remove it with a JSON merge
 * patch, which needs the `patch` verb in the router's Role.
 */
import {
  type ConfigurationOptions,
  type CoreV1Api,
  type ObservableMiddleware,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { SLEEPING_LABEL } from '../../../schema/facts/labels.js';

export function hasSleepingLabel(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[SLEEPING_LABEL] === 'true';
}

/** Adds (`sleeping`) or removes the label on a pod or Service; rejects with the library's error when refused. */
export async function patchSleepingLabel(
  api: CoreV1Api,
  target: { readonly kind: 'pod' | 'service'; readonly name: string; readonly namespace: string },
  sleeping: boolean,
  options: ConfigurationOptions<ObservableMiddleware>,
): Promise<void> {
  // merge patch (RFC 7386): `null` deletes the key, so waking up leaves no `sleeping` label behind
  const body = { metadata: { labels: { [SLEEPING_LABEL]: sleeping ? 'true' : null } } };
  const request = { name: target.name, namespace: target.namespace, body };
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch, options);
  if (target.kind === 'pod') await api.patchNamespacedPod(request, merge);
  else await api.patchNamespacedService(request, merge);
}
