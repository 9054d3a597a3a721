/**
 * Credentials for the Kubernetes API: the pod's service-account token and CA when the router runs in a pod,
 * otherwise `KUBECONFIG` / `~/.kube/config` (so the router can run on a laptop against a cluster).
 *
 * Order: an explicit `KUBECONFIG` wins (the user asked for it); then in-cluster when `KUBERNETES_SERVICE_HOST` /
 * `KUBERNETES_SERVICE_PORT` are set and the service-account token exists; then `~/.kube/config`. Without any of
 * them this throws instead of silently falling back to `http://localhost:8080` as the client library would.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSource {
  readonly env: NodeJS.ProcessEnv;
  /** Root prepended to the service-account paths (tests point it at a temporary directory). */
  readonly rootPrefix?: string;
  readonly home?: string;
}

export type CredentialsKind = 'kubeconfig' | 'in-cluster';

export function loadKubeConfig(source: KubeConfigSource = { env: process.env }): {
  readonly kc: KubeConfig;
  readonly kind: CredentialsKind;
  readonly server: string;
} {
  const { env } = source;
  const prefix = source.rootPrefix ?? '';
  const kc = new KubeConfig();
  let kind: CredentialsKind;
  if (env.KUBECONFIG) {
    // read from `env`, not process.env; a list of files merges as kubectl merges it: files that do not exist are
    // skipped, the first file to name a cluster, user or context wins (the client library throws on such
    // duplicates), and so does the first current context
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '' && existsSync(f));
    if (files.length === 0) throw new Error(`KUBECONFIG (${env.KUBECONFIG}) names no file that exists`);
    const [first, ...rest] = files;
    kc.loadFromFile(first!);
    for (const file of rest) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      for (const c of more.clusters) if (!kc.getCluster(c.name)) kc.addCluster(c);
      for (const u of more.users) if (!kc.getUser(u.name)) kc.addUser(u);
      for (const c of more.contexts) if (!kc.getContextObject(c.name)) kc.addContext(c);
      if (!kc.getCurrentContext()) kc.setCurrentContext(more.getCurrentContext());
    }
    kind = 'kubeconfig';
  } else if (
    env.KUBERNETES_SERVICE_HOST &&
    env.KUBERNETES_SERVICE_PORT &&
    existsSync(`${prefix}${SERVICE_ACCOUNT_DIR}/token`)
  ) {
    kc.loadFromCluster(prefix);
    kind = 'in-cluster';
  } else {
    const file = join(source.home ?? homedir(), '.kube', 'config');
    if (!existsSync(file)) {
      throw new Error(
        'Kubernetes service discovery needs credentials: not running in a pod (KUBERNETES_SERVICE_HOST unset or no ' +
          `service-account token in ${SERVICE_ACCOUNT_DIR}) and neither KUBECONFIG nor ${file} exists`,
      );
    }
    kc.loadFromFile(file);
    kind = 'kubeconfig';
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`Kubernetes credentials (${kind}) name no current cluster`);
  return { kc, kind, server: cluster.server };
}
