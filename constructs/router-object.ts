/** What every router-side object beside the router's own (autoscaler, Ingress, routes, ServiceMonitor) is given. */
import type { Labels } from './labels.js';

export interface RouterObjectProps {
  /** Release name: prefix of the object's name. */
  readonly release: string;
  readonly namespace: string;
  /** Labels of the object. @default ROUTER_DEFAULTS.labels (production-stack's `routerSpec.labels`) */
  readonly labels?: Labels;
}

/** The Service an Ingress or route sends requests to. */
export interface RouterBackend {
  /** The router Service's name (`VllmRouter.serviceName`). */
  readonly name: string;
  /** Its port (`routerSpec.servicePort`). */
  readonly port: number;
}
