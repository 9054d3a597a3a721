/** Creates the service discovery chosen by `--service-discovery`. */
import type { RouterConfig } from '../config/config.js';
import type { Logger } from '../log.js';
import { createK8sDiscovery } from './k8s/index.js';
import { StaticDiscovery } from './static.js';
import type { ServiceDiscovery } from './types.js';

export function createDiscovery(config: RouterConfig['discovery'], log: Logger): ServiceDiscovery {
  return config.kind === 'static' ? new StaticDiscovery(config.options, log) : createK8sDiscovery(config.options);
}
