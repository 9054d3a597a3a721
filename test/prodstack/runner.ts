/**
 * Runs production-stack's helm-unittest suites (`helm/tests/*_test.yaml`) against pdstack's render: for each test,
 * its values compiled by pdstack (render.ts), the objects grouped by production-stack template (templates.ts), and
 * each assertion evaluated with helm-unittest's semantics (assertions.ts). A test passes when every assertion does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import {
  evaluate,
  parseAssertion,
  PathSyntaxError,
  RunnerLimitation,
  show,
  type Assertion,
  type Doc,
} from './assertions.js';
import {
  renderedRelease,
  pdstackRenderer,
  releaseAlias,
  valuesFromSet,
  type Release,
  type Renderer,
} from './render.js';

/** Why a test failed: pdstack refused its values, pdstack threw, an assertion failed, or this runner cannot run it. */
export type Cause = 'refused' | 'error' | 'assertion' | 'runner';

export interface TestResult {
  readonly test: string;
  readonly passed: boolean;
  readonly cause?: Cause;
  /** One line. */
  readonly reason?: string;
  /** Every failing assertion, one line each (cause `assertion`). */
  readonly failures?: readonly string[];
}

export interface SuiteResult {
  /** The suite's file name (`deployment-router_test.yaml`): how results and expected failures name a suite. */
  readonly file: string;
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly tests: readonly TestResult[];
}

interface Test {
  readonly it: string;
  readonly set: Record<string, unknown>;
  readonly release?: Partial<Release>;
  readonly asserts: unknown[];
  /** Keys of the test this runner does not implement (helm-unittest's `values`, `capabilities`, ...). */
  readonly unsupported: string[];
}

export interface Suite {
  readonly file: string;
  readonly name: string;
  readonly templates: string[];
  readonly tests: Test[];
  readonly unsupported: string[];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const SUITE_KEYS = new Set(['suite', 'templates', 'tests']);
const TEST_KEYS = new Set(['it', 'set', 'release', 'asserts']);
const RELEASE_KEYS = new Set(['name', 'namespace']);

/** Reads the suites of one file (helm-unittest allows several YAML documents, one suite each). */
export function parseSuites(text: string, file: string): Suite[] {
  return loadAll(text)
    .filter(isMap)
    .map((doc) => {
      const seen = new Map<string, number>();
      const tests = (Array.isArray(doc.tests) ? doc.tests : []).filter(isMap).map((t): Test => {
        // A name a suite repeats gets its occurrence (`name (2)`), so results and expected failures name one test.
        const it = String(t.it ?? '');
        const n = (seen.get(it) ?? 0) + 1;
        seen.set(it, n);
        const unsupported = Object.keys(t).filter((k) => !TEST_KEYS.has(k));
        const release = isMap(t.release) ? t.release : undefined;
        if (release)
          unsupported.push(
            ...Object.keys(release)
              .filter((k) => !RELEASE_KEYS.has(k))
              .map((k) => `release.${k}`),
          );
        return {
          it: n > 1 ? `${it} (${n})` : it,
          set: isMap(t.set) ? t.set : {},
          release: release && {
            name: typeof release.name === 'string' ? release.name : undefined,
            namespace: typeof release.namespace === 'string' ? release.namespace : undefined,
          },
          asserts: Array.isArray(t.asserts) ? t.asserts : [],
          unsupported,
        };
      });
      return {
        file,
        name: String(doc.suite ?? file),
        templates: Array.isArray(doc.templates) ? doc.templates.map(String) : [],
        tests,
        unsupported: Object.keys(doc).filter((k) => !SUITE_KEYS.has(k)),
      };
    });
}

/** Every `*_test.yaml` of a helm-unittest tests folder, by file name. */
export function loadSuites(testsDir: string): Suite[] {
  return readdirSync(testsDir)
    .filter((f) => f.endsWith('_test.yaml'))
    .sort()
    .flatMap((f) => parseSuites(readFileSync(join(testsDir, f), 'utf8'), f));
}

const runnerFailure = (test: string, reason: string): TestResult => ({ test, passed: false, cause: 'runner', reason });

/**
 * Runs one test: render (by default pdstack's render, grouped by template), evaluate every assertion
 * (helm-unittest evaluates all of them).
 */
export function runTest(suite: Suite, test: Test, renderer: Renderer = pdstackRenderer): TestResult {
  const unsupported = [
    ...suite.unsupported.map((k) => `suite key \`${k}\``),
    ...test.unsupported.map((k) => `test key \`${k}\``),
  ];
  if (unsupported.length > 0) return runnerFailure(test.it, `runner: ${unsupported.join(', ')} not supported`);
  if (test.asserts.length === 0) return runnerFailure(test.it, 'runner: the test has no assertions');
  let assertions: Assertion[];
  let rendered: Map<string, Doc[]>;
  try {
    assertions = test.asserts.map(parseAssertion);
    // helm-unittest renders the suite's templates only; an assertion naming another one fails (assertions.ts).
    const result = renderer(valuesFromSet(test.set), renderedRelease(test.release), suite.templates);
    if (!(result instanceof Map)) return { test: test.it, passed: false, cause: result.cause, reason: result.reason };
    rendered = result;
  } catch (e) {
    if (e instanceof RunnerLimitation || e instanceof PathSyntaxError)
      return runnerFailure(test.it, `runner: ${e.message}`);
    throw e;
  }
  const failures: string[] = [];
  for (const [i, assertion] of assertions.entries()) {
    const aliased = { ...assertion, params: releaseAlias(assertion.params, test.release) as Record<string, unknown> };
    try {
      const outcome = evaluate(aliased, rendered, suite.templates);
      if (!outcome.passed) failures.push(`assert ${i} ${label(assertion)}: ${outcome.message}`);
    } catch (e) {
      if (e instanceof RunnerLimitation || e instanceof PathSyntaxError)
        return runnerFailure(test.it, `runner: assert ${i} ${label(assertion)}: ${e.message}`);
      throw e;
    }
  }
  if (failures.length === 0) return { test: test.it, passed: true };
  const more =
    failures.length > 1 ? ` (+${failures.length - 1} more failing assert${failures.length > 2 ? 's' : ''})` : '';
  return { test: test.it, passed: false, cause: 'assertion', reason: `${failures[0]}${more}`, failures };
}

/** `equal (deployment-router.yaml, doc 0)`: the assertion's type and what it selects. */
function label(a: Assertion): string {
  const where = [
    a.template,
    a.documentIndex !== undefined ? `doc ${a.documentIndex}` : undefined,
    a.documentSelector ? `${a.documentSelector.path}=${show(a.documentSelector.value)}` : undefined,
  ].filter(Boolean);
  return `${a.not ? 'not ' : ''}${a.type}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}

export function runSuite(suite: Suite, renderer: Renderer = pdstackRenderer): SuiteResult {
  const tests = suite.tests.map((t) => runTest(suite, t, renderer));
  const passed = tests.filter((t) => t.passed).length;
  return { file: suite.file, name: suite.name, passed, failed: tests.length - passed, tests };
}

/** A test production-stack's suites hold that pdstack fails on purpose (expected-failures.yaml). */
export interface ExpectedFailure {
  readonly suite: string;
  readonly test: string;
  readonly reason: string;
}

export function parseExpectedFailures(text: string, file: string): ExpectedFailure[] {
  const docs = loadAll(text);
  const list = docs.length === 0 ? [] : docs[0];
  if (docs.length > 1 || !Array.isArray(list))
    throw new Error(`${file}: expected one YAML list of {suite, test, reason}`);
  return list.map((e, i) => {
    if (!isMap(e) || typeof e.suite !== 'string' || typeof e.test !== 'string' || typeof e.reason !== 'string')
      throw new Error(`${file}: entry ${i}: expected suite, test and reason (strings)`);
    return { suite: e.suite, test: e.test, reason: e.reason };
  });
}

export interface ExpectationCheck {
  /** Failed but not listed. */
  readonly unexpectedFailures: { suite: string; test: string; reason: string }[];
  /** Listed but passed. */
  readonly unexpectedPasses: ExpectedFailure[];
  /** Listed but no such test in the suites. */
  readonly unknown: ExpectedFailure[];
}

export function checkExpectations(
  results: readonly SuiteResult[],
  expected: readonly ExpectedFailure[],
): ExpectationCheck {
  const key = (suite: string, test: string): string => `${suite}\u0000${test}`;
  const listed = new Map(expected.map((e) => [key(e.suite, e.test), e]));
  const seen = new Set<string>();
  const check: ExpectationCheck = { unexpectedFailures: [], unexpectedPasses: [], unknown: [] };
  for (const suite of results)
    for (const t of suite.tests) {
      const k = key(suite.file, t.test);
      seen.add(k);
      const entry = listed.get(k);
      if (!t.passed && !entry)
        check.unexpectedFailures.push({ suite: suite.file, test: t.test, reason: t.reason ?? '' });
      if (t.passed && entry) check.unexpectedPasses.push(entry);
    }
  check.unknown.push(...expected.filter((e) => !seen.has(key(e.suite, e.test))));
  return check;
}
