import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/values.js';
import { checkExpectations, parseSuites, runSuite } from './runner.js';

const MODEL = `
        modelSpec:
          - name: llama
            repository: vllm/vllm-openai
            tag: v0.10.0
            modelURL: meta-llama/Llama-3.1-8B-Instruct
            requestCPU: 4
            requestMemory: 16Gi
            requestGPU: 1`;

/** Our own small suite: a pass, helm-unittest's default release, a refusal, a failing assert, a runner limit. */
const SUITE = `suite: own engine suite
templates:
  - deployment-vllm-multi.yaml
  - service-vllm.yaml
tests:
  - it: names the engine after the release
    release:
      name: team
    set:
      servingEngineSpec:${MODEL}
    asserts:
      - template: deployment-vllm-multi.yaml
        hasDocuments:
          count: 1
      - template: deployment-vllm-multi.yaml
        equal:
          path: metadata.name
          value: team-llama-deployment-vllm
      - template: service-vllm.yaml
        equal:
          path: metadata.labels["app.kubernetes.io/name"]
          value: llama
  - it: names the engine after the default release
    set:
      servingEngineSpec:${MODEL}
    asserts:
      - template: deployment-vllm-multi.yaml
        equal:
          path: metadata.name
          value: RELEASE-NAME-llama-deployment-vllm
  - it: refused values
    set:
      servingEngineSpec:
        gpuMemoryUtilisation: 0.9
    asserts:
      - template: service-vllm.yaml
        hasDocuments:
          count: 0
  - it: wrong replicas
    set:
      servingEngineSpec:${MODEL}
    asserts:
      - template: deployment-vllm-multi.yaml
        equal:
          path: spec.replicas
          value: 7
      - template: deployment-vllm-multi.yaml
        exists:
          path: spec.paused
  - it: wrong replicas
    values:
      - other.yaml
    asserts:
      - template: deployment-vllm-multi.yaml
        exists:
          path: spec
`;

describe('the suite runner', () => {
  const [suite] = parseSuites(SUITE, 'own_test.yaml');
  const result = runSuite(suite!);

  it('passes a test whose assertions hold on pdstack’s render', () => {
    expect(result.tests[0]).toEqual({ test: 'names the engine after the release', passed: true });
  });

  it("renders helm-unittest's default release RELEASE-NAME as release-name, in names and in expected values", () => {
    expect(result.tests[1]).toEqual({ test: 'names the engine after the default release', passed: true });
  });

  it("fails a test whose values pdstack refuses with pdstack's first error line", () => {
    expect(result.tests[2]).toEqual({
      test: 'refused values',
      passed: false,
      cause: 'refused',
      reason:
        'values.yaml:2:3: error: servingEngineSpec.gpuMemoryUtilisation: unknown key `gpuMemoryUtilisation` in servingEngineSpec; remove it or fix its spelling',
    });
  });

  it('gives the first failing assertion and how many more failed', () => {
    expect(result.tests[3]).toEqual({
      test: 'wrong replicas',
      passed: false,
      cause: 'assertion',
      reason: 'assert 0 equal (deployment-vllm-multi.yaml): spec.replicas: expected 7, got 1 (+1 more failing assert)',
      failures: [
        'assert 0 equal (deployment-vllm-multi.yaml): spec.replicas: expected 7, got 1',
        'assert 1 exists (deployment-vllm-multi.yaml): spec.paused: expected to exist, is absent',
      ],
    });
  });

  it('names a repeated test name by its occurrence, and reports what it cannot run as its own limitation', () => {
    expect(result.tests[4]).toEqual({
      test: 'wrong replicas (2)',
      passed: false,
      cause: 'runner',
      reason: 'runner: test key `values` not supported',
    });
    expect([result.passed, result.failed]).toEqual([2, 3]);
  });

  it('checks results against expected failures: unlisted failures, listed passes, unknown entries', () => {
    const check = checkExpectations(
      [result],
      [
        { suite: 'own_test.yaml', test: 'refused values', reason: 'deliberate' },
        { suite: 'own_test.yaml', test: 'names the engine after the release', reason: 'stale' },
        { suite: 'own_test.yaml', test: 'gone', reason: 'stale' },
      ],
    );
    expect(check.unexpectedFailures.map((f) => f.test)).toEqual(['wrong replicas', 'wrong replicas (2)']);
    expect(check.unexpectedPasses.map((f) => f.test)).toEqual(['names the engine after the release']);
    expect(check.unknown.map((f) => f.test)).toEqual(['gone']);
  });
});

describe('npm run prodstack-suites (the command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodstack-suites-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const checkout = join(dir, 'production-stack');
  mkdirSync(join(checkout, 'helm', 'tests'), { recursive: true });
  writeFileSync(join(checkout, 'helm', 'tests', 'own_test.yaml'), SUITE);
  const expectFile = join(dir, 'expected.yaml');

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(REPO, 'build', 'test', 'prodstack', 'cli.js'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('prints per-suite counts and each failure with its cause, and exits 0 (a measurement)', () => {
    const verbose = run(checkout, '--verbose');
    expect(verbose.stdout).toContain(
      '    ✗ wrong replicas [assertion]:\n        assert 0 equal (deployment-vllm-multi.yaml): spec.replicas: expected 7, got 1\n        assert 1 exists',
    );
    const r = run(checkout);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("against pdstack's render: 2/5 passed, 3 failed");
    expect(r.stdout).toMatch(/own_test\.yaml\s+2 passed\s+3 failed/);
    expect(r.stdout).toContain('✗ refused values [refused]: values.yaml:2:3: error:');
  });

  it('reads HEAD of a git directory, and prints JSON with --json', () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', checkout, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'suites');
    const commit = git('rev-parse', 'HEAD').toString().trim();
    const r = run(join(checkout, '.git'), '--json');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.commit).toBe(commit);
    expect(json.suites[0]).toMatchObject({ file: 'own_test.yaml', passed: 2, failed: 3 });
  });

  it('with --expect, exits 1 on an unlisted failure or a listed pass, 0 when the list matches', () => {
    writeFileSync(
      expectFile,
      ['refused values', 'wrong replicas', 'wrong replicas (2)']
        .map((t) => `- suite: own_test.yaml\n  test: ${t}\n  reason: on purpose\n`)
        .join(''),
    );
    expect(run(checkout, '--expect', expectFile).status).toBe(0);
    writeFileSync(expectFile, '- suite: own_test.yaml\n  test: names the engine after the release\n  reason: stale\n');
    const r = run(checkout, '--expect', expectFile);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unexpected failure: own_test.yaml: refused values: values.yaml:2:3');
    expect(r.stderr).toContain(
      `unexpected pass (remove it from ${expectFile}): own_test.yaml: names the engine after the release`,
    );
  });

  it('runs only the suites --suite names (and checks only their expected failures)', () => {
    writeFileSync(join(checkout, 'helm', 'tests', 'other_test.yaml'), SUITE);
    try {
      const r = run(checkout, '--suite', 'own', '--expect', expectFile);
      expect(r.stdout).toContain('2/5 passed');
      expect(r.stdout).not.toContain('other_test.yaml');
      expect(run(checkout, '--suite', 'none').stderr).toBe(
        `prodstack-suites: no none_test.yaml in ${join(checkout, 'helm', 'tests')}\n`,
      );
    } finally {
      rmSync(join(checkout, 'helm', 'tests', 'other_test.yaml'));
    }
  });

  it('a source without suites, or a bad command line, is one line and exit 2', () => {
    const r = run(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `prodstack-suites: ${dir}: neither a production-stack checkout (no helm/tests) nor a git directory\n`,
    );
    expect(run(checkout, '--expcet', 'x').status).toBe(2);
  });
});
