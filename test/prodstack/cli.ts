/**
 * `npm run prodstack-suites -- SOURCE [--suite NAME...] [--json] [--verbose] [--expect FILE]`: runs production-stack's helm-unittest suites
 * against pdstack's render and reports, per suite, the passed/failed counts and each failure with a one-line reason.
 *
 * SOURCE: a production-stack checkout (its `helm/tests/` is read) or its git directory (HEAD's `helm/` is exported
 * into a temporary folder with `git archive`). The report is a measurement: exit 0 whatever passes or fails, unless
 * `--expect FILE` (a YAML list of {suite, test, reason}: test/prodstack/expected-failures.yaml) is given; then a
 * failure not listed, a listed test that passes, or a listed test that does not exist exits 1. A wrong command
 * line, or a SOURCE without suites, is one line and exit 2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { helmBinary } from '../setup/helm.js';
import { productionStackRenderer } from './helm-render.js';
import { pdstackRenderer, type Renderer } from './render.js';
import {
  checkExpectations,
  loadSuites,
  parseExpectedFailures,
  runSuite,
  type ExpectationCheck,
  type SuiteResult,
} from './runner.js';

/** A problem with the command line or its files: one line, exit 2. */
class UsageFailure extends Error {}

interface Source {
  /** production-stack's chart folder (`helm/`); its `tests/` hold the suites. */
  readonly helmDir: string;
  /** The commit the suites were read from, when SOURCE is a git checkout or directory. */
  readonly commit?: string;
  readonly cleanup: () => void;
}

function gitCommit(dir: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** A checkout's helm/, or HEAD's helm/ of a git directory exported into a temporary folder. */
function openSource(path: string): Source {
  const dir = resolve(path);
  const commit = gitCommit(dir);
  if (existsSync(join(dir, 'helm', 'tests'))) return { helmDir: join(dir, 'helm'), commit, cleanup: () => {} };
  if (commit === undefined)
    throw new UsageFailure(`${path}: neither a production-stack checkout (no helm/tests) nor a git directory`);
  const tmp = mkdtempSync(join(tmpdir(), 'prodstack-suites-'));
  try {
    execFileSync('sh', ['-c', 'git -C "$1" archive HEAD helm | tar -x -C "$2"', 'sh', dir, tmp], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    throw new UsageFailure(`${path}: HEAD has no helm/ folder to export`);
  }
  return { helmDir: join(tmp, 'helm'), commit, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

export function formatReport(
  results: readonly SuiteResult[],
  commit: string | undefined,
  verbose: boolean,
  target: string,
): string {
  const passed = results.reduce((n, s) => n + s.passed, 0);
  const total = results.reduce((n, s) => n + s.passed + s.failed, 0);
  const lines = [
    `production-stack helm-unittest suites${commit ? ` at ${commit.slice(0, 12)}` : ''} against ${target}: ${passed}/${total} passed, ${total - passed} failed`,
  ];
  const width = Math.max(...results.map((s) => s.file.length));
  for (const s of results) {
    lines.push(
      `${s.file.padEnd(width)}  ${String(s.passed).padStart(3)} passed  ${String(s.failed).padStart(3)} failed`,
    );
    for (const t of s.tests) {
      if (t.passed) continue;
      if (verbose && t.failures) lines.push(`    ✗ ${t.test} [${t.cause}]:`, ...t.failures.map((f) => `        ${f}`));
      else lines.push(`    ✗ ${t.test} [${t.cause}]: ${t.reason}`);
    }
  }
  return lines.join('\n');
}

function formatCheck(check: ExpectationCheck, file: string): string[] {
  return [
    ...check.unexpectedFailures.map((f) => `unexpected failure: ${f.suite}: ${f.test}: ${f.reason}`),
    ...check.unexpectedPasses.map((e) => `unexpected pass (remove it from ${file}): ${e.suite}: ${e.test}`),
    ...check.unknown.map((e) => `no such test (remove it from ${file}): ${e.suite}: ${e.test}`),
  ];
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('prodstack-suites')
    .argument('<source>', 'a production-stack checkout, or its git directory')
    .option('--json', 'print the results as JSON')
    .option('--verbose', 'every failing assertion of a test, not only the first')
    .option('--suite <name...>', 'only these suites (file name with or without _test.yaml, e.g. route)')
    .addOption(
      new Option(
        '--render <what>',
        "what the suites run against: pdstack's render, or production-stack's own chart (Helm 3; the runner's self-check)",
      )
        .choices(['pdstack', 'production-stack'])
        .default('pdstack'),
    )
    .option('--expect <file>', 'expected failures (suite, test, reason): exit 1 on any other failure or a listed pass')
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version'))
      return 0;
    process.stderr.write(
      `prodstack-suites: ${(e as Error).message.replace(/^error: /, '')}\n${program.helpInformation()}`,
    );
    return 2;
  }
  const options = program.opts<{
    json?: boolean;
    verbose?: boolean;
    suite?: string[];
    expect?: string;
    render: string;
  }>();
  let source: Source;
  try {
    source = openSource(program.args[0]!);
  } catch (e) {
    if (!(e instanceof UsageFailure)) throw e;
    process.stderr.write(`prodstack-suites: ${e.message}\n`);
    return 2;
  }
  let results: SuiteResult[];
  const chart =
    options.render === 'production-stack' ? productionStackRenderer(source.helmDir, await helmBinary(3)) : undefined;
  const renderer: Renderer = chart?.renderer ?? pdstackRenderer;
  try {
    const wanted = options.suite?.map((n) => (n.endsWith('.yaml') ? n : `${n}_test.yaml`));
    const testsDir = join(source.helmDir, 'tests');
    const suites = loadSuites(testsDir).filter((s) => !wanted || wanted.includes(s.file));
    if (suites.length === 0) {
      process.stderr.write(`prodstack-suites: no ${wanted ? wanted.join(', ') : '*_test.yaml'} in ${testsDir}\n`);
      return 2;
    }
    results = suites.map((suite) => runSuite(suite, renderer));
  } finally {
    chart?.cleanup();
    source.cleanup();
  }
  let check: ExpectationCheck | undefined;
  if (options.expect !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.expect, 'utf8');
    } catch (e) {
      process.stderr.write(`prodstack-suites: --expect ${options.expect}: ${(e as Error).message}\n`);
      return 2;
    }
    try {
      const ran = new Set(results.map((r) => r.file));
      const expected = parseExpectedFailures(text, options.expect).filter((e) => ran.has(e.suite));
      check = checkExpectations(results, expected);
    } catch (e) {
      process.stderr.write(`prodstack-suites: ${(e as Error).message}\n`);
      return 2;
    }
  }
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({ commit: source.commit, suites: results, expectations: check }, null, 2)}\n`,
    );
  else
    process.stdout.write(
      `${formatReport(
        results,
        source.commit,
        options.verbose === true,
        chart ? "production-stack's own chart (helm template)" : "pdstack's render",
      )}\n`,
    );
  if (!check) return 0;
  const problems = formatCheck(check, options.expect!);
  for (const line of problems) process.stderr.write(`${line}\n`);
  return problems.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`prodstack-suites: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
