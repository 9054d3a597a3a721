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

/**
 * The most text (as JSON) that YAML aliases may add to a values document. An alias copies its anchor's content
 * each time it is used, so a few KB of nested aliases ("billion laughs") expand to gigabytes in a generated chart;
 * real values files use aliases for shared defaults, far below this.
 */
export const MAX_ALIAS_EXPANSION = 4 * 1024 * 1024;

/** An alias in the source: where its `*` is and the node it stands for. */
interface Alias {
  readonly offset: number;
  readonly target: unknown;
}

/**
 * Parses a values file. Invalid YAML (duplicate keys included), a document with nothing in it, and aliases that
 * expand too far or refer to their own node are one error diagnostic each.
 */
export function parseValuesYaml(text: string, file: string): ParseResult {
  const root: Frame = { line: 0, column: 0, children: [], end: 0, kind: null, result: undefined };
  const stack: Frame[] = [root];
  const starts: number[] = [];
  const aliases: Alias[] = [];
  const listener = (event: 'open' | 'close', state: State): void => {
    if (event === 'open') {
      starts.push(state.position);
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
    const start = starts.pop()!;
    frame.end = state.position;
    frame.kind = state.kind;
    frame.result = state.result as unknown;
    stack[stack.length - 1]!.children.push(frame);
    // A node read without a kind that still has a result is an alias (js-yaml sets `kind` for everything it reads).
    if (state.kind === null && state.result !== null && state.result !== undefined)
      aliases.push({ offset: contentStart(text, start), target: state.result });
  };
  let value: unknown;
  try {
    value = load(text, { filename: file, schema: VALUES_YAML_SCHEMA, listener });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    return { ok: false, diagnostic: yamlDiagnostic(e, text, file) };
  }
  const document = root.children[0];
  if (value === null || value === undefined || !document) {
    return {
      ok: false,
      diagnostic: {
        file,
        ...START,
        severity: 'error',
        path: '(root)',
        message:
          'the values file is empty: nothing to render; give the values of at least one model (servingEngineSpec.modelSpec)',
      },
    };
  }
  const positions = indexPositions(value, document, text);
  const tooFar = checkAliases(aliases, text);
  if (tooFar) {
    const path = nearestPath(positions, tooFar.position);
    return { ok: false, diagnostic: { file, ...tooFar.position, severity: 'error', path, message: tooFar.message } };
  }
  return { ok: true, value, locate: locator(positions) };
}

/** The first character of a node's content at or after `offset` (past spaces, line breaks and comments). */
function contentStart(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
    if (text[i] !== '#') return i;
    while (i < text.length && text[i] !== '\n') i++;
  }
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/**
 * The first alias (in source order) that refers to a node containing it, or at which the text the aliases add
 * exceeds MAX_ALIAS_EXPANSION. Sizes are counted once per node (aliases share the node), so this takes time in
 * the size of the source, not of the expansion.
 */
function checkAliases(aliases: readonly Alias[], text: string): { position: Position; message: string } | undefined {
  const sizes = new Map<object, number>();
  const size = (node: unknown, open: Set<object>): number => {
    if (node === null || typeof node !== 'object') return JSON.stringify(node)?.length ?? 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return Infinity;
    open.add(node);
    let total = 2;
    for (const [key, item] of Array.isArray(node) ? node.entries() : Object.entries(node))
      total += (Array.isArray(node) ? 1 : JSON.stringify(key).length + 2) + size(item, open);
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  const seen = new Set<number>();
  let added = 0;
  for (const alias of [...aliases].sort((a, b) => a.offset - b.offset)) {
    if (seen.has(alias.offset)) continue;
    seen.add(alias.offset);
    // the name and position are found only for the alias reported: finding them for each would cost O(file) per alias
    const name = () => /^\*[^\s,[\]{}]+/.exec(text.slice(alias.offset, alias.offset + 1024))?.[0] ?? 'the alias';
    const position = () => positionOf(text, alias.offset);
    const expansion = size(alias.target, new Set());
    if (expansion === Infinity)
      return {
        position: position(),
        message: `\`${name()}\` refers to a node that contains it, so the values would be infinite; copy the part you need instead`,
      };
    added += expansion;
    if (added > MAX_ALIAS_EXPANSION)
      return {
        position: position(),
        message: `with \`${name()}\` the YAML aliases expand the values by more than ${MAX_ALIAS_EXPANSION / 1024 / 1024} MiB (each use of an alias copies its anchor); use fewer or smaller aliases`,
      };
  }
  return undefined;
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

/** Positions of the key paths present in the source (`formatPath` form). */
function indexPositions(value: unknown, document: Frame, text: string): Map<string, Position> {
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
  return positions;
}

function locator(positions: ReadonlyMap<string, Position>): Locate {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const found = positions.get(formatPath(path.slice(0, n)));
      if (found) return found;
    }
    return START;
  };
}

/** The key path that starts last at or before `position`: where a diagnostic about a node without a key sits. */
function nearestPath(positions: ReadonlyMap<string, Position>, position: Position): string {
  let best = '(root)';
  let bestAt = START;
  for (const [path, at] of positions) {
    const before = at.line < position.line || (at.line === position.line && at.column <= position.column);
    const later = at.line > bestAt.line || (at.line === bestAt.line && at.column >= bestAt.column);
    if (before && later) {
      best = path;
      bestAt = at;
    }
  }
  return best;
}
