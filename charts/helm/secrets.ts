/**
 * Secrets in the generated chart. A literal `hf_token`/`vllmApiKey` (the keys schema/secrets.ts finds) is never
 * written into the chart: it is taken out of the chart's values, and every secret the manifests use becomes an
 * install-time value of the same key — a literal (`-f VALUES`, `--set-file KEY=FILE`), stored in the release
 * Secret as `pdstack synth` stores it, or `{secretName, secretKey}` of an existing Secret, referenced as is.
 *
 * How: the stack is synthesised with each secret replaced by a placeholder literal, so the constructs put every
 * one into the release Secret and reference it from the containers' env. The Secret's `data` then becomes the
 * template `pdstack.secretData`, and each env `secretKeyRef` to one of its keys the template `pdstack.secretKeyRef`
 * of that key, both reading `.Values` at install time (a reference compiled from the values is the fallback).
 */
import * as names from '../../schema/facts/names.js';
import { enginesEnabled } from '../../schema/rendered.js';
import { secretEntries, secretPathPattern } from '../../schema/secrets.js';
import { formatPath, type Path } from '../../schema/source.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { goString, RELEASE_SENTINEL } from './template-text.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests from cdk8s are untyped JSON walked by key
type Json = Record<string, any>;

/** Prefix of the placeholder literals standing for secrets while the stack is synthesised. */
export const SECRET_PLACEHOLDER_PREFIX = 'PDSTACK_KNOB_SECRET_';

/** A secret the manifests use, read at install time. */
interface SecretKnob {
  /** The values path, segments (JSON numbers for list indexes). */
  readonly path: Path;
  /** The values path as users write it, e.g. `servingEngineSpec.modelSpec[0].hf_token`. */
  readonly key: string;
  /** Its key in the release Secret when given as a literal. */
  readonly secretKey: string;
  /** The `{secretName, secretKey}` the values compiled from give, else undefined (a literal, not in the chart). */
  readonly compiled?: unknown;
}

export interface ChartSecrets {
  /** The values the chart holds: the compiled values without any literal secret. */
  readonly values: PdstackValues;
  /** The values to synthesise the templates from: every usable secret replaced by its placeholder. */
  readonly synthValues: PdstackValues;
  /** The values paths the guard leaves to this module: every literal and every secret the manifests use. */
  readonly guardSkips: readonly string[];
  /** Turns the synthesised objects' secrets into template placeholders. Call once, before the members below. */
  bind(objects: Json[], placeholder: (expression: string) => string): void;
  /** The secrets the manifests use, read at install time (`formatPath`). */
  readonly installKeys: readonly string[];
  /** The secrets the manifests use, as a Go string of JSON `{"knobs": [...]}` (`pdstack.secretData`'s argument). */
  knobsJson(): string;
  /** Template text: `pdstack.secretValue`, `pdstack.secretKeyRef`, `pdstack.secretData` (for _pdstack.tpl). */
  helpers(): string;
  /** Whether the release Secret is rendered only when it has data (engines disabled: only the router's secrets). */
  readonly secretIsConditional: boolean;
}

const isUsable = (value: unknown): boolean =>
  typeof value === 'string'
    ? value !== ''
    : value !== null &&
      typeof value === 'object' &&
      Boolean((value as Record<string, unknown>)['secretName']) &&
      Boolean((value as Record<string, unknown>)['secretKey']);

function withAt(values: unknown, path: Path, replace: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replace(values);
  const [head, ...rest] = path;
  if (Array.isArray(values)) return values.map((v, i) => (i === head ? withAt(v, rest, replace) : v));
  const copy = { ...(values as Record<string, unknown>) };
  const next = withAt(copy[head as string], rest, replace);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/** The secrets of `compiled` (validated values, defaults filled in; not modified). */
export function chartSecrets(compiled: Readonly<PdstackValues>): ChartSecrets {
  const entries = secretEntries(compiled);
  const literals = entries.filter((e) => typeof e.value === 'string');
  const literalKeys = literals.map((e) => formatPath(e.path));
  let values: unknown = compiled;
  for (const e of literals) values = withAt(values, e.path, () => undefined);
  const candidates = entries.filter((e) => e.literal && isUsable(e.value));
  let synthValues: unknown = compiled;
  candidates.forEach((e, n) => {
    synthValues = withAt(synthValues, e.path, () => `${SECRET_PLACEHOLDER_PREFIX}${n}_`);
  });
  const knobs: SecretKnob[] = [];

  const bind = (objects: Json[], placeholder: (expression: string) => string): void => {
    const secretName = names.releaseSecretName(RELEASE_SENTINEL);
    const secret = objects.find((o) => o['kind'] === 'Secret' && o['metadata']?.['name'] === secretName);
    const byKey = new Map<string, SecretKnob>();
    for (const [key, data] of Object.entries((secret?.['data'] ?? {}) as Record<string, string>)) {
      const n = new RegExp(`^${SECRET_PLACEHOLDER_PREFIX}(\\d+)_$`).exec(Buffer.from(data, 'base64').toString())?.[1];
      const entry = n === undefined ? undefined : candidates[Number(n)];
      if (!entry) throw new Error(`internal: the release Secret holds ${key}, which no secret of the values gives`);
      const knob: SecretKnob = {
        path: entry.path,
        key: formatPath(entry.path),
        secretKey: key,
        compiled: typeof entry.value === 'string' ? undefined : entry.value,
      };
      knobs.push(knob);
      byKey.set(key, knob);
    }
    knobs.sort(
      (a, b) => candidates.findIndex((e) => e.path === a.path) - candidates.findIndex((e) => e.path === b.path),
    );
    if (secret)
      secret['data'] = placeholder(`{{ include "pdstack.secretData" (list $ (${knobsJson(knobs)} | fromJson)) }}`);
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node !== null && typeof node === 'object') {
        const o = node as Json;
        const knobOf = (name: unknown, key: unknown) => (name === secretName ? byKey.get(String(key)) : undefined);
        const refOf = (knob: SecretKnob) =>
          `include "pdstack.secretKeyRef" (list $ (${goString(JSON.stringify(knob))} | fromJson))`;
        // a container's env secretKeyRef, a LoraAdapter's credentialsSecretRef: {name, key}
        for (const field of ['secretKeyRef', 'credentialsSecretRef']) {
          const ref = o[field] as Json | undefined;
          const knob = ref && knobOf(ref['name'], ref['key']);
          if (knob) o[field] = placeholder(`{{ ${refOf(knob)} }}`);
        }
        // a LoraAdapter's vllmApiKey: {secretName, secretKey}
        const apiKey = o['vllmApiKey'] as Json | undefined;
        const apiKnob = apiKey && typeof apiKey === 'object' && knobOf(apiKey['secretName'], apiKey['secretKey']);
        if (apiKnob)
          o['vllmApiKey'] = placeholder(
            `{{ with ${refOf(apiKnob)} | fromJson }}{{ dict "secretName" .name "secretKey" .key | toJson }}{{ end }}`,
          );
        Object.values(o).forEach(visit);
      }
    };
    visit(objects);
    if (JSON.stringify(objects).includes(SECRET_PLACEHOLDER_PREFIX))
      throw new Error('internal: a secret reached the manifests outside the release Secret');
  };

  return {
    values: values as PdstackValues,
    synthValues: synthValues as PdstackValues,
    get guardSkips() {
      return [...new Set([...literalKeys, ...knobs.map((k) => k.key)])];
    },
    get installKeys() {
      return knobs.map((k) => k.key);
    },
    knobsJson: () => knobsJson(knobs),
    bind,
    helpers: () => secretHelpers(),
    secretIsConditional: !enginesEnabled(compiled),
  };
}

const knobsJson = (knobs: readonly SecretKnob[]): string => goString(JSON.stringify({ knobs }));

/** How to give a secret at install time, for key `key` (the chart's warning, README and failure message). */
export function howToGive(key: string): string {
  return `-f the values file, --set-file ${key}=FILE, or an existing Secret: --set ${key}.secretName=NAME,${key}.secretKey=KEY`;
}

/** The literal secrets of `values`, by path (`formatPath`). */
const literalSecrets = (values: unknown): string[] =>
  secretEntries(values)
    .filter((e) => typeof e.value === 'string')
    .map((e) => formatPath(e.path));

/** The one warning line of `pdstack chart` when the values hold literal secrets (names the keys, never a value). */
export function literalSecretsWarning(values: Readonly<PdstackValues>): string | undefined {
  const literals = literalSecrets(values);
  if (literals.length === 0) return undefined;
  const keys = literals.join(', ');
  return `pdstack: warning: ${keys}: secrets are not written into the chart; give ${literals.length === 1 ? 'it' : 'each'} at install time with ${howToGive(literals.length === 1 ? literals[0]! : 'KEY')}`;
}

function secretHelpers(): string {
  const secretName = goString(names.releaseSecretName('%s'));
  return `{{- /* (list $ KNOB) → {"v": value}: the secret KNOB.path of .Values (maps and lists walked), else the reference
compiled into the chart (KNOB.compiled; a given map is merged over it, as Helm merges maps). */ -}}
{{- define "pdstack.secretValue" -}}
{{- $k := index . 1 -}}
{{- $v := (index . 0).Values -}}{{- $found := true -}}
{{- range $segment := $k.path -}}
{{- if not $found -}}
{{- else if and (kindIs "map" $v) (kindIs "string" $segment) (hasKey $v (toString $segment)) -}}{{- $v = index $v $segment -}}
{{- else if and (kindIs "slice" $v) (kindIs "float64" $segment) (lt (int $segment) (len $v)) -}}{{- $v = index $v (int $segment) -}}
{{- else -}}{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if or (not $found) (kindIs "invalid" $v) -}}{{- $v = $k.compiled -}}
{{- else if and (kindIs "map" $v) (kindIs "map" $k.compiled) -}}{{- $v = mergeOverwrite (deepCopy $k.compiled) $v -}}
{{- end -}}
{{- dict "v" $v | toJson -}}
{{- end -}}

{{- /* (list $ KNOB) → the secretKeyRef of a secret as JSON: a literal is in the release Secret under KNOB.secretKey,
a {secretName, secretKey} map is referenced as is; anything else fails, naming the key (never a value). */ -}}
{{- define "pdstack.secretKeyRef" -}}
{{- $root := index . 0 -}}{{- $k := index . 1 -}}
{{- $v := (include "pdstack.secretValue" . | fromJson).v -}}
{{- if and (kindIs "string" $v) (ne $v "") -}}
{{- dict "name" (printf ${secretName} $root.Release.Name) "key" $k.secretKey | toJson -}}
{{- else if and (kindIs "map" $v) $v.secretName $v.secretKey -}}
{{- dict "name" $v.secretName "key" $v.secretKey | toJson -}}
{{- else -}}
{{- fail (printf ${goString(`%[1]s is a secret, which pdstack never writes into a chart: give it at install time with ${howToGive('%[1]s')}`)} $k.key) -}}
{{- end -}}
{{- end -}}

{{- /* (list $ {"knobs": [KNOB...]}) → the release Secret's data as JSON: each secret given as a literal, base64
(one trailing newline, as --set-file leaves it, dropped). */ -}}
{{- define "pdstack.secretData" -}}
{{- $root := index . 0 -}}{{- $data := dict -}}
{{- range $k := (index . 1).knobs -}}
{{- $v := (include "pdstack.secretValue" (list $root $k) | fromJson).v -}}
{{- if and (kindIs "string" $v) (ne $v "") -}}{{- $_ := set $data $k.secretKey (trimSuffix "\\n" $v | b64enc) -}}{{- end -}}
{{- end -}}
{{- toJson $data -}}
{{- end -}}

{{- /* PATH → "true" when PATH is a secret or inside one (schema/secrets.ts), so the guard never prints its value. */ -}}
{{- define "pdstack.isSecret" -}}
{{- if regexMatch ${goString(secretPathPattern())} . -}}true{{- end -}}
{{- end -}}
`;
}
