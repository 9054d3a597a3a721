/**
 * The runner's self-check (`--render production-stack`): the suites run against production-stack's own chart,
 * rendered by real Helm (`helm template`), where every test should pass (production-stack's CI runs them with
 * helm-unittest). A failure there is this runner's (its assertion semantics, paths or values handling), not pdstack's.
 *
 * As helm-unittest does, each suite renders a copy of the chart holding only the suite's templates (and the `_*.tpl`
 * helpers), so a `required` in another template does not fail it; the test's values are merged into the chart's
 * values.yaml by Helm (`-f`). The chart's subchart dependencies (off by default) are dropped from the copy: they are
 * not fetched. Documents are grouped by template with the runner's table (templates.ts), in helm-unittest's order,
 * and checked against the `# Source:` comment Helm writes before each.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CORE_SCHEMA, dump, load, loadAll } from 'js-yaml';
import { RunnerLimitation, show, type Doc } from './assertions.js';
import { valuesAt } from './path.js';
import type { Renderer } from './render.js';
import { documentsByTemplate, type ModelEntry } from './templates.js';

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The models of a test's values, as production-stack's templates range over them (its default list is empty). */
function modelsOf(values: Record<string, unknown>): ModelEntry[] {
  const spec = values.servingEngineSpec;
  const list = isMap(spec) && Array.isArray(spec.modelSpec) ? spec.modelSpec : [];
  return list.filter(isMap).map((m) => ({
    name: String(m.name),
    ray: isMap(m.raySpec) && m.raySpec.enabled === true,
  }));
}

export interface ChartRenderer {
  readonly renderer: Renderer;
  /** Removes the chart copies. */
  readonly cleanup: () => void;
}

/** A renderer of production-stack's chart in `helmDir` (its `helm/` folder) with the Helm binary `helm`. */
export function productionStackRenderer(helmDir: string, helm: string): ChartRenderer {
  const work = mkdtempSync(join(tmpdir(), 'prodstack-chart-'));
  const charts = new Map<string, string>();

  /** The chart copy with only `templates` (and the helpers). */
  const chartFor = (templates: readonly string[]): string => {
    const key = [...templates].sort().join(',');
    const existing = charts.get(key);
    if (existing) return existing;
    const dir = join(work, `chart-${charts.size}`);
    cpSync(helmDir, dir, { recursive: true });
    for (const file of readdirSync(join(dir, 'templates')))
      if (!file.startsWith('_') && !templates.includes(file)) rmSync(join(dir, 'templates', file), { recursive: true });
    const chart = load(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    delete chart.dependencies;
    writeFileSync(join(dir, 'Chart.yaml'), dump(chart));
    rmSync(join(dir, 'Chart.lock'), { force: true });
    charts.set(key, dir);
    return dir;
  };

  let n = 0;
  const renderer: Renderer = (values, release, templates) => {
    const valuesFile = join(work, `values-${n++}.yaml`);
    writeFileSync(valuesFile, dump(values, { noRefs: true, lineWidth: -1 }));
    let out: string;
    try {
      out = execFileSync(
        helm,
        ['template', release.name, chartFor(templates), '-n', release.namespace, '-f', valuesFile],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? (e as Error).message);
      return { cause: 'refused', reason: `helm: ${stderr.trim().split('\n')[0]}` };
    }
    const docs: Doc[] = [];
    const sources = new Map<Doc, string>();
    for (const chunk of out.split(/^---\s*$/m)) {
      const source = /^# Source: [^/]+\/templates\/(.+)$/m.exec(chunk)?.[1];
      if (source === undefined) continue;
      for (const doc of loadAll(chunk, undefined, { schema: CORE_SCHEMA }))
        if (typeof doc === 'object' && doc !== null) {
          docs.push(doc as Doc);
          sources.set(doc as Doc, basename(source));
        }
    }
    // Helm sorts a release's documents by kind; helm-unittest keeps each template's order. The runner's table
    // (templates.ts) restores it, and is itself checked here: every document must land in the template it came from.
    const rendered = documentsByTemplate(
      docs,
      { release: release.name, namespace: release.namespace, models: modelsOf(values) },
      templates,
    );
    for (const [template, list] of rendered)
      for (const doc of list)
        if (sources.get(doc) !== template)
          throw new RunnerLimitation(
            `the template table puts ${String(doc.kind)} ${show(valuesAt(doc, 'metadata.name')[0])} in ${template}; production-stack renders it in ${sources.get(doc)}`,
          );
    const missing = docs.filter(
      (d) => templates.includes(sources.get(d)!) && !rendered.get(sources.get(d)!)?.includes(d),
    );
    if (missing[0])
      throw new RunnerLimitation(
        `the template table misses ${String(missing[0].kind)} ${show(valuesAt(missing[0], 'metadata.name')[0])} of ${sources.get(missing[0])}`,
      );
    return rendered;
  };
  return { renderer, cleanup: () => rmSync(work, { recursive: true, force: true }) };
}
