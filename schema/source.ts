/**
 * Values YAML → plain data, remembering where every key and list item sits in the source so that each
 * diagnostic can point at the offending key.
 *
 * js-yaml has no syntax tree, but its `listener` option reports the `open`/`close` of every node it composes,
 * with the parser state (`line`, `lineStart`, `position`, and on close `kind` and `result`). The events nest like
 * the document, so a stack rebuilds the node tree: a mapping node's children are its keys and values in source
 * order (a key is a child followed by `:`), a sequence node's children are its items. Positions are then hung on
 * key paths by walking the parsed value alongside that tree (collections are matched by object identity).
 */
import * as jsYaml from 'js-yaml';
import { CORE_SCHEMA, load, YAMLException, type State } from 'js-yaml';
import type { Diagnostic } from './diagnostics.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Where a key path is in the source: the path itself when present there, else its nearest present ancestor. */
export type Locate = (path: Path) => Position;

export const START: Position = { line: 1, column: 1 };

/** `prefix` extended by one segment: `a.b` + `c` → `a.b.c`, `a` + 0 → `a[0]`. */
const extend = (prefix: string, segment: PathSegment): string =>
  typeof segment === 'number' ? `${prefix}[${segment}]` : prefix === '' ? segment : `${prefix}.${segment}`;

/** `servingEngineSpec.modelSpec[0].name`; `(root)` for the document itself. */
export function formatPath(path: Path): string {
  return path.reduce<string>(extend, '') || '(root)';
}

/** YAML 1.2 core types (no timestamps, so a `tag: 2025-05-27` stays a string as Helm keeps it) plus `<<` merges. */
const VALUES_YAML_SCHEMA = CORE_SCHEMA.extend({
  implicit: [(jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge],
});

interface Frame {
  readonly line: number;
  readonly column: number;
  readonly children: Frame[];
  end: number;
  kind: string | null;
  result: unknown;
}

export type ParseResult =
  | { readonly ok: true; readonly value: unknown; readonly locate: Locate }
  | { readonly ok: false; readonly diagnostic: Diagnostic };

/** Parses a values file: an empty document is `{}`; invalid YAML (duplicate keys included) is one error diagnostic. */
export function parseValuesYaml(text: string, file: string): ParseResult {
  const root: Frame = { line: 0, column: 0, children: [], end: 0, kind: null, result: undefined };
  const stack: Frame[] = [root];
  const listener = (event: 'open' | 'close', state: State): void => {
    if (event === 'open') {
      stack.push({
        line: state.line,
        column: state.position - state.lineStart,
        children: [],
        end: 0,
        kind: null,
        result: undefined,
      });
      return;
    }
    const frame = stack.pop()!;
    frame.end = state.position;
    frame.kind = state.kind;
    frame.result = state.result as unknown;
    stack[stack.length - 1]!.children.push(frame);
  };
  let value: unknown;
  try {
    value = load(text, { filename: file, schema: VALUES_YAML_SCHEMA, listener });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    return { ok: false, diagnostic: yamlDiagnostic(e, text, file) };
  }
  const document = root.children[0];
  return { ok: true, value: value ?? {}, locate: document ? indexPositions(value, document, text) : () => START };
}

function yamlDiagnostic(e: YAMLException, text: string, file: string): Diagnostic {
  // js-yaml gives no mark for "expected a single document": point at the separator of the extra document.
  const mark = (e.mark as YAMLException['mark'] | undefined) ?? separatorMark(text);
  const line = mark.line + 1;
  const column = mark.column + 1;
  let message = `invalid YAML: ${e.reason}`;
  if (e.reason.startsWith('expected a single document'))
    message += ': a values file is one YAML document; remove the `---` and merge the documents';
  if (e.reason === 'duplicated mapping key') {
    const key = /^\s*("[^"]*"|'[^']*'|[^:#]+?)\s*:/.exec(text.slice(mark.position))?.[1] ?? '';
    message = `duplicate key \`${key}\`: a key may appear only once in a mapping (the chart would silently keep one); merge the two entries`;
  }
  return { file, line, column, severity: 'error', path: '(root)', message };
}

function separatorMark(text: string): { line: number; column: number; position: number } {
  const separators = [...text.matchAll(/^---/gm)];
  const position = separators[separators.length - 1]?.index ?? 0;
  return { line: text.slice(0, position).split('\n').length - 1, column: 0, position };
}

function indexPositions(value: unknown, document: Frame, text: string): Locate {
  const collections = new Map<unknown, Frame>();
  const register = (frame: Frame): void => {
    for (const child of frame.children) register(child);
    if ((frame.kind === 'mapping' || frame.kind === 'sequence') && !collections.has(frame.result))
      collections.set(frame.result, frame);
  };
  register(document);

  const positions = new Map<string, Position>([['(root)', START]]);
  const at = (frame: Frame): Position => ({ line: frame.line + 1, column: frame.column + 1 });
  const isKey = (frame: Frame): boolean => {
    let i = frame.end;
    while (text[i] === ' ' || text[i] === '\t') i++;
    return text[i] === ':';
  };
  const visited = new Set<unknown>();
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object' || visited.has(node)) return;
    visited.add(node);
    const frame = collections.get(node);
    if (Array.isArray(node)) {
      const aligned = frame?.children.length === node.length;
      node.forEach((item, i) => {
        if (aligned) positions.set(extend(path, i), at(frame.children[i]!));
        walk(item, extend(path, i));
      });
      return;
    }
    for (const child of frame?.children ?? []) {
      if (child.result !== null && child.result !== undefined && isKey(child)) {
        const keyPath = extend(path, String(child.result));
        if (!positions.has(keyPath)) positions.set(keyPath, at(child));
      }
    }
    for (const [key, item] of Object.entries(node)) walk(item, extend(path, key));
  };
  walk(value, '');

  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const found = positions.get(formatPath(path.slice(0, n)));
      if (found) return found;
    }
    return START;
  };
}
