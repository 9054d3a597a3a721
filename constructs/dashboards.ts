/**
 * `GrafanaDashboards`: `grafanaDashboards` → ConfigMaps `<release>-grafana-<dashboard>` holding Grafana dashboards
 * (JSON) for Grafana's dashboard sidecar, which picks up ConfigMaps by label (`grafana_dashboard: "1"` by default), as
 * production-stack's `dashboards.yaml` ships them: `vllm-dashboard`, `vllm-model-metrics-dashboard`, and
 * `lmcache-dashboard` when the cache server is rendered.
 *
 * The dashboards are pdstack's own, built here for this release: every query selects the release's series by the
 * `namespace` and `service` labels its ServiceMonitors give them (engines: `<release>-<model>-engine-service`,
 * the router: `<release>-router-service`; the router reports some of the engines' metric names, so the `service`
 * label keeps them apart), with the names pdstack-router and vLLM export. A P/D spec gets P/D panels: the
 * prefill engines' queue and time to first token beside the decode engines' KV-cache usage and inter-token latency.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { GRAFANA_DASHBOARDS_DEFAULTS } from './defaults.js';
import { requireUniqueObjects } from './unique-objects.js';
import { requireReleaseAndNamespace } from './invariants.js';
import { nonEmpty } from './workload.js';

/** A rendered model as the dashboards see it. */
export interface DashboardModel {
  readonly name: string;
  /** Its P/D role: a NIXL sender (prefill) or receiver (decode); none for other engines. */
  readonly role?: 'prefill' | 'decode';
}

export interface GrafanaDashboardsProps {
  readonly release: string;
  readonly namespace: string;
  /** Labels of the ConfigMaps: what the Grafana sidecar selects. @default GRAFANA_DASHBOARDS_DEFAULTS.labels ({grafana_dashboard: '1'}) */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations of the ConfigMaps (e.g. the sidecar's folder annotation). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The release's engines. */
  readonly models: readonly DashboardModel[];
  /** Whether the LMCache cache server is rendered (its dashboard is shipped only then, as in production-stack). */
  readonly cacheServer: boolean;
}

export class GrafanaDashboards extends Construct {
  public readonly configMaps: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: GrafanaDashboardsProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { release, namespace } = props;
    requireReleaseAndNamespace('GrafanaDashboards', release, namespace);
    const labels = props.labels ?? GRAFANA_DASHBOARDS_DEFAULTS.labels;
    this.configMaps = [...dashboards(props)].map(
      ([dashboard, json]) =>
        new k8s.KubeConfigMap(this, dashboard, {
          metadata: {
            name: names.grafanaDashboardConfigMapName(release, dashboard),
            namespace,
            annotations: nonEmpty({ ...props.annotations }),
            labels: nonEmpty({ ...labels }),
          },
          data: { [`${dashboard}.json`]: `${JSON.stringify(json, null, 2)}\n` },
        }),
    );
  }
}

type Json = Record<string, unknown>;
interface Query {
  readonly expr: string;
  readonly legend: string;
}

/** The dashboards by name (production-stack's file names without `.json`), in production-stack's order. */
export function dashboards(props: Omit<GrafanaDashboardsProps, 'labels' | 'annotations'>): Map<string, Json> {
  const { release, namespace, models } = props;
  const engines = `namespace="${namespace}",service=~"${release}-.+-engine-service"`;
  const router = `namespace="${namespace}",service="${names.routerServiceName(release)}"`;
  const servicesOf = (role: DashboardModel['role']): string =>
    `namespace="${namespace}",service=~"${models
      .filter((m) => m.role === role)
      .map((m) => names.engineServiceName(release, m.name))
      .join('|')}"`;
  const title = (what: string): string => `pdstack ${release}/${namespace}: ${what}`;
  const out = new Map<string, Json>();
  if (props.cacheServer) {
    out.set(
      'lmcache-dashboard',
      dashboard(title('LMCache'), [
        row('LMCache in the engines (cache server: remote backend)'),
        panel('Hit rate (tokens)', 'percentunit', [
          q(
            `sum by (service) (rate(lmcache:num_hit_tokens_total{${engines}}[5m])) / sum by (service) (rate(lmcache:num_requested_tokens_total{${engines}}[5m]))`,
            '{{service}}',
          ),
        ]),
        panel('Requested and hit tokens per second', 'short', [
          q(`sum(rate(lmcache:num_requested_tokens_total{${engines}}[5m]))`, 'requested'),
          q(`sum(rate(lmcache:num_hit_tokens_total{${engines}}[5m]))`, 'hit'),
        ]),
        panel('Local cache usage', 'bytes', [
          q(`sum by (service) (lmcache:local_cache_usage{${engines}})`, '{{service}}'),
        ]),
        panel('Retrieve speed (tokens/s)', 'short', [
          q(
            `sum(rate(lmcache:retrieve_speed_sum{${engines}}[5m])) / sum(rate(lmcache:retrieve_speed_count{${engines}}[5m]))`,
            'mean',
          ),
        ]),
      ]),
    );
  }
  out.set(
    'vllm-dashboard',
    dashboard(title('vLLM overview'), [
      row('Router (pdstack-router)'),
      panel('Healthy endpoints', 'short', [q(`max(vllm:healthy_pods_total{${router}})`, 'endpoints')]),
      panel('Incoming requests per second', 'reqps', [
        q(`sum by (model) (rate(vllm:num_incoming_requests_total{${router}}[1m]))`, '{{model}}'),
      ]),
      panel('Latency p50 / p95', 's', [
        q(quantile(0.5, 'vllm:request_latency_seconds', router), 'p50'),
        q(quantile(0.95, 'vllm:request_latency_seconds', router), 'p95'),
      ]),
      panel('Errors per second', 'reqps', [
        q(`sum by (error_type) (rate(vllm:request_errors_total{${router}}[5m]))`, '{{error_type}}'),
      ]),
      panel('P/D requests answered by decode alone', 'reqps', [
        q(`sum by (reason) (rate(pdstack_router_pd_decode_only_total{${router}}[5m]))`, '{{reason}}'),
      ]),
      panel('Router CPU (% of a core) and memory (%)', 'percent', [
        q(`max(router_cpu_usage_percent{${router}})`, 'cpu'),
        q(`max(router_memory_usage_percent{${router}})`, 'memory'),
      ]),
      row('Engines (vLLM)'),
      panel('Running requests', 'short', [
        q(`sum by (service) (vllm:num_requests_running{${engines}})`, '{{service}}'),
      ]),
      panel('Queued requests', 'short', [q(`sum by (service) (vllm:num_requests_waiting{${engines}})`, '{{service}}')]),
      panel('KV-cache usage', 'percentunit', [q(kvCacheUsage(engines), '{{service}}')]),
      panel('Time to first token p95', 's', [
        q(quantile(0.95, 'vllm:time_to_first_token_seconds', engines, 'service'), '{{service}}'),
      ]),
      panel('Time per output token p95', 's', [
        q(quantile(0.95, 'vllm:time_per_output_token_seconds', engines, 'service'), '{{service}}'),
      ]),
      panel('Tokens per second', 'short', [
        q(`sum by (service) (rate(vllm:prompt_tokens_total{${engines}}[1m]))`, 'prompt {{service}}'),
        q(`sum by (service) (rate(vllm:generation_tokens_total{${engines}}[1m]))`, 'generated {{service}}'),
      ]),
    ]),
  );
  const model = `namespace="${namespace}",service="${release}-$model-engine-service"`;
  const percentiles = (metric: string): Query[] =>
    [0.5, 0.9, 0.95, 0.99].map((p) => q(quantile(p, metric, model), `p${p * 100}`));
  const pd = models.some((m) => m.role === 'prefill') && models.some((m) => m.role === 'decode');
  out.set(
    'vllm-model-metrics-dashboard',
    dashboard(
      title('vLLM per model'),
      [
        row('Model $model'),
        panel('Time to first token', 's', percentiles('vllm:time_to_first_token_seconds')),
        panel('Time per output token', 's', percentiles('vllm:time_per_output_token_seconds')),
        panel('End-to-end latency', 's', percentiles('vllm:e2e_request_latency_seconds')),
        panel('Running and queued requests', 'short', [
          q(`sum(vllm:num_requests_running{${model}})`, 'running'),
          q(`sum(vllm:num_requests_waiting{${model}})`, 'queued'),
        ]),
        panel('KV-cache usage', 'percentunit', [q(kvCacheUsage(model), '{{service}}')]),
        panel('Tokens per second', 'short', [
          q(`sum(rate(vllm:prompt_tokens_total{${model}}[1m]))`, 'prompt'),
          q(`sum(rate(vllm:generation_tokens_total{${model}}[1m]))`, 'generated'),
        ]),
        ...(pd
          ? [
              row('Disaggregated prefill: prefill (NIXL senders) and decode (NIXL receivers)'),
              panel('Prefill queue', 'short', [
                q(`sum by (service) (vllm:num_requests_waiting{${servicesOf('prefill')}})`, '{{service}}'),
              ]),
              panel('Decode KV-cache usage', 'percentunit', [q(kvCacheUsage(servicesOf('decode')), '{{service}}')]),
              panel('Prefill time to first token p95', 's', [
                q(quantile(0.95, 'vllm:time_to_first_token_seconds', servicesOf('prefill'), 'service'), '{{service}}'),
              ]),
              panel('Decode time per output token p95', 's', [
                q(quantile(0.95, 'vllm:time_per_output_token_seconds', servicesOf('decode'), 'service'), '{{service}}'),
              ]),
            ]
          : []),
      ],
      [
        {
          name: 'model',
          label: 'Model',
          type: 'custom',
          query: models.map((m) => m.name).join(','),
          current: models[0] ? { text: models[0].name, value: models[0].name } : {},
        },
      ],
    ),
  );
  return out;
}

const q = (expr: string, legend: string): Query => ({ expr, legend });

/** A histogram quantile over 5 minutes, by `le` (and `by` when given). */
const quantile = (p: number, histogram: string, selector: string, by?: string): string =>
  `histogram_quantile(${p}, sum by (le${by ? `, ${by}` : ''}) (rate(${histogram}_bucket{${selector}}[5m])))`;

/** vLLM ≥ 0.10's KV-cache usage, else the older name. */
const kvCacheUsage = (selector: string): string =>
  `max by (service) (vllm:kv_cache_usage_perc{${selector}}) or max by (service) (vllm:gpu_cache_usage_perc{${selector}})`;

/** A row (full width) or a panel (half width), placed at a grid position. */
interface Panel {
  readonly row: boolean;
  readonly at: (y: number, x: number) => Json;
}

const row = (title: string): Panel => ({
  row: true,
  at: (y) => ({ type: 'row', title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] }),
});

const panel = (title: string, unit: string, queries: readonly Query[]): Panel => ({
  row: false,
  at: (y, x) => ({
    type: 'timeseries',
    title,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { x, y, w: 12, h: 8 },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' } },
    targets: queries.map((query, i) => ({
      datasource: { type: 'prometheus', uid: '${datasource}' },
      expr: query.expr,
      legendFormat: query.legend,
      refId: String.fromCharCode(65 + i),
    })),
  }),
});

/** A Grafana dashboard: rows full width, panels two per line; a Prometheus data source variable. */
function dashboard(title: string, panels: readonly Panel[], variables: readonly Json[] = []): Json {
  let y = 0;
  let x = 0;
  const laid = panels.map((p) => {
    if (p.row) {
      if (x !== 0) y += 8;
      x = 0;
      const out = p.at(y, 0);
      y += 1;
      return out;
    }
    const out = p.at(y, x);
    if (x === 0) x = 12;
    else {
      x = 0;
      y += 8;
    }
    return out;
  });
  return {
    title,
    tags: ['pdstack', 'vllm'],
    editable: true,
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' }, ...variables],
    },
    panels: laid,
  };
}
