/**
 * helm-unittest's assertions, with its semantics (validators of helm-unittest/helm-unittest, pkg/unittest/validators),
 * for the assertion types production-stack's suites use and the antonyms that share their validator:
 * equal/notEqual, exists/notExists/isNull/isNotNull (one validator: in current helm-unittest `isNull` holds when the
 * path reaches nothing), contains/notContains (`count`, `any`), isSubset/isNotSubset, matchRegex/notMatchRegex,
 * hasDocuments (`count`, `filterAware`), containsDocument. Every selected document must pass (containsDocument
 * with `any`: one); with no selected document a positive assertion fails and a negative one passes.
 *
 * Document selection is helm-unittest's too: the assertion's `template`, else every template of the suite; then
 * `documentSelector` (path/value, `matchMany`, `skipEmptyTemplates`) or `documentIndex`, per template.
 */
import { PathSyntaxError, valuesAt } from './path.js';

export type Doc = Record<string, unknown>;

/** An assertion of a suite, as written (`not`, `template`, `documentIndex`, `documentSelector` and one type). */
export interface Assertion {
  readonly type: string;
  readonly params: Record<string, unknown>;
  readonly not: boolean;
  readonly template?: string;
  readonly documentIndex?: number;
  readonly documentSelector?: DocumentSelector;
}

export interface DocumentSelector {
  readonly path: string;
  readonly value?: unknown;
  readonly matchMany: boolean;
  readonly skipEmptyTemplates: boolean;
}

export interface Outcome {
  readonly passed: boolean;
  /** Why it failed (one line); empty when it passed. */
  readonly message: string;
}

/** A limitation of this runner (not a verdict on pdstack's render): reported as such. */
export class RunnerLimitation extends Error {}

interface Context {
  /** Every document the template rendered. */
  readonly docs: readonly Doc[];
  /** The documents the assertion selected (documentIndex/documentSelector), else all. */
  readonly selected: readonly Doc[];
  readonly negative: boolean;
}

type Validator = (params: Record<string, unknown>, ctx: Context) => Outcome;

const pass: Outcome = { passed: true, message: '' };
const fail = (message: string): Outcome => ({ passed: false, message });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's reflect.DeepEqual over decoded YAML (maps, lists, scalars). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Compact JSON for messages, cut at `max` characters. */
export function show(value: unknown, max = 160): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * What differs between two values, in one line: for maps the missing, extra and different keys, for lists the
 * first differing item, else both values.
 */
export function difference(expected: unknown, actual: unknown, at = ''): string {
  if (isObject(expected) && isObject(actual)) {
    const missing = Object.keys(expected).filter((k) => !Object.hasOwn(actual, k));
    const extra = Object.keys(actual).filter((k) => !Object.hasOwn(expected, k));
    const differ = Object.keys(expected).filter((k) => Object.hasOwn(actual, k) && !deepEqual(expected[k], actual[k]));
    const pick = (o: Record<string, unknown>, keys: string[]) => show(Object.fromEntries(keys.map((k) => [k, o[k]])));
    return [
      missing.length > 0 && `${at}missing ${pick(expected, missing)}`,
      extra.length > 0 && `${at}extra ${pick(actual, extra)}`,
      ...differ.map((k) => difference(expected[k], actual[k], `${at}${k}: `)),
    ]
      .filter(Boolean)
      .join('; ');
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const i = expected.findIndex((x, j) => j >= actual.length || !deepEqual(x, actual[j]));
    if (i < 0)
      return `${at}${actual.length - expected.length} extra item(s) from [${expected.length}]: ${show(actual.slice(expected.length))}`;
    if (i >= actual.length) return `${at}missing item(s) from [${i}]: ${show(expected.slice(i))}`;
    return difference(expected[i], actual[i], `${at}[${i}] `);
  }
  if (typeof expected === 'string' && typeof actual === 'string' && Math.max(expected.length, actual.length) > 60) {
    let i = 0;
    while (i < expected.length && expected[i] === actual[i]) i++;
    const from = Math.max(0, i - 20);
    const window = (s: string) => `${from > 0 ? '…' : ''}${show(s.slice(from, i + 40))}`;
    return `${at}strings differ at character ${i}: expected ${window(expected)}, got ${window(actual)}`;
  }
  return `${at}expected ${show(expected)}, got ${show(actual)}`;
}

/** helm-unittest's `uniformContent`: spaces before a newline dropped, CRLF → LF, leading newlines trimmed. */
const uniform = (s: string): string => s.replace(/ +\r?\n/g, '\n').replace(/^\n+/, '');

const str = (params: Record<string, unknown>, key: string): string => {
  const v = params[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new RunnerLimitation(`parameter \`${key}\` must be a string`);
  return v;
};

/** Runs `check` on each selected document; all must pass; none selected: positive fails, negative passes. */
function everyDoc(ctx: Context, what: string, check: (doc: Doc, index: number) => Outcome): Outcome {
  if (ctx.selected.length === 0) return ctx.negative ? pass : fail(`${what}: no manifest found`);
  for (const [i, doc] of ctx.selected.entries()) {
    const outcome = check(doc, i);
    if (!outcome.passed) return ctx.selected.length > 1 ? fail(`document ${i}: ${outcome.message}`) : outcome;
  }
  return pass;
}

/** The values at a path of one document; `unknown path` when it reaches none and the assertion is positive. */
function atPath(doc: Doc, path: string, negative: boolean): unknown[] | Outcome {
  const values = valuesAt(doc, path);
  return values.length === 0 && !negative ? fail(`unknown path ${path}`) : values;
}

const equal: Validator = (params, ctx) => {
  const path = str(params, 'path');
  const expected = params.value ?? null;
  return everyDoc(ctx, `equal ${path}`, (doc) => {
    const actuals = atPath(doc, path, ctx.negative);
    if (!Array.isArray(actuals)) return actuals;
    for (const raw of actuals) {
      const actual = typeof raw === 'string' ? uniform(raw) : raw;
      if (deepEqual(expected, actual) === ctx.negative)
        return fail(
          ctx.negative
            ? `${path}: expected NOT to equal ${show(expected)}`
            : `${path}: ${difference(expected, actual)}`,
        );
    }
    return pass;
  });
};

const exists: Validator = (params, ctx) => {
  const path = str(params, 'path');
  return everyDoc(ctx, `${path} expected to ${ctx.negative ? 'NOT ' : ''}exist`, (doc) => {
    const values = valuesAt(doc, path);
    if (values.length > 0 === ctx.negative)
      return fail(
        ctx.negative
          ? `${path}: expected NOT to exist, is ${show(values[0])}`
          : `${path}: expected to exist, is absent`,
      );
    return pass;
  });
};

/** helm-unittest's `validateSubset`: every key of `content` equal in `actual` (one level). */
const subset = (actual: Record<string, unknown>, content: Record<string, unknown>): boolean =>
  Object.keys(content).every((k) => deepEqual(actual[k], content[k]));

const contains: Validator = (params, ctx) => {
  const path = str(params, 'path');
  const content = params.content ?? null;
  const any = params.any === true;
  const count = params.count;
  if (count !== undefined && count !== null && !Number.isInteger(count))
    throw new RunnerLimitation('contains: `count` must be an integer');
  return everyDoc(ctx, `contains ${path}`, (doc) => {
    const actuals = atPath(doc, path, ctx.negative);
    if (!Array.isArray(actuals)) return actuals;
    for (const list of actuals) {
      if (!Array.isArray(list)) return fail(`${path}: expected a list, got ${show(list)}`);
      let found = 0;
      for (const element of list) {
        const bothMaps = any && isObject(element) && isObject(content);
        if (bothMaps && subset(element, content)) found++;
        if (!bothMaps && deepEqual(element, content)) found++;
      }
      const ok = typeof count === 'number' ? found > 0 && found === count : found > 0;
      if (ok === ctx.negative) {
        const expectation = ctx.negative ? 'expected NOT to contain' : 'expected to contain';
        const counted = typeof count === 'number' && found > 0 ? ` ${count} time(s), found ${found}` : '';
        return fail(`${path}: ${expectation} ${show(content)}${counted}; is ${show(list)}`);
      }
    }
    return pass;
  });
};

const isSubset: Validator = (params, ctx) => {
  const path = str(params, 'path');
  const content = params.content;
  return everyDoc(ctx, `isSubset ${path}`, (doc) => {
    const actuals = atPath(doc, path, ctx.negative);
    if (!Array.isArray(actuals)) return actuals;
    for (const actual of actuals) {
      if (!isObject(actual) || !isObject(content)) return fail(`${path}: expected an object, got ${show(actual)}`);
      if (subset(actual, content) === ctx.negative)
        return fail(
          `${path}: expected ${ctx.negative ? 'NOT ' : ''}to contain ${show(content)}; is ${show(actual, 240)}`,
        );
    }
    return pass;
  });
};

/** Go RE2 → JavaScript: a leading `(?flags)` group becomes RegExp flags (JavaScript has no inline flags). */
function goRegExp(pattern: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  if (m?.[1]?.includes('U')) throw new RunnerLimitation('matchRegex: the (?U) flag is not supported by this runner');
  return new RegExp(m ? pattern.slice(m[0].length) : pattern, m ? m[1] : '');
}

const matchRegex: Validator = (params, ctx) => {
  const path = str(params, 'path');
  const pattern = str(params, 'pattern');
  if (pattern === '') return fail("expected field 'pattern' to be filled");
  let re: RegExp;
  try {
    re = goRegExp(pattern);
  } catch (e) {
    if (e instanceof RunnerLimitation) throw e;
    return fail(`pattern ${pattern}: ${(e as Error).message}`);
  }
  return everyDoc(ctx, `matchRegex ${path}`, (doc) => {
    const actuals = atPath(doc, path, ctx.negative);
    if (!Array.isArray(actuals)) return actuals;
    for (const actual of actuals) {
      if (typeof actual !== 'string') return fail(`${path}: expected a string, got ${show(actual)}`);
      if (re.test(actual) === ctx.negative)
        return fail(`${path}: expected ${ctx.negative ? 'NOT ' : ''}to match /${pattern}/; is ${show(actual)}`);
    }
    return pass;
  });
};

const hasDocuments: Validator = (params, ctx) => {
  const count = params.count ?? 0;
  if (!Number.isInteger(count)) throw new RunnerLimitation('hasDocuments: `count` must be an integer');
  const n = params.filterAware === true ? ctx.selected.length : ctx.docs.length;
  if ((n === count) !== ctx.negative) return pass;
  return fail(`expected ${ctx.negative ? 'NOT ' : ''}${String(count)} document(s), got ${n}`);
};

const containsDocument: Validator = (params, ctx) => {
  const kind = str(params, 'kind');
  const apiVersion = str(params, 'apiVersion');
  const name = str(params, 'name');
  const namespace = str(params, 'namespace');
  const any = params.any === true;
  const wanted = [`${apiVersion} ${kind}`, name && `name ${name}`, namespace && `namespace ${namespace}`];
  const matches = (doc: Doc): boolean =>
    (typeof doc.kind !== 'string' || doc.kind === kind) &&
    (typeof doc.apiVersion !== 'string' || doc.apiVersion === apiVersion) &&
    (name === '' || valuesAt(doc, 'metadata.name')[0] === name) &&
    (namespace === '' || valuesAt(doc, 'metadata.namespace')[0] === namespace);
  const describe = (doc: Doc): string =>
    `${String(doc.apiVersion)} ${String(doc.kind)} ${show(valuesAt(doc, 'metadata.name')[0])}`;
  const expectation = `expected ${ctx.negative ? 'NOT ' : ''}to contain document ${wanted.filter(Boolean).join(', ')}`;
  if (ctx.selected.length === 0) return ctx.negative ? pass : fail(`${expectation}; no manifest found`);
  for (const doc of ctx.selected) {
    if (matches(doc) === ctx.negative) {
      if (!any || ctx.negative) return fail(`${expectation}; found ${describe(doc)}`);
    } else if (any !== ctx.negative) return pass;
  }
  return any && !ctx.negative ? fail(`${expectation}; found ${ctx.selected.map(describe).join(', ')}`) : pass;
};

/** Assertion type → validator and whether it is the antonym (helm-unittest's assertTypeMapping, the types used). */
const TYPES: Readonly<Record<string, readonly [Validator, boolean]>> = {
  equal: [equal, false],
  notEqual: [equal, true],
  exists: [exists, false],
  notExists: [exists, true],
  isNotNull: [exists, false],
  isNull: [exists, true],
  contains: [contains, false],
  notContains: [contains, true],
  isSubset: [isSubset, false],
  isNotSubset: [isSubset, true],
  matchRegex: [matchRegex, false],
  notMatchRegex: [matchRegex, true],
  hasDocuments: [hasDocuments, false],
  containsDocument: [containsDocument, false],
};

/** helm-unittest's assertion types this runner does not implement (none of production-stack's suites uses them). */
const NOT_IMPLEMENTED = new Set([
  'matchSnapshot',
  'matchSnapshotRaw',
  'greaterOrEqual',
  'notGreaterOrEqual',
  'lessOrEqual',
  'notLessOrEqual',
  'equalRaw',
  'notEqualRaw',
  'matchRegexRaw',
  'notMatchRegexRaw',
  'isKind',
  'isAPIVersion',
  'isNullOrEmpty',
  'isNotNullOrEmpty',
  'failedTemplate',
  'notFailedTemplate',
  'lengthEqual',
  'notLengthEqual',
  'isEmpty',
  'isNotEmpty',
  'isType',
  'isNotType',
]);

const FRAMING_KEYS = new Set(['template', 'documentIndex', 'documentSelector', 'not']);

/**
 * Reads one assertion as helm-unittest does: its one type among the keys (others are ignored, as helm-unittest
 * ignores them: `- hasDocuments:` with `count` mis-indented is `hasDocuments` with count 0), plus the framing keys.
 */
export function parseAssertion(raw: unknown): Assertion {
  if (!isObject(raw)) throw new RunnerLimitation(`an assertion must be a mapping, got ${show(raw)}`);
  const known = Object.keys(raw).filter((k) => k in TYPES || NOT_IMPLEMENTED.has(k));
  if (known.length > 1) throw new RunnerLimitation(`assertion types ${known.join(' and ')} declared together`);
  const type = known[0];
  if (type === undefined) {
    const unknown = Object.keys(raw).find((k) => !FRAMING_KEYS.has(k));
    throw new RunnerLimitation(unknown ? `assertion type \`${unknown}\` is invalid` : 'no assertion type defined');
  }
  if (NOT_IMPLEMENTED.has(type))
    throw new RunnerLimitation(`assertion type \`${type}\` is not implemented by this runner`);
  const params = raw[type] ?? {};
  if (!isObject(params)) throw new RunnerLimitation(`${type}: parameters must be a mapping`);
  const selector = raw.documentSelector;
  let documentSelector: DocumentSelector | undefined;
  if (isObject(selector)) {
    if (typeof selector.path !== 'string' || selector.path === '')
      throw new RunnerLimitation("empty 'documentSelector.path' not supported");
    documentSelector = {
      path: selector.path,
      value: selector.value ?? undefined,
      matchMany: selector.matchMany === true,
      skipEmptyTemplates: selector.skipEmptyTemplates === true,
    };
  }
  return {
    type,
    params,
    not: raw.not === true,
    template: typeof raw.template === 'string' ? raw.template : undefined,
    documentIndex: Number.isInteger(raw.documentIndex) ? (raw.documentIndex as number) : undefined,
    documentSelector,
  };
}

/** Documents of each template the selector picks (helm-unittest's DocumentSelector.SelectDocuments). */
function selectByDocumentSelector(
  selector: DocumentSelector,
  byTemplate: ReadonlyMap<string, readonly Doc[]>,
): Map<string, readonly Doc[]> | Outcome {
  const selected = new Map<string, readonly Doc[]>();
  let total = 0;
  for (const [template, docs] of byTemplate) {
    const picked = docs.filter((doc) =>
      valuesAt(doc, selector.path).some((v) => selector.value === undefined || deepEqual(selector.value, v)),
    );
    total += picked.length;
    if (!selector.matchMany && (picked.length > 1 || total > 1))
      return fail('documentSelector: multiple indexes found');
    if (picked.length === 0 && !selector.skipEmptyTemplates)
      return fail(`documentSelector ${selector.path}=${show(selector.value)}: document not found in ${template}`);
    if (picked.length > 0 || !selector.skipEmptyTemplates) selected.set(template, picked);
  }
  return selected;
}

/**
 * Evaluates one assertion against the rendered documents of each suite template (`rendered`: template file name →
 * its documents, in render order). Throws RunnerLimitation (and PathSyntaxError) for what this runner cannot judge.
 */
export function evaluate(
  assertion: Assertion,
  rendered: ReadonlyMap<string, readonly Doc[]>,
  suiteTemplates: readonly string[],
): Outcome {
  const [validator, antonym] = TYPES[assertion.type]!;
  const templates = assertion.template !== undefined ? [assertion.template] : suiteTemplates;
  if (templates.length === 0) return fail('assertion.template must be given if testsuite.templates is empty');
  const byTemplate = new Map<string, readonly Doc[]>();
  for (const t of templates) {
    const docs = rendered.get(t);
    if (!docs) return fail(`template "${t}" not exists or not selected in test suite`);
    byTemplate.set(t, docs);
  }
  let selected: Map<string, readonly Doc[]>;
  if (assertion.documentSelector) {
    const picked = selectByDocumentSelector(assertion.documentSelector, byTemplate);
    if (!(picked instanceof Map)) return picked;
    selected = picked;
  } else if (assertion.documentIndex !== undefined) {
    selected = new Map();
    for (const [t, docs] of byTemplate) {
      const doc = docs[assertion.documentIndex];
      if (doc === undefined)
        return fail(`document index ${assertion.documentIndex} is out of range (${t} rendered ${docs.length})`);
      selected.set(t, [doc]);
    }
  } else selected = byTemplate;
  const negative = assertion.not !== antonym;
  const multiple = selected.size > 1;
  for (const t of [...selected.keys()].sort()) {
    const outcome = validator(assertion.params, { docs: byTemplate.get(t)!, selected: selected.get(t)!, negative });
    if (!outcome.passed) return multiple ? fail(`${t}: ${outcome.message}`) : outcome;
  }
  return pass;
}

export { PathSyntaxError };
