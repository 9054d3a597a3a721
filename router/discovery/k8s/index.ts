// Placeholder owned by the Kubernetes-discovery work (issue 5); replaced by the real implementation.
import type { K8sDiscoveryOptions, ServiceDiscovery } from '../types.js';

export function createK8sDiscovery(_options: K8sDiscoveryOptions): ServiceDiscovery {
  throw new Error('Kubernetes service discovery is not built yet');
}
