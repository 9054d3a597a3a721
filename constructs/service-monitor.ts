/** What the engines' and the router's prometheus-operator ServiceMonitors share: the API and the scrape endpoint. */
import type { ServiceMonitor } from '../schema/values.generated.js';
import { SERVICE_MONITOR_DEFAULTS } from './defaults.js';

/** The prometheus-operator API of ServiceMonitors. */
export const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';

/** A ServiceMonitor's one endpoint, as production-stack renders it: the Service port `port`, the values' settings. */
export function serviceMonitorEndpoint(port: string, spec: Readonly<ServiceMonitor>): Record<string, unknown> {
  return {
    port,
    honorLabels: spec.honorLabels ?? SERVICE_MONITOR_DEFAULTS.honorLabels,
    interval: spec.interval ?? SERVICE_MONITOR_DEFAULTS.interval,
    scrapeTimeout: spec.scrapeTimeout ?? SERVICE_MONITOR_DEFAULTS.scrapeTimeout,
    ...(spec.metricRelabelings?.length ? { metricRelabelings: spec.metricRelabelings } : {}),
    ...(spec.relabelings?.length ? { relabelings: spec.relabelings } : {}),
  };
}
