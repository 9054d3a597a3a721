/**
 * production-stack passes a route's `hostnames` and `additionalRules` through Helm's `tpl`, so values may name the
 * release there (`"{{ $.Release.Name }}-router-service"`). pdstack compiles values, so it expands the two
 * expressions that can mean something in a compiled chart, the release name and namespace, and refuses any other
 * template text (the checks of meaning say so at its line).
 */

/**
 * The release name a generated Helm chart's manifests are synthesised with (charts/helm/): it stands for
 * `{{ .Release.Name }}` and is replaced by it in the templates, so it is itself a valid release name. Values that
 * hold it are refused by the chart generator.
 */
export const RELEASE_SENTINEL = 'pdstack-release-sentinel';

const RELEASE_EXPRESSION = /\{\{\s*\$?\.Release\.(Name|Namespace)\s*\}\}/g;

export interface ReleaseTemplateContext {
  readonly release: string;
  readonly namespace: string;
}

/** `text` with each `{{ .Release.Name }}` / `{{ $.Release.Name }}` / `{{ .Release.Namespace }}` expanded. */
export function expandReleaseTemplate(text: string, ctx: ReleaseTemplateContext): string {
  return text.replace(RELEASE_EXPRESSION, (_m, field: string) => (field === 'Name' ? ctx.release : ctx.namespace));
}

/** Whether `text` holds template text other than those expressions. */
export const holdsOtherTemplate = (text: string): boolean => text.replace(RELEASE_EXPRESSION, '').includes('{{');

/** Every string in a JSON value, expanded with expandReleaseTemplate (keys are left alone). */
export function expandReleaseTemplates<T>(value: T, ctx: ReleaseTemplateContext): T {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return expandReleaseTemplate(node, ctx);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(value) as T;
}
