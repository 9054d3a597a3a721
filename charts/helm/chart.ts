/**
 * Values → a Helm chart, generated from the same constructs as `pdstack synth` (`buildApp` in charts/synth.ts).
 *
 * The stack is synthesised once with sentinel release/namespace strings; the manifests are then turned into
 * release-aware templates (template-text.ts), the install-time knobs into expressions over `.Values`
 * (helpers.ts), and the chart files are written around them: Chart.yaml, values.yaml (the compiled values),
 * values.schema.json (the compiler's schema, schema.ts), NOTES.txt, a `helm test` Pod and README.md (docs.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Yaml } from 'cdk8s';
import { DEFAULT_GPU_RESOURCE, engineResources } from '../../constructs/engine-container.js';
import { otelArgs } from '../../constructs/router.js';
import * as names from '../../schema/facts/names.js';
import { isRayModel } from '../../schema/facts/ray.js';
import { vllmBinary } from '../../constructs/vllm-command.js';
import { renderedModels, routerEnabled } from '../../schema/rendered.js';
import type { ModelSpec, PdstackValues, RouterSpec } from '../../schema/values.generated.js';
import { version as PDSTACK_VERSION } from '../../package.json';
import { buildApp } from '../synth.js';
import { refuseSymlinkInside } from './out-dir.js';
import { notesText, readme, testPod } from './docs.js';
import { helpersTpl, MODEL_KNOBS, ROUTER_KNOBS } from './helpers.js';
import { chartSchema } from './schema.js';
import { chartSecrets, literalSecretsWarning } from './secrets.js';
import {
  escapeTemplate,
  goString,
  goStringExpression,
  holdsSentinel,
  NAMESPACE_SENTINEL,
  RELEASE_SENTINEL,
  templatizeText,
  templatizeYaml,
} from './template-text.js';

export interface ChartOptions {
  /** The release the values were written for: a `nixlPeerHost` naming `<release>-<model>-engine-service` follows the release. */
  readonly release: string;
  /** Chart `version` (SemVer). */
  readonly chartVersion: string;
  /** The pdstack version: the chart's `appVersion`. */
  readonly pdstackVersion: string;
  /** The command that regenerates this chart, written into its files and the guard's message. */
  readonly recompile: string;
  /** The values file the chart is compiled from, as named in the generated files. */
  readonly valuesFile: string;
}

/** The chart's name in Chart.yaml. */
export const CHART_NAME = 'pdstack';
/**
 * The Kubernetes versions the manifests are written for: the cdk8s-plus-28 API, and admissionregistration.k8s.io/v1
 * ValidatingAdmissionPolicy (GA in 1.30) for the router's sleep-label policy (constructs/router-sleep-policy.ts).
 */
export const KUBE_VERSION = '>=1.30.0-0';
/** Chart.yaml annotation marking a generated chart (the generator only overwrites directories that carry it). */
export const GENERATED_ANNOTATION = 'pdstack.dev/generated-by';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests from cdk8s are untyped JSON walked by key
type Json = Record<string, any>;

/** Prefix of the placeholders that stand for install-time knobs until the manifests are YAML. */
const KNOB_PREFIX = 'PDSTACK_KNOB_';

/** The command that regenerates a chart: what the generated files and the guard's message tell users to run. */
export function recompileCommand(options: {
  valuesFile: string;
  outDir: string;
  release: string;
  chartVersion?: string;
}): string {
  const args = ['npx', 'pdstack', 'chart', '-f', options.valuesFile, '-o', options.outDir];
  if (options.release !== names.DEFAULT_RELEASE) args.push('--release', options.release);
  if (options.chartVersion !== undefined) args.push('--chart-version', options.chartVersion);
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * Generates the chart of `values` into `outDir`: what `pdstack chart` and `PDSTACK_CHART_DIR=... cdk8s synth` run.
 * The chart version defaults to the pdstack version, which is always the chart's appVersion. Returns the one
 * warning line to show when the values hold literal secrets (left out of the chart), if they do.
 */
export function compileChart(
  values: Readonly<PdstackValues>,
  options: { valuesFile: string; outDir: string; release: string; chartVersion?: string },
): string | undefined {
  const recompile = recompileCommand(options);
  const { valuesFile, release } = options;
  writeChart(
    options.outDir,
    generateChart(values, {
      release,
      chartVersion: options.chartVersion ?? PDSTACK_VERSION,
      pdstackVersion: PDSTACK_VERSION,
      recompile,
      valuesFile,
    }),
  );
  return literalSecretsWarning(values);
}

/** Chart files by path relative to the chart directory. */
export type ChartFiles = Map<string, string>;

/**
 * The chart of validated values `compiled` (schema defaults filled in; not modified). Throws with one line when
 * the values cannot be expressed as a chart.
 */
export function generateChart(compiled: Readonly<PdstackValues>, options: ChartOptions): ChartFiles {
  const text = JSON.stringify(compiled);
  if (holdsSentinel(text) || text.includes(KNOB_PREFIX)) {
    throw new Error(
      `the values contain ${RELEASE_SENTINEL}, ${NAMESPACE_SENTINEL} or ${KNOB_PREFIX}, which the chart generator reserves`,
    );
  }
  const secrets = chartSecrets(compiled);
  const objects = buildApp(releaseIndependent(secrets.synthValues, options.release), {
    release: RELEASE_SENTINEL,
    namespace: NAMESPACE_SENTINEL,
  }).chart.toJson() as Json[];

  const generated =
    `Generated by pdstack ${options.pdstackVersion} from ${options.valuesFile}: do not edit. Regenerate with: ${options.recompile}`.replaceAll(
      '\n',
      ' ',
    );
  const header = `# ${generated}\n`;
  const templateHeader = escapeTemplate(header);
  const files: ChartFiles = new Map();
  const knobs = new Knobs();
  // a KubeRay model's keys are compiled in (helpers.ts: knobPaths)
  for (const { spec, index } of renderedModels(compiled).filter((m) => !isRayModel(m.spec))) {
    const deployment = find(objects, 'Deployment', names.engineDeploymentName(RELEASE_SENTINEL, spec.name));
    knobs.engine(deployment, spec, index);
  }
  const router = routerEnabled(compiled)
    ? find(objects, 'Deployment', names.routerDeploymentName(RELEASE_SENTINEL))
    : undefined;
  if (router) knobs.router(router, compiled.routerSpec ?? {});
  secrets.bind(objects, (expression) => knobs.placeholder(expression));
  // the router's VLLM_API_KEY entry, its Secret reference bound as above (when set, the router's /v1/models needs the
  // key: the test pod gets the same entry)
  const routerApiKey = ((router?.['spec']['template']['spec']['containers'][0]['env'] ?? []) as Json[]).find(
    (e) => e['name'] === 'VLLM_API_KEY',
  );

  for (const object of objects) {
    // A CRD goes into crds/, as production-stack's chart ships its LoraAdapter CRD: Helm installs it before the
    // templates (so the chart's custom resources can be created) and never templates or deletes it.
    if (object['kind'] === 'CustomResourceDefinition') {
      files.set(`crds/${String(object['metadata']['name'])}.yaml`, header + Yaml.stringify(object));
      continue;
    }
    const file = templateFileName(object, files);
    let template = knobs.prologue(object) + knobs.expand(templatizeYaml(Yaml.stringify(object)));
    // Without engines, the release Secret exists only for the router's secrets given as literals.
    if (object['kind'] === 'Secret' && secrets.secretIsConditional)
      template = `{{- if ne (include "pdstack.secretData" (list $ (${secrets.knobsJson()} | fromJson))) "{}" }}\n${template}{{- end }}\n`;
    files.set(file, templateHeader + template);
  }
  const pod = testPod(compiled, RELEASE_SENTINEL, NAMESPACE_SENTINEL, routerApiKey);
  if (pod)
    files.set('templates/tests/router-test.yaml', templateHeader + knobs.expand(templatizeYaml(Yaml.stringify(pod))));
  files.set('templates/guard.yaml', `${templateHeader}{{- include "pdstack.guard" . -}}\n`);
  files.set('templates/_pdstack.tpl', helpersTpl({ compiled: secrets.values, recompile: options.recompile, secrets }));
  const notesHeader = `{{- /* ${generated.replaceAll('*/', '* /')} */ -}}\n`;
  files.set(
    'templates/NOTES.txt',
    notesHeader + templatizeText(notesText(compiled, RELEASE_SENTINEL, NAMESPACE_SENTINEL, options.pdstackVersion)),
  );
  files.set(
    'Chart.yaml',
    header +
      Yaml.stringify({
        apiVersion: 'v2',
        name: CHART_NAME,
        description: `vLLM disaggregated prefill (P/D) stack compiled by pdstack from ${options.valuesFile}`,
        type: 'application',
        version: options.chartVersion,
        appVersion: options.pdstackVersion,
        kubeVersion: KUBE_VERSION,
        annotations: {
          [GENERATED_ANNOTATION]: `pdstack ${options.pdstackVersion}`,
          'pdstack.dev/regenerate': options.recompile,
        },
      }),
  );
  files.set(
    'values.yaml',
    `${header}# The compiled values, defaults filled in, secrets left out. Install-time knobs and secrets: see README.md.\n${Yaml.stringify(secrets.values)}`,
  );
  files.set('values.schema.json', `${JSON.stringify(chartSchema(generated), null, 2)}\n`);
  files.set(
    'README.md',
    readme(compiled, {
      release: options.release,
      chartName: CHART_NAME,
      recompile: options.recompile,
      version: options.pdstackVersion,
      secrets: secrets.installKeys,
    }),
  );
  return files;
}

/**
 * Writes the chart into `dir`, replacing a chart generated there before (its `templates/` included, so no stale
 * template survives). Refuses a non-empty directory that is not a generated chart, and any symbolic link below
 * `dir` (writing through it would overwrite the link's target).
 */
export function writeChart(dir: string, files: ChartFiles): void {
  refuseSymlinkInside(dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    const chartYaml = join(dir, 'Chart.yaml');
    if (!existsSync(chartYaml) || !readFileSync(chartYaml, 'utf8').includes(GENERATED_ANNOTATION)) {
      throw new Error(
        `${dir} is not empty and holds no chart generated by pdstack; choose an empty or new -o directory`,
      );
    }
    rmSync(join(dir, 'templates'), { recursive: true, force: true });
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** The values with every reference to an engine Service of `release` turned into one of the sentinel release. */
function releaseIndependent(values: PdstackValues, release: string): PdstackValues {
  const services = (values.servingEngineSpec?.modelSpec ?? []).map(
    (m) => [names.engineServiceName(release, m.name), names.engineServiceName(RELEASE_SENTINEL, m.name)] as const,
  );
  const rewrite = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return services.reduce(
        (s, [from, to]) => s.replace(new RegExp(`(?<![A-Za-z0-9.-])${escapeRegExp(from)}(?![A-Za-z0-9-])`, 'g'), to),
        node,
      );
    }
    if (Array.isArray(node)) return node.map(rewrite);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]));
    return node;
  };
  return rewrite(values) as PdstackValues;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function find(objects: readonly Json[], kind: string, name: string): Json {
  const found = objects.find((o) => o['kind'] === kind && o['metadata']?.['name'] === name);
  if (!found) throw new Error(`internal: the synthesised stack has no ${kind} ${name}`);
  return found;
}

function templateFileName(object: Json, taken: ChartFiles): string {
  // cluster-scoped objects hold the namespace in their names: the file name leaves it out
  const name = String(object['metadata']['name'])
    .replace(`${RELEASE_SENTINEL}-`, '')
    .replace(`${NAMESPACE_SENTINEL}-`, '');
  const plain = `templates/${name}.yaml`;
  return taken.has(plain) ? `templates/${name}-${String(object['kind']).toLowerCase()}.yaml` : plain;
}

/**
 * The install-time knobs: fields of the synthesised objects replaced by placeholder scalars, expanded into
 * template expressions once the object is YAML, plus the variable each object's template starts with.
 */
class Knobs {
  private readonly expressions = new Map<string, string>();
  private readonly prologues = new Map<Json, string>();

  public engine(deployment: Json, spec: Readonly<ModelSpec>, index: number): void {
    const compiled = goString(JSON.stringify(pick(spec, MODEL_KNOBS)));
    this.prologues.set(
      deployment,
      `{{- $knobs := include "pdstack.modelKnobs" (list $ ${index} (${compiled} | fromJson)) | fromJson }}\n`,
    );
    const podSpec = deployment['spec']['template']['spec'];
    const vllm = (podSpec['containers'] as Json[]).find((c) => c['name'] === 'vllm');
    if (!vllm) throw new Error(`internal: engine ${spec.name} has no vllm container`);
    // no replicas when KEDA owns them (keda.enabled)
    if (deployment['spec']['replicas'] !== undefined)
      deployment['spec']['replicas'] = this.placeholder('{{ $knobs.replicaCount | int }}');
    vllm['image'] = this.placeholder('{{ include "pdstack.image" $knobs | quote }}');
    const command = vllm['command'] as string[];
    if (command[0] !== vllmBinary(spec.repository))
      throw new Error(`internal: engine ${spec.name}'s command does not start with its vLLM binary`);
    command[0] = this.placeholder('{{ include "pdstack.vllmBinary" $knobs | quote }}');
    const base = engineResources({ ...spec, resources: undefined, requestGPU: undefined });
    const baseJson = JSON.stringify(base, (_k, v: unknown) => (isQuantity(v) ? v.value : v));
    const gpu = spec.requestGPUType ?? DEFAULT_GPU_RESOURCE;
    vllm['resources'] = this.placeholder(
      `{{ include "pdstack.engineResources" (dict "knobs" $knobs "base" (${goString(baseJson)} | fromJson) "gpu" ${goString(gpu)}) }}`,
    );
  }

  public router(deployment: Json, spec: Readonly<RouterSpec>): void {
    const compiled = goString(JSON.stringify(pick(spec, ROUTER_KNOBS)));
    this.prologues.set(
      deployment,
      `{{- $knobs := include "pdstack.routerKnobs" (list $ (${compiled} | fromJson)) | fromJson }}\n`,
    );
    const container = (deployment['spec']['template']['spec']['containers'] as Json[])[0]!;
    // With routerSpec.autoscaling the HPA owns the replicas: the Deployment has none to set.
    if ('replicas' in deployment['spec'])
      deployment['spec']['replicas'] = this.placeholder('{{ $knobs.replicaCount | int }}');
    container['image'] = this.placeholder('{{ include "pdstack.image" $knobs | quote }}');
    container['resources'] = this.placeholder('{{ include "pdstack.resources" $knobs.resources }}');
    // the args end with the --otel-* flags of routerSpec.otel: the template appends them from the knob instead
    const args = container['args'] as string[];
    const otel = otelArgs(spec.otel);
    const base = args.slice(0, args.length - otel.length);
    if (JSON.stringify(args.slice(base.length)) !== JSON.stringify(otel))
      throw new Error("internal: the router's args do not end with its --otel-* flags");
    container['args'] = this.placeholder(
      `{{ include "pdstack.routerArgs" (dict "base" (list ${base.map(goStringExpression).join(' ')}) "otel" $knobs.otel) }}`,
    );
  }

  public prologue(object: Json): string {
    return this.prologues.get(object) ?? '';
  }

  /** Replaces the placeholders in template text by their expressions. */
  public expand(text: string): string {
    let out = text;
    for (const [token, expression] of this.expressions) {
      out = out.replaceAll(token, expression);
    }
    return out;
  }

  public placeholder(expression: string): string {
    const token = `${KNOB_PREFIX}${this.expressions.size}_`;
    this.expressions.set(token, expression);
    return token;
  }
}

/** The `keys` of `o` that it has. */
const pick = (o: object, keys: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));

const isQuantity = (v: unknown): v is { value: string | number } =>
  v !== null && typeof v === 'object' && 'value' in v && Object.keys(v).length === 1;
