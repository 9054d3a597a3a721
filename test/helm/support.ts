/** Running real Helm on generated charts, and comparing manifest streams object for object. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { secretEntries } from '../../schema/secrets.js';
import { pdstack } from '../support/cli.js';
import type { KubeObject } from '../support/kube-validate.js';

export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Helm's own state (cache, config, data) in a scratch directory, and no cluster to talk to. */
const HELM_HOME = mkdtempSync(join(tmpdir(), 'pdstack-helm-home-'));
const HELM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  HELM_CACHE_HOME: join(HELM_HOME, 'cache'),
  HELM_CONFIG_HOME: join(HELM_HOME, 'config'),
  HELM_DATA_HOME: join(HELM_HOME, 'data'),
  KUBECONFIG: join(HELM_HOME, 'no-kubeconfig'),
};

export function helm(binary: string, args: readonly string[]): HelmResult {
  const r = spawnSync(binary, args, { encoding: 'utf8', env: HELM_ENV, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses a multi-document YAML stream into its objects (empty documents dropped). */
export function parseManifests(yaml: string): KubeObject[] {
  return loadAll(yaml).filter((d): d is KubeObject => d !== null && typeof d === 'object');
}

const isHook = (o: KubeObject): boolean =>
  Boolean((o.metadata['annotations'] as Record<string, string> | undefined)?.['helm.sh/hook']);

/** `helm template RELEASE CHART ARGS...` → its objects by `Kind/name`, hooks apart; throws when Helm fails. */
export function helmTemplate(
  binary: string,
  release: string,
  chart: string,
  args: readonly string[] = [],
): { objects: Map<string, KubeObject>; hooks: KubeObject[] } {
  const r = helm(binary, ['template', release, chart, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${release} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  const all = parseManifests(r.stdout);
  return { objects: byKey(all.filter((o) => !isHook(o))), hooks: all.filter(isHook) };
}

const synthOutputs = new Map<string, string>();

/**
 * `pdstack synth -f VALUES --release R --namespace NS -o -` → its objects by `Kind/name` (the CLI runs once per
 * file, release and namespace; both Helm versions compare against the same output).
 */
export function synth(valuesFile: string, release: string, namespace = 'default'): Map<string, KubeObject> {
  const key = JSON.stringify([valuesFile, release, namespace]);
  let out = synthOutputs.get(key);
  if (out === undefined) {
    const r = pdstack(['synth', '-f', valuesFile, '--release', release, '--namespace', namespace, '-o', '-']);
    if (r.status !== 0) throw new Error(`pdstack synth failed: ${r.stderr}`);
    out = r.stdout;
    synthOutputs.set(key, out);
  }
  return byKey(parseManifests(out));
}

export function byKey(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const map = new Map<string, KubeObject>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.name}`;
    if (map.has(key)) throw new Error(`two objects ${key}`);
    map.set(key, o);
  }
  return new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
}

/** A deep copy, to edit an expected rendering. */
export const clone = <T>(v: T): T => structuredClone(v);

/** Every string anywhere in `value`. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** The first container named `name` of a Deployment. */
export function container(deployment: unknown, name: string): Record<string, any> {
  const containers = (deployment as Record<string, any> | undefined)?.['spec']?.['template']?.['spec']?.[
    'containers'
  ] as Array<Record<string, any>> | undefined;
  const found = containers?.find((c) => c['name'] === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

/**
 * Writes to `out` a values file with only the secrets of the values file `from` (what is given at install time,
 * as no generated chart holds them): `modelSpec` as override entries (`{}` for a model without secrets). Returns `out`.
 */
export function installSecretsFile(from: string, out: string): string {
  const values = load(readFileSync(from, 'utf8'));
  const secrets: Record<string, any> = {};
  const models = (values as { servingEngineSpec?: { modelSpec?: unknown[] } }).servingEngineSpec?.modelSpec ?? [];
  if (models.length > 0) secrets['servingEngineSpec'] = { modelSpec: models.map(() => ({})) };
  for (const { path, value } of secretEntries(values)) {
    // Helm replaces a list given with -f whole: an adapter's credentials come with the whole loraAdapters list
    if (path[0] === 'loraAdapters') {
      secrets['loraAdapters'] = (values as { loraAdapters: unknown[] }).loraAdapters;
      continue;
    }
    let node = secrets;
    for (const segment of path.slice(0, -1)) node = node[segment] ??= {};
    node[path[path.length - 1]!] = value;
  }
  writeFileSync(out, dump(secrets));
  return out;
}
