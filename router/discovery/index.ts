/**
 * Creates the service discovery chosen by `--service-discovery`. The Kubernetes module (and its client library) is
 * loaded only when used, so a static router neither pays its start-up time nor its memory.
 */
import type { RouterConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import { StaticDiscovery } from './static.js';
import type { ServiceDiscovery } from './types.js';

export async function createDiscovery(config: RouterConfig['discovery'], log: Logger): Promise<ServiceDiscovery> {
  if (config.kind === 'static') return new StaticDiscovery(config.options, log);
  const { createK8sDiscovery } = await import('./k8s/index.js');
  return createK8sDiscovery(config.options, { log: log.child('service_discovery') });
}
