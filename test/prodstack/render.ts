/**
 * A helm-unittest test's values and release → pdstack's objects, through pdstack's library API (the compiler of
 * `pdstack synth`: loadValuesText, then buildApp).
 *
 * Values: the test's `set:` applied, as helm-unittest applies it, onto an EMPTY values document, not onto
 * production-stack's helm/values.yaml: pdstack's own defaults (its schema's `default`s) stand for production-stack's,
 * and where they differ that is a difference the suites should show. Release: the test's `release.name` and
 * `release.namespace`, else helm-unittest's defaults `RELEASE-NAME` and `NAMESPACE`, which no Helm release can have
 * (lower-case DNS names only; `helm install` refuses them, as pdstack does), so they are rendered as `release-name`
 * and `namespace`, and the same text in an assertion's expected value is read the same way (see `releaseAlias`).
 */
import { dump } from 'js-yaml';
import { buildApp } from '../../charts/synth.js';
import { formatDiagnostic, loadValuesText } from '../../schema/index.js';
import { RunnerLimitation, type Doc } from './assertions.js';
import { documentsByTemplate, type ModelEntry } from './templates.js';

/** helm-unittest's release when a test names none (TestJob.releaseV3Option). */
export const HELM_UNITTEST_RELEASE = { name: 'RELEASE-NAME', namespace: 'NAMESPACE' } as const;

export interface Release {
  readonly name: string;
  readonly namespace: string;
}

/** The release a test is rendered for: helm-unittest's upper-case defaults in lower case. */
export function renderedRelease(release: Partial<Release> | undefined): Release {
  const name = release?.name ?? HELM_UNITTEST_RELEASE.name;
  const namespace = release?.namespace ?? HELM_UNITTEST_RELEASE.namespace;
  return {
    name: name === HELM_UNITTEST_RELEASE.name ? name.toLowerCase() : name,
    namespace: namespace === HELM_UNITTEST_RELEASE.namespace ? namespace.toLowerCase() : namespace,
  };
}

/**
 * An assertion's expected value with helm-unittest's default release names in it (`RELEASE-NAME-test-model-...`)
 * read as the names pdstack rendered for them; unchanged when the test named its release.
 */
export function releaseAlias(value: unknown, release: Partial<Release> | undefined): unknown {
  const rename: [string, string][] = [];
  if (release?.name === undefined) rename.push([HELM_UNITTEST_RELEASE.name, HELM_UNITTEST_RELEASE.name.toLowerCase()]);
  if (release?.namespace === undefined)
    rename.push([HELM_UNITTEST_RELEASE.namespace, HELM_UNITTEST_RELEASE.namespace.toLowerCase()]);
  if (rename.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rename.reduce((s, [from, to]) => s.split(from).join(to), v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

type Key = string | number;

/** A `--set` style path (`a.b[0].c`) → its steps; helm-unittest's escaped keys (`a.[b.c]`) are not supported. */
function setPathSteps(path: string): Key[] {
  const steps: Key[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new RunnerLimitation(`set path \`${path}\` is not supported by this runner`);
    steps.push(m[1]!, ...[...m[2]!.matchAll(/\[(\d+)\]/g)].map((i) => Number(i[1])));
  }
  return steps;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's merge of user values: maps merge key by key, anything else replaces. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMap(b) && isMap(v) ? merge(b, v) : v;
  }
  return out;
}

/** The values document of a test: each `set` entry built at its path (helm-unittest's BuildValueOfSetPath), merged. */
export function valuesFromSet(set: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let values: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(set)) {
    const steps = setPathSteps(path);
    let built: unknown = value;
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      if (typeof step === 'number') {
        const list: unknown[] = new Array(step + 1).fill(null);
        list[step] = built;
        built = list;
      } else built = { [step]: built };
    }
    values = merge(values, built as Record<string, unknown>);
  }
  return values;
}

export type Render =
  | { readonly ok: true; readonly objects: Doc[]; readonly models: ModelEntry[]; readonly valuesYaml: string }
  | {
      readonly ok: false;
      /** `refused`: pdstack's compiler rejects the values; `error`: it threw (a pdstack bug). */
      readonly cause: 'refused' | 'error';
      readonly reason: string;
      readonly valuesYaml: string;
    };

/** The file name pdstack's diagnostics give the generated values (lines are those of `valuesYaml`). */
export const VALUES_FILE = 'values.yaml';

/** Compiles a test's values for its release; a refusal is pdstack's first error line. */
export function render(values: Record<string, unknown>, release: Release): Render {
  const valuesYaml = dump(values, { noRefs: true, lineWidth: -1 });
  const loaded = loadValuesText(valuesYaml, VALUES_FILE, { release: release.name, namespace: release.namespace });
  const firstError = loaded.diagnostics.find((d) => d.severity === 'error');
  if (firstError) return { ok: false, cause: 'refused', reason: formatDiagnostic(firstError), valuesYaml };
  let objects: Doc[];
  try {
    const { chart } = buildApp(loaded.values, { release: release.name, namespace: release.namespace });
    objects = chart.toJson() as Doc[];
  } catch (e) {
    return {
      ok: false,
      cause: 'error',
      reason: `pdstack failed: ${String((e as Error).message).split('\n')[0]}`,
      valuesYaml,
    };
  }
  const models = (loaded.values.servingEngineSpec?.modelSpec ?? []).map((m) => {
    const raySpec: unknown = (m as unknown as Record<string, unknown>).raySpec;
    return { name: m.name, ray: isMap(raySpec) && raySpec.enabled === true };
  });
  return { ok: true, objects, models, valuesYaml };
}

/** A test's documents per suite template, or why there are none (the values are refused, or the renderer failed). */
export type Rendered = Map<string, Doc[]> | { readonly cause: 'refused' | 'error'; readonly reason: string };

/** Renders a test's values for its release into the documents of each of the suite's templates. */
export type Renderer = (values: Record<string, unknown>, release: Release, templates: readonly string[]) => Rendered;

/** pdstack's render, its objects grouped by the production-stack template that renders them (templates.ts). */
export const pdstackRenderer: Renderer = (values, release, templates) => {
  const result = render(values, release);
  if (!result.ok) return { cause: result.cause, reason: result.reason };
  return documentsByTemplate(
    result.objects,
    { release: release.name, namespace: release.namespace, models: result.models },
    templates,
  );
};
