/**
 * `EngineServiceMonitor`: `servingEngineSpec.serviceMonitor` → the prometheus-operator ServiceMonitor
 * `<release>-engine-servicemonitor`, scraping every engine Service of the release on its `service-port` (vLLM serves
 * `/metrics` on its API port), as production-stack's `servicemonitor-engine.yaml` renders it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import type { ServiceMonitor } from '../schema/values.generated.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { ENGINE_SERVICE_PORT_NAME } from './engine-service.js';
import { engineCommonLabels, engineReleaseSelector, type Labels } from './labels.js';
import { SERVICE_MONITOR_API_VERSION, serviceMonitorEndpoint } from './service-monitor.js';
import { requireUniqueObjects } from './unique-objects.js';

export interface EngineServiceMonitorProps {
  /** Release name: prefix of the name, and the engines' `app.kubernetes.io/instance` it selects. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** `servingEngineSpec.serviceMonitor`; must be enabled. */
  readonly spec: Readonly<ServiceMonitor>;
  /** `servingEngineSpec.labels`: on the ServiceMonitor and in its selector. @default ENGINE_DEFAULTS.labels */
  readonly engineLabels?: Labels;
}

export class EngineServiceMonitor extends Construct {
  public readonly serviceMonitor: ApiObject;

  constructor(scope: Construct, id: string, props: EngineServiceMonitorProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, spec } = props;
    if (spec.enabled !== true)
      throw new Error('EngineServiceMonitor: servingEngineSpec.serviceMonitor is not enabled; do not create it');
    const engineLabels = props.engineLabels ?? ENGINE_DEFAULTS.labels;
    this.serviceMonitor = new ApiObject(this, 'Resource', {
      apiVersion: SERVICE_MONITOR_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: {
        name: names.engineServiceMonitorName(release),
        namespace: props.namespace,
        labels: { ...engineCommonLabels(release), ...engineLabels, ...spec.additionalLabels },
      },
      spec: {
        endpoints: [serviceMonitorEndpoint(ENGINE_SERVICE_PORT_NAME, spec)],
        selector: { matchLabels: { ...engineReleaseSelector(release), ...engineLabels } },
      },
    });
  }
}
