/**
 * helm-unittest's document paths (`spec.template.spec.containers[0].args`, `metadata.labels["app.kubernetes.io/name"]`,
 * `metadata.annotations.["k8s.v1.cni.cncf.io/networks"]`): the subset of its YAML JSONPath dialect that
 * production-stack's suites use, plus wildcards. A path yields every value it reaches (none when a key or index is
 * missing, or a step meets the wrong type), as helm-unittest's `GetValueOfSetPath` does; a path outside the subset is
 * a `PathSyntaxError`, which the runner reports as its own limitation.
 */

export class PathSyntaxError extends Error {}

type Step = { readonly key: string } | { readonly index: number } | { readonly wildcard: true };

/** `a.b[0]["c.d"]` → steps; a leading `$` (JSONPath's root) is accepted. */
export function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  let i = path.startsWith('$') ? 1 : 0;
  let first = i === 0;
  const error = (what: string) => new PathSyntaxError(`path \`${path}\`: ${what} at character ${i + 1}`);
  while (i < path.length) {
    if (!first && path[i] === '.') {
      i++;
      if (path[i] === '.') throw error('recursive descent (..) is not supported by this runner');
    }
    first = false;
    if (path[i] === '[') {
      const close = path[i + 1] === '"' || path[i + 1] === "'" ? quotedEnd(path, i + 1) : path.indexOf(']', i);
      if (close < 0 || path[close] !== ']') throw error('unclosed [');
      const inner = path.slice(i + 1, close);
      if (inner === '*') steps.push({ wildcard: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (/^(["']).*\1$/s.test(inner)) steps.push({ key: inner.slice(1, -1) });
      else throw error(`[${inner}] (filters, slices and unions are not supported by this runner)`);
      i = close + 1;
      continue;
    }
    const m = /^[^.[\]]+/.exec(path.slice(i));
    if (!m) throw error('expected a key');
    const key = m[0];
    steps.push(key === '*' ? { wildcard: true } : { key });
    i += key.length;
  }
  if (steps.length === 0 && path !== '$') throw error('empty path');
  return steps;
}

/** The index just past the closing quote of a quoted key starting at `start`; -1 if unterminated. */
function quotedEnd(path: string, start: number): number {
  const quote = path[start];
  const end = path.indexOf(quote!, start + 1);
  return end < 0 ? -1 : end + 1;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every value `path` reaches in `doc`; an empty path is the document itself. */
export function valuesAt(doc: unknown, path: string): unknown[] {
  if (path === '') return [doc];
  let current: unknown[] = [doc];
  for (const step of parsePath(path)) {
    const next: unknown[] = [];
    for (const node of current) {
      if ('wildcard' in step) {
        if (Array.isArray(node)) next.push(...node);
        else if (isObject(node)) next.push(...Object.values(node));
      } else if ('index' in step) {
        if (!Array.isArray(node)) continue;
        const at = step.index < 0 ? node.length + step.index : step.index;
        if (at >= 0 && at < node.length) next.push(node[at]);
      } else if (isObject(node) && Object.hasOwn(node, step.key)) {
        next.push(node[step.key]);
      }
    }
    current = next;
  }
  return current;
}
