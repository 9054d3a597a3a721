/** What the engines' and the router's prometheus-operator ServiceMonitors share: the API and the scrape endpoint. */
import { SERVICE_MONITOR_DEFAULTS } from './defaults.js';

/** The prometheus-operator API of ServiceMonitors. */
export const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';

/** A prometheus-operator RelabelConfig (`monitoring.coreos.com/v1`), rendered as given. */
export interface RelabelConfig {
  /** @default 'replace' (prometheus-operator's) */
  readonly action?: string;
  /** @default - none */
  readonly sourceLabels?: readonly string[];
  /** @default ';' (prometheus-operator's) */
  readonly separator?: string;
  /** @default - none */
  readonly targetLabel?: string;
  /** @default '(.*)' (prometheus-operator's) */
  readonly regex?: string;
  /** @default - none */
  readonly modulus?: number;
  /** @default '$1' (prometheus-operator's) */
  readonly replacement?: string;
}

/** How a ServiceMonitor's endpoint scrapes. */
export interface ServiceMonitorScrape {
  /** @default SERVICE_MONITOR_DEFAULTS.interval ('30s') */
  readonly interval?: string;
  /** @default SERVICE_MONITOR_DEFAULTS.scrapeTimeout ('25s') */
  readonly scrapeTimeout?: string;
  /** Keep the scraped labels on conflict. @default SERVICE_MONITOR_DEFAULTS.honorLabels (false) */
  readonly honorLabels?: boolean;
  /** @default - none */
  readonly metricRelabelings?: readonly RelabelConfig[];
  /** @default - none */
  readonly relabelings?: readonly RelabelConfig[];
}

/** A ServiceMonitor's one endpoint, as production-stack renders it: the Service port `port`, scraped as `scrape` says. */
export function serviceMonitorEndpoint(port: string, scrape: ServiceMonitorScrape = {}): Record<string, unknown> {
  return {
    port,
    honorLabels: scrape.honorLabels ?? SERVICE_MONITOR_DEFAULTS.honorLabels,
    interval: scrape.interval ?? SERVICE_MONITOR_DEFAULTS.interval,
    scrapeTimeout: scrape.scrapeTimeout ?? SERVICE_MONITOR_DEFAULTS.scrapeTimeout,
    ...(scrape.metricRelabelings?.length ? { metricRelabelings: scrape.metricRelabelings } : {}),
    ...(scrape.relabelings?.length ? { relabelings: scrape.relabelings } : {}),
  };
}
