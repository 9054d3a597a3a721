/**
 * `EngineServiceMonitor`: `servingEngineSpec.serviceMonitor` → the prometheus-operator ServiceMonitor
 * `<release>-engine-servicemonitor`, scraping every engine Service of the release on its `service-port` (vLLM serves
 * `/metrics` on its API port), as production-stack's `servicemonitor-engine.yaml` renders it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { ENGINE_SERVICE_PORT_NAME } from './engine-service.js';
import { engineCommonLabels, engineReleaseSelector, type Labels } from './labels.js';
import { requireReleaseAndNamespace } from './invariants.js';
import { SERVICE_MONITOR_API_VERSION, serviceMonitorEndpoint, type ServiceMonitorScrape } from './service-monitor.js';
import { requireUniqueObjects } from './unique-objects.js';

export interface EngineServiceMonitorProps {
  /** Release name: prefix of the name, and the engines' `app.kubernetes.io/instance` it selects. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** How the endpoint scrapes. @default - every 30 s, 25 s timeout, see `ServiceMonitorScrape` */
  readonly scrape?: ServiceMonitorScrape;
  /** More labels of the ServiceMonitor (e.g. what the Prometheus serviceMonitorSelector selects). @default - none */
  readonly additionalLabels?: Readonly<Record<string, string>>;
  /** `servingEngineSpec.labels`: on the ServiceMonitor and in its selector. @default ENGINE_DEFAULTS.labels */
  readonly engineLabels?: Labels;
}

export class EngineServiceMonitor extends Construct {
  public readonly serviceMonitor: ApiObject;

  constructor(scope: Construct, id: string, props: EngineServiceMonitorProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release } = props;
    requireReleaseAndNamespace('EngineServiceMonitor', release, props.namespace);
    const engineLabels = props.engineLabels ?? ENGINE_DEFAULTS.labels;
    this.serviceMonitor = new ApiObject(this, 'Resource', {
      apiVersion: SERVICE_MONITOR_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: {
        name: names.engineServiceMonitorName(release),
        namespace: props.namespace,
        labels: { ...engineCommonLabels(release), ...engineLabels, ...props.additionalLabels },
      },
      spec: {
        endpoints: [serviceMonitorEndpoint(ENGINE_SERVICE_PORT_NAME, props.scrape)],
        selector: { matchLabels: { ...engineReleaseSelector(release), ...engineLabels } },
      },
    });
  }
}
