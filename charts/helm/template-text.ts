/**
 * Manifest text → Helm template text. The constructs are synthesised with sentinel release and namespace
 * strings; here they become `{{ .Release.Name }}` / `{{ .Release.Namespace }}`, after every literal `{{` coming
 * from values (a Jinja chat template, an arg) has been escaped so Helm renders it verbatim.
 */
import { RELEASE_SENTINEL } from '../../schema/facts/release-template.js';

/** Stands for the release name in synthesised manifests (owned by schema/facts/release-template.ts). */
export { RELEASE_SENTINEL };
/**
 * Stands for the namespace in synthesised manifests: a DNS label, as the constructs require of a namespace
 * (constructs/invariants.ts). Template file names leave it out (`templateFileName` in chart.ts).
 */
export const NAMESPACE_SENTINEL = 'pdstack-namespace-sentinel';

const SENTINELS: ReadonlyArray<readonly [string, string]> = [
  [RELEASE_SENTINEL, '.Release.Name'],
  [NAMESPACE_SENTINEL, '.Release.Namespace'],
];

/** Text Helm renders as `{{`. */
const ESCAPED_OPEN = '{{ "{{" }}';

/** Escapes every `{{` so that Helm's template engine outputs the text unchanged. */
export function escapeTemplate(text: string): string {
  return text.replaceAll('{{', ESCAPED_OPEN);
}

/** Whether a string could not have come through `templatize` unchanged (it holds a sentinel). */
export function holdsSentinel(text: string): boolean {
  return SENTINELS.some(([sentinel]) => text.includes(sentinel));
}

/**
 * YAML text of synthesised manifests → template text. A sentinel that is a whole plain scalar (`instance: <s>`,
 * `- <s>`) becomes a quoted expression, so a release called `123` or `true` still renders a string; inside a
 * longer scalar it becomes a bare expression (release names hold only `[a-z0-9-]`, safe in any quoting).
 */
export function templatizeYaml(yaml: string): string {
  let text = escapeTemplate(yaml);
  for (const [sentinel, expression] of SENTINELS) {
    text = text.replace(new RegExp(`^(\\s*(?:- |[^\\n]*?: ))${sentinel}$`, 'gm'), `$1{{ ${expression} | quote }}`);
    text = text.replaceAll(sentinel, `{{ ${expression} }}`);
  }
  return text;
}

/** Plain text (NOTES.txt) with sentinels → template text. */
export function templatizeText(text: string): string {
  let out = escapeTemplate(text);
  for (const [sentinel, expression] of SENTINELS) out = out.replaceAll(sentinel, `{{ ${expression} }}`);
  return out;
}

/** A Go template string literal holding `text` (JSON string syntax is valid Go string syntax). */
export const goString = (text: string): string => JSON.stringify(text);

/**
 * A Go template expression evaluating to `text`, its sentinels replaced by the release's name and namespace (`$` the
 * template's root): a string literal, or a `printf` when a sentinel occurs.
 */
export function goStringExpression(text: string): string {
  const pattern = new RegExp(SENTINELS.map(([sentinel]) => sentinel).join('|'), 'g');
  const args = [...text.matchAll(pattern)].map((m) => `$${SENTINELS.find(([s]) => s === m[0])![1]}`);
  if (args.length === 0) return goString(text);
  const format = text
    .split(pattern)
    .map((part) => part.replaceAll('%', '%%'))
    .join('%s');
  return `(printf ${goString(format)} ${args.join(' ')})`;
}
