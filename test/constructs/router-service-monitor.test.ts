import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { RouterServiceMonitor } from '../../constructs/router-service-monitor.js';
import { find, ROUTER_LABELS, routerStack } from '../support/synth.js';

const relabelings = [
  {
    sourceLabels: ['__meta_kubernetes_pod_node_name'],
    separator: ';',
    regex: '^(.*)$',
    targetLabel: 'nodename',
    replacement: '$1',
    action: 'replace',
  },
];
const metricRelabelings = [
  {
    action: 'replace',
    regex: '(.*)',
    replacement: '$1',
    sourceLabels: ['exported_namespace'],
    targetLabel: 'namespace',
  },
];

describe('RouterServiceMonitor', () => {
  it("renders production-stack's ServiceMonitor on the router Service's router-sport port", () => {
    const objects = routerStack({
      serviceMonitor: {
        enabled: true,
        additionalLabels: { label1: 'value1' },
        interval: '30s',
        scrapeTimeout: '10s',
        honorLabels: true,
        metricRelabelings,
        relabelings,
      },
    });
    const monitor = find(objects, 'ServiceMonitor', 'vllm-router-servicemonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata).toEqual({
      name: 'vllm-router-servicemonitor',
      namespace: 'default',
      labels: {
        ...ROUTER_LABELS,
        label1: 'value1',
      },
    });
    expect(monitor.spec.endpoints).toEqual([
      {
        port: 'router-sport',
        honorLabels: true,
        interval: '30s',
        scrapeTimeout: '10s',
        metricRelabelings,
        relabelings,
      },
    ]);
    const { 'app.kubernetes.io/managed-by': _managedBy, ...selector } = ROUTER_LABELS;
    expect(monitor.spec.selector).toEqual({ matchLabels: selector });
    // it selects the router Service, on a port that Service has
    const service = find(objects, 'Service', 'vllm-router-service');
    expect(service.metadata.labels).toMatchObject(selector);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain('router-sport');
  });

  it("takes production-stack's defaults: every 30s, 25s timeout, honorLabels false, no relabelings", () => {
    const monitor = find(
      routerStack({ serviceMonitor: { enabled: true } }),
      'ServiceMonitor',
      'vllm-router-servicemonitor',
    );
    expect(monitor.spec.endpoints).toEqual([
      { port: 'router-sport', honorLabels: false, interval: '30s', scrapeTimeout: '25s' },
    ]);
  });

  it('renders nothing when disabled', () => {
    expect(routerStack({ serviceMonitor: { enabled: false } }).filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
  });

  it('takes typed props built in code: scrape settings, relabelings, additional labels', () => {
    const chart = Testing.chart();
    new RouterServiceMonitor(chart, 'M', {
      release: 'r',
      namespace: 'n',
      scrape: { honorLabels: true, scrapeTimeout: '5s', metricRelabelings: relabelings },
      additionalLabels: { prometheus: 'main' },
    });
    const monitor = find(Testing.synth(chart), 'ServiceMonitor', 'r-router-servicemonitor');
    expect(monitor.metadata.labels).toEqual({
      ...ROUTER_LABELS,
      'app.kubernetes.io/instance': 'r',
      prometheus: 'main',
    });
    expect(monitor.spec.endpoints).toEqual([
      { port: 'router-sport', honorLabels: true, interval: '30s', scrapeTimeout: '5s', metricRelabelings: relabelings },
    ]);
  });
});
