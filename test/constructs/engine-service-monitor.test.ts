import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { EngineServiceMonitor } from '../../constructs/engine-service-monitor.js';
import { BASE_MODEL, engineObjects } from '../support/engine.js';
import { find, synthStack } from '../support/synth.js';

const RELABEL = { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'nodename', action: 'replace' };

describe('EngineServiceMonitor', () => {
  it("renders production-stack's engine ServiceMonitor: names, labels, endpoint and selector", () => {
    const objects = engineObjects(
      {},
      {
        serviceMonitor: {
          enabled: true,
          additionalLabels: { prometheus: 'main' },
          interval: '15s',
          scrapeTimeout: '10s',
          honorLabels: true,
          metricRelabelings: [{ action: 'drop', regex: 'go_.*', sourceLabels: ['__name__'] }],
          relabelings: [RELABEL],
        },
      },
    );
    const monitor = find(objects, 'ServiceMonitor', 'pd-engine-servicemonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    // every engine of the release, with servingEngineSpec.labels (their defaults here)
    const selector = {
      'app.kubernetes.io/instance': 'pd',
      'app.kubernetes.io/component': 'serving-engine',
      'app.kubernetes.io/part-of': 'vllm-stack',
      environment: 'test',
      release: 'test',
    };
    expect(monitor.metadata).toEqual({
      name: 'pd-engine-servicemonitor',
      namespace: 'default',
      labels: { ...selector, 'app.kubernetes.io/managed-by': 'helm', prometheus: 'main' },
    });
    expect(monitor.spec).toEqual({
      endpoints: [
        {
          port: 'service-port',
          honorLabels: true,
          interval: '15s',
          scrapeTimeout: '10s',
          metricRelabelings: [{ action: 'drop', regex: 'go_.*', sourceLabels: ['__name__'] }],
          relabelings: [RELABEL],
        },
      ],
      selector: { matchLabels: selector },
    });
    // the selector matches every engine Service of the release, on the port it names
    const service = find(objects, 'Service', 'pd-opt-engine-service');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain('service-port');
  });

  it("takes production-stack's defaults: every 30s, 25s timeout, no honorLabels, no relabelings", () => {
    const objects = synthStack({
      servingEngineSpec: { serviceMonitor: { enabled: true }, modelSpec: [BASE_MODEL] },
      routerSpec: { enableRouter: false },
    });
    expect(find(objects, 'ServiceMonitor', 'pd-engine-servicemonitor').spec.endpoints).toEqual([
      { port: 'service-port', honorLabels: false, interval: '30s', scrapeTimeout: '25s' },
    ]);
  });

  it('is not rendered when disabled or without engines', () => {
    const kinds = (engine: Record<string, unknown>): string[] =>
      synthStack({
        servingEngineSpec: { ...engine, modelSpec: [BASE_MODEL] },
        routerSpec: { enableRouter: false },
      }).map((o) => o.kind);
    expect(kinds({ serviceMonitor: { enabled: false } })).not.toContain('ServiceMonitor');
    expect(kinds({ enableEngine: false, serviceMonitor: { enabled: true } })).not.toContain('ServiceMonitor');
  });

  it('takes typed props built in code: scrape settings, relabelings, additional labels', () => {
    const chart = new Chart(Testing.app(), 't');
    new EngineServiceMonitor(chart, 'm', {
      release: 'pd',
      scrape: { interval: '10s', relabelings: [RELABEL] },
      additionalLabels: { prometheus: 'main' },
      engineLabels: { team: 'ml' },
    });
    const monitor = find(Testing.synth(chart), 'ServiceMonitor', 'pd-engine-servicemonitor');
    expect(monitor.metadata.labels).toMatchObject({ team: 'ml', prometheus: 'main' });
    expect(monitor.spec.endpoints).toEqual([
      { port: 'service-port', honorLabels: false, interval: '10s', scrapeTimeout: '25s', relabelings: [RELABEL] },
    ]);
    expect(monitor.spec.selector.matchLabels).toMatchObject({ team: 'ml' });
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(() => new EngineServiceMonitor(chart, 'm', { release: 'Bad_Name' })).toThrow(/^EngineServiceMonitor: /);
  });
});
