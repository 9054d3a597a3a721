import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { GrafanaDashboards } from '../../constructs/dashboards.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { BASE_MODEL, pdModel } from '../support/engine.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

function render(values: PdstackValues): KubeObject[] {
  const objects = synthStack({ routerSpec: { enableRouter: false }, ...values }, 'r1', 'llm');
  for (const o of objects) validateKubeObject(o);
  return objects;
}

/** The dashboard JSON of a ConfigMap, and every query in it. */
function dashboard(objects: KubeObject[], name: string): { json: Record<string, any>; exprs: string[] } {
  const data = find(objects, 'ConfigMap', `r1-grafana-${name}`).data as Record<string, string>;
  const json = JSON.parse(data[`${name}.json`]!) as Record<string, any>;
  const exprs = (json.panels as Array<{ targets?: Array<{ expr: string }> }>).flatMap((p) =>
    (p.targets ?? []).map((t) => t.expr),
  );
  return { json, exprs };
}

describe('GrafanaDashboards', () => {
  it("ships production-stack's ConfigMaps (names, data keys, sidecar label, annotations); LMCache's with the cache server", () => {
    const objects = render({
      servingEngineSpec: { modelSpec: [{ ...BASE_MODEL, lmcacheConfig: { enabled: true } }] },
      cacheserverSpec: { enabled: true },
      grafanaDashboards: { enabled: true, annotations: { app: 'grafana' } },
    });
    const maps = objects.filter((o) => o.metadata.name.startsWith('r1-grafana-'));
    expect(maps.map((o) => [o.metadata.name, Object.keys(o['data'] as object)])).toEqual([
      ['r1-grafana-lmcache-dashboard', ['lmcache-dashboard.json']],
      ['r1-grafana-vllm-dashboard', ['vllm-dashboard.json']],
      ['r1-grafana-vllm-model-metrics-dashboard', ['vllm-model-metrics-dashboard.json']],
    ]);
    for (const o of maps) {
      expect(o.metadata).toMatchObject({
        namespace: 'llm',
        labels: { grafana_dashboard: '1' },
        annotations: { app: 'grafana' },
      });
    }
    expect(dashboard(objects, 'lmcache-dashboard').exprs[0]).toContain(
      'lmcache:num_hit_tokens_total{namespace="llm",service=~"r1-.+-engine-service"}',
    );
    const without = render({
      servingEngineSpec: { modelSpec: [BASE_MODEL] },
      grafanaDashboards: { enabled: true, labels: { dashboards: 'vllm' } },
    });
    expect(without.filter((o) => o.metadata.name.startsWith('r1-grafana-')).map((o) => o.metadata.name)).toEqual([
      'r1-grafana-vllm-dashboard',
      'r1-grafana-vllm-model-metrics-dashboard',
    ]);
    expect(find(without, 'ConfigMap', 'r1-grafana-vllm-dashboard').metadata.labels).toEqual({ dashboards: 'vllm' });
  });

  it("queries the release's router and engines apart by their Services, with pdstack-router's and vLLM's names", () => {
    const { json, exprs } = dashboard(
      render({ servingEngineSpec: { modelSpec: [BASE_MODEL] }, grafanaDashboards: { enabled: true } }),
      'vllm-dashboard',
    );
    expect(json['title']).toBe('pdstack r1/llm: vLLM overview');
    expect(exprs).toContain('max(vllm:healthy_pods_total{namespace="llm",service="r1-router-service"})');
    expect(exprs).toContain(
      'sum by (service) (vllm:num_requests_waiting{namespace="llm",service=~"r1-.+-engine-service"})',
    );
    expect(exprs).toContain(
      'sum by (reason) (rate(pdstack_router_pd_decode_only_total{namespace="llm",service="r1-router-service"}[5m]))',
    );
  });

  it('has a model variable over the rendered models, and P/D panels by role for a P/D spec', () => {
    const objects = render({
      servingEngineSpec: {
        modelSpec: [pdModel('prefill', 'sender', { release: 'r1' }), pdModel('decode', 'receiver')],
      },
      grafanaDashboards: { enabled: true },
    });
    const { json, exprs } = dashboard(objects, 'vllm-model-metrics-dashboard');
    expect(json['templating'].list[1]).toMatchObject({ name: 'model', type: 'custom', query: 'prefill,decode' });
    expect(exprs).toContain('sum(vllm:num_requests_waiting{namespace="llm",service="r1-$model-engine-service"})');
    expect(exprs).toContain(
      'sum by (service) (vllm:num_requests_waiting{namespace="llm",service=~"r1-prefill-engine-service"})',
    );
    expect(exprs).toContain(
      'max by (service) (vllm:kv_cache_usage_perc{namespace="llm",service=~"r1-decode-engine-service"}) or max by (service) (vllm:gpu_cache_usage_perc{namespace="llm",service=~"r1-decode-engine-service"})',
    );
    const plain = dashboard(
      render({ servingEngineSpec: { modelSpec: [BASE_MODEL] }, grafanaDashboards: { enabled: true } }),
      'vllm-model-metrics-dashboard',
    );
    expect(plain.json['panels'].map((p: { title: string }) => p.title)).not.toContain('Prefill queue');
  });

  it('is not rendered when disabled', () => {
    const objects = render({ servingEngineSpec: { modelSpec: [BASE_MODEL] }, grafanaDashboards: { enabled: false } });
    expect(objects.map((o) => o.metadata.name).filter((n) => n.includes('grafana'))).toEqual([]);
  });

  it('takes typed props built in code: labels and annotations of every ConfigMap, the models given', () => {
    const chart = new Chart(Testing.app(), 't');
    new GrafanaDashboards(chart, 'd', {
      release: 'pd',
      namespace: 'default',
      labels: { grafana: 'yes' },
      annotations: { folder: 'llm' },
      models: [{ name: 'opt' }],
      cacheServer: false,
    });
    const configMaps = Testing.synth(chart);
    expect(configMaps.map((o) => o.metadata.name)).toEqual([
      'pd-grafana-vllm-dashboard',
      'pd-grafana-vllm-model-metrics-dashboard',
    ]);
    for (const o of configMaps)
      expect(o.metadata).toMatchObject({ labels: { grafana: 'yes' }, annotations: { folder: 'llm' } });
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(
      () => new GrafanaDashboards(chart, 'd', { release: 'pd', namespace: 'Team_A', models: [], cacheServer: false }),
    ).toThrow(/^GrafanaDashboards: /);
  });
});
