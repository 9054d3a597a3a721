/**
 * `extraObjects`: Kubernetes objects rendered as given, after their Helm template actions are evaluated, as
 * production-stack's `extra-objects.yaml` does (`tpl` over each item: a string as YAML text, a mapping as the
 * object). pdstack evaluates them when it compiles, for the release and namespace it compiles for, so a generated
 * chart follows the release it is installed as (the sentinel release becomes `{{ .Release.Name }}` again).
 *
 * The actions evaluated: `{{ .Release.Name }}`, `{{ .Release.Namespace }}` and `{{ .Values.<key>.<key>... }}` (a
 * scalar of the compiled values, never a secret), each optionally `| quote`, and string literals (`{{ "{{" }}`, Helm's
 * way to write braces). Any other action is reported at its
 * line by the checks of meaning (`extraObjectProblems`), rather than rendered wrong.
 */
import { loadAll } from 'js-yaml';
import { isSecretPath } from './secrets.js';
import type { Path, PathSegment } from './source.js';
import type { PdstackValues } from './values.generated.js';

/** What the actions read. */
export interface ExtraObjectsContext {
  readonly release: string;
  readonly namespace: string;
  readonly values: Readonly<PdstackValues>;
}

/** A Kubernetes object of `extraObjects`, as rendered. */
export type ExtraObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string };
};

/** A problem of an item, at the path of the value that has it. */
export interface ExtraObjectProblem {
  readonly path: Path;
  readonly message: string;
}

const ACTION = /\{\{-?(.*?)-?\}\}/gs;
const SUPPORTED =
  /^\s*(\.Release\.Name|\.Release\.Namespace|\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+))\s*(\|\s*quote\s*)?$/;
const STRING_LITERAL = /^\s*("(?:[^"\\]|\\.)*")\s*$/;
const SUPPORTED_ACTIONS =
  '{{ .Release.Name }}, {{ .Release.Namespace }} and {{ .Values.<key>... }} (optionally | quote), and string literals';

class TemplateError extends Error {}

/** `text` with its actions evaluated; throws TemplateError for an action pdstack does not evaluate. */
function evaluate(text: string, ctx: ExtraObjectsContext): string {
  return text.replace(ACTION, (action: string, body: string) => {
    const literal = STRING_LITERAL.exec(body);
    if (literal) return JSON.parse(literal[1]!) as string;
    const m = SUPPORTED.exec(body);
    if (!m) throw new TemplateError(`\`${action}\` is not evaluated by pdstack, which evaluates ${SUPPORTED_ACTIONS}`);
    let value: string;
    if (m[1] === '.Release.Name') value = ctx.release;
    else if (m[1] === '.Release.Namespace') value = ctx.namespace;
    else {
      const keys = m[2]!.slice(1).split('.');
      if (keys.some((_k, i) => isSecretPath(keys.slice(0, i + 1))))
        throw new TemplateError(`\`${action}\` reads a secret, which pdstack never writes into manifests`);
      const found = keys.reduce<unknown>(
        (node, key) =>
          node !== null && typeof node === 'object' && !Array.isArray(node)
            ? (node as Record<string, unknown>)[key]
            : undefined,
        ctx.values,
      );
      if (found === undefined || found === null) throw new TemplateError(`\`${action}\`: ${m[1]} is not set`);
      if (typeof found === 'object')
        throw new TemplateError(`\`${action}\`: ${m[1]} is not a string, number or boolean`);
      value = String(found);
    }
    return m[3] ? JSON.stringify(value) : value;
  });
}

/** A mapping's strings (keys and values) evaluated; problems carry the path of the string at fault. */
function evaluateTree(node: unknown, path: Path, ctx: ExtraObjectsContext, problems: ExtraObjectProblem[]): unknown {
  const one = (text: string, at: Path): string => {
    try {
      return evaluate(text, ctx);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      problems.push({ path: at, message: e.message });
      return text;
    }
  };
  if (typeof node === 'string') return one(node, path);
  if (Array.isArray(node)) return node.map((v, i) => evaluateTree(v, [...path, i], ctx, problems));
  if (node !== null && typeof node === 'object')
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        one(k, [...path, k]),
        evaluateTree(v, [...path, k as PathSegment], ctx, problems),
      ]),
    );
  return node;
}

function objectProblem(o: unknown): string | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'is not a Kubernetes object (a mapping)';
  const { apiVersion, kind, metadata } = o as Record<string, unknown>;
  const name = (metadata as Record<string, unknown> | undefined)?.['name'];
  const missing = [
    typeof apiVersion === 'string' && apiVersion !== '' ? undefined : 'apiVersion',
    typeof kind === 'string' && kind !== '' ? undefined : 'kind',
    typeof name === 'string' && name !== '' ? undefined : 'metadata.name',
  ].filter((k) => k !== undefined);
  return missing.length > 0 ? `is not a Kubernetes object: it has no ${missing.join(', ')}` : undefined;
}

/** The objects of `extraObjects` and the problems that keep them from rendering, item by item. */
export function extraObjects(ctx: ExtraObjectsContext): { objects: ExtraObject[]; problems: ExtraObjectProblem[] } {
  const objects: ExtraObject[] = [];
  const problems: ExtraObjectProblem[] = [];
  (ctx.values.extraObjects ?? []).forEach((item, index) => {
    const path: Path = ['extraObjects', index];
    const before = problems.length;
    let rendered: unknown[];
    if (typeof item === 'string') {
      const text = evaluateTree(item, path, ctx, problems) as string;
      if (problems.length > before) return;
      try {
        rendered = loadAll(text).filter((d) => d !== null && d !== undefined);
      } catch (e) {
        problems.push({ path, message: `is not YAML once evaluated: ${(e as Error).message.split('\n')[0]}` });
        return;
      }
    } else rendered = [evaluateTree(item, path, ctx, problems)];
    if (problems.length > before) return;
    for (const o of rendered) {
      const problem = objectProblem(o);
      if (problem) problems.push({ path, message: problem });
      else objects.push(o as ExtraObject);
    }
  });
  return { objects, problems };
}
