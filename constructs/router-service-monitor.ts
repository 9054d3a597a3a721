/**
 * `RouterServiceMonitor`: `routerSpec.serviceMonitor` → the prometheus-operator ServiceMonitor
 * `<release>-router-servicemonitor`, scraping the router Service's `router-sport` port (pdstack-router serves
 * `/metrics` there), as production-stack's `servicemonitor-router.yaml` renders it: the router's labels plus
 * `additionalLabels`, selecting the router Service by its labels without `app.kubernetes.io/managed-by`.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MANAGED_BY_LABEL } from '../schema/facts/labels.js';
import * as names from '../schema/facts/names.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import { routerLabels } from './labels.js';
import { ROUTER_SERVICE_PORT_NAME } from './router.js';
import type { RouterObjectProps } from './router-object.js';
import { SERVICE_MONITOR_API_VERSION, serviceMonitorEndpoint, type ServiceMonitorScrape } from './service-monitor.js';
import { requireReleaseAndNamespace } from './invariants.js';

export interface RouterServiceMonitorProps extends RouterObjectProps {
  /** How the endpoint scrapes. @default - every 30 s, 25 s timeout, see `ServiceMonitorScrape` */
  readonly scrape?: ServiceMonitorScrape;
  /** More labels of the ServiceMonitor (e.g. what the Prometheus serviceMonitorSelector selects). @default - none */
  readonly additionalLabels?: Readonly<Record<string, string>>;
}

export class RouterServiceMonitor extends Construct {
  public readonly serviceMonitor: ApiObject;

  constructor(scope: Construct, id: string, props: RouterServiceMonitorProps) {
    super(scope, id);
    requireReleaseAndNamespace('RouterServiceMonitor', props.release, props.namespace);
    const { release } = props;
    const labels = routerLabels(release, props.labels ?? ROUTER_DEFAULTS.labels);
    const { [MANAGED_BY_LABEL]: _managedBy, ...selector } = labels;
    this.serviceMonitor = new ApiObject(this, 'Resource', {
      apiVersion: SERVICE_MONITOR_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: {
        name: names.routerServiceMonitorName(release),
        namespace: props.namespace,
        labels: { ...labels, ...props.additionalLabels },
      },
      spec: {
        endpoints: [serviceMonitorEndpoint(ROUTER_SERVICE_PORT_NAME, props.scrape)],
        selector: { matchLabels: selector },
      },
    });
  }
}
