import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { pdstack } from '../support/cli.js';
import { isClusterScoped, type KubeObject } from '../support/kube-validate.js';
import { EXAMPLE_VALUES_FILE, REPO, TUTORIAL_VALUES_FILE } from '../support/values.js';

const CLI = join(REPO, 'build', 'charts', 'cli.js');
const docs = (yaml: string): KubeObject[] => loadAll(yaml) as KubeObject[];
const names = (objects: KubeObject[]): string[] => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('pdstack synth', () => {
  it('prints the manifests as multi-document YAML with -o -', () => {
    const r = pdstack(['synth', '-f', EXAMPLE_VALUES_FILE, '--release', 'pd', '--namespace', 'llm', '-o', '-']);
    expect(r.status).toBe(0);
    const objects = docs(r.stdout);
    expect(objects).toHaveLength(14);
    expect(objects.every((o) => o.metadata.namespace === (isClusterScoped(o) ? undefined : 'llm'))).toBe(true);
    expect(names(objects)).toContain('ValidatingAdmissionPolicy/pd-llm-router-sleeping-label');
    expect(names(objects)).toContain('Deployment/pd-llama-decode-deployment-vllm');
  });

  it('stops quietly with exit 0 when the reader of -o - goes away (pdstack synth -o - | head)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdstack-epipe-'));
    const models = Array.from(
      { length: 300 },
      (_, i) =>
        `    - {name: m${i}, repository: vllm/vllm-openai, tag: v0.10.0, modelURL: m, requestCPU: 1, requestMemory: 1Gi, requestGPU: 1}`,
    );
    const values = join(dir, 'values.yaml');
    writeFileSync(values, `servingEngineSpec:\n  runtimeClassName: ""\n  modelSpec:\n${models.join('\n')}\n`);
    // `head -c 100` reads the start of the manifests (about 1 MB) and exits while pdstack is still writing
    const r = spawnSync(
      'bash',
      ['-c', 'node "$1" synth -f "$2" -o - | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}"', 'bash', CLI, values],
      { encoding: 'utf8' },
    );
    expect({ exit: r.stdout.trim(), stderr: r.stderr }).toEqual({ exit: '0', stderr: '' });
  });

  it('defaults to release pd and namespace default, and writes DIR/pdstack.k8s.yaml with -o DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdstack-synth-'));
    const r = pdstack(['synth', '-f', EXAMPLE_VALUES_FILE, '-o', join(dir, 'out')]);
    expect(r.status).toBe(0);
    expect(readdirSync(join(dir, 'out'))).toEqual(['pdstack.k8s.yaml']);
    const objects = docs(readFileSync(join(dir, 'out', 'pdstack.k8s.yaml'), 'utf8'));
    expect(
      objects.every(
        (o) =>
          o.metadata.name.startsWith('pd-') && o.metadata.namespace === (isClusterScoped(o) ? undefined : 'default'),
      ),
    ).toBe(true);
  });

  it('refuses the tutorial file for release pd with the diagnostic and no output', () => {
    const r = pdstack(['synth', '-f', TUTORIAL_VALUES_FILE, '--release', 'pd', '-o', '-']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /tutorial-16\.yaml:29:\d+: error: servingEngineSpec\.modelSpec\[0\]\.lmcacheConfig\.nixlPeerHost: .*pd-llama-decode-engine-service/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 with the usage on command-line mistakes', () => {
    for (const args of [['synth', '-f', EXAMPLE_VALUES_FILE], ['frobnicate'], ['synth', '--bogus'], []]) {
      const r = pdstack(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr + r.stdout).toMatch(/usage:/);
    }
  });

  it('exits 1 with one line for a missing file', () => {
    const r = pdstack(['validate', '-f', join(REPO, 'no-such-values.yaml')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no-such-values\.yaml:1:1: error: /);
  });
});

describe('npx cdk8s synth', () => {
  const cdk8s = (outdir: string, env: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(REPO, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '-o', outdir], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    });

  it('writes the bundled example, identical to pdstack synth', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pdstack-cdk8s-')), 'dist');
    const r = cdk8s(dir);
    expect(r.status, r.stderr).toBe(0);
    const written = readFileSync(join(dir, 'pdstack.k8s.yaml'), 'utf8');
    expect(docs(written)).toEqual(docs(pdstack(['synth', '-f', EXAMPLE_VALUES_FILE, '-o', '-']).stdout));
  }, 120_000);

  it('compiles the file named by PDSTACK_VALUES and fails on invalid values', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pdstack-cdk8s-'));
    const values = join(tmp, 'values.yaml');
    writeFileSync(
      values,
      'servingEngineSpec:\n  modelSpec:\n    - name: solo\n      repository: vllm/vllm-openai\n      tag: v0.10.0\n      modelURL: facebook/opt-125m\n      requestCPU: 1\n      requestMemory: 4Gi\n',
    );
    const ok = cdk8s(join(tmp, 'dist'), { PDSTACK_VALUES: values, PDSTACK_RELEASE: 'solo' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(names(docs(readFileSync(join(tmp, 'dist', 'pdstack.k8s.yaml'), 'utf8')))).toContain(
      'Deployment/solo-solo-deployment-vllm',
    );
    writeFileSync(values, 'servingEngineSpec:\n  modelSpec: 3\n');
    const bad = cdk8s(join(tmp, 'dist2'), { PDSTACK_VALUES: values });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/values\.yaml:2:\d+: error: servingEngineSpec\.modelSpec: /);
  }, 120_000);
});
