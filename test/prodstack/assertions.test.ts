import { describe, expect, it } from 'vitest';
import { difference, evaluate, parseAssertion, RunnerLimitation, type Doc } from './assertions.js';

const deployment: Doc = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'pd-llama-deployment-vllm', labels: { model: 'llama', 'app.kubernetes.io/name': 'llama' } },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'vllm',
            args: ['--port', '8000'],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
            ],
            command: ['vllm', 'serve', '--port', '8000'],
          },
        ],
      },
    },
  },
};
const service: Doc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'pd-llama-engine-service' } };
const chat: Doc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { t: '\nline  \nend' } };

const rendered = new Map<string, readonly Doc[]>([
  ['deployment-vllm-multi.yaml', [deployment, chat]],
  ['service-vllm.yaml', [service]],
  ['pvc.yaml', []],
]);

/** Runs one assertion written as in a suite (YAML as parsed) against `rendered`. */
function run(raw: Record<string, unknown>, templates = ['deployment-vllm-multi.yaml']) {
  return evaluate(parseAssertion(raw), rendered, templates);
}
const dep = { template: 'deployment-vllm-multi.yaml', documentIndex: 0 };

describe('helm-unittest assertions', () => {
  it('equal / notEqual compare decoded values; strings as helm-unittest uniforms them', () => {
    expect(run({ ...dep, equal: { path: 'spec.replicas', value: 1 } }).passed).toBe(true);
    expect(run({ ...dep, equal: { path: 'spec.replicas', value: '1' } })).toEqual({
      passed: false,
      message: 'spec.replicas: expected "1", got 1',
    });
    expect(
      run({ ...dep, equal: { path: 'metadata.labels', value: { 'app.kubernetes.io/name': 'llama', model: 'llama' } } })
        .passed,
    ).toBe(true);
    expect(run({ ...dep, notEqual: { path: 'spec.replicas', value: 2 } }).passed).toBe(true);
    expect(run({ ...dep, equal: { path: 'spec.replicas', value: 1 }, not: true }).passed).toBe(false);
    // Leading newlines trimmed and spaces before a newline dropped from the actual string only.
    expect(
      run({ template: 'deployment-vllm-multi.yaml', documentIndex: 1, equal: { path: 'data.t', value: 'line\nend' } })
        .passed,
    ).toBe(true);
    expect(run({ ...dep, equal: { path: 'spec.paused', value: null } })).toEqual({
      passed: false,
      message: 'unknown path spec.paused',
    });
  });

  it('exists / notExists / isNull / isNotNull ask whether the path reaches anything', () => {
    expect(run({ ...dep, exists: { path: 'spec.replicas' } }).passed).toBe(true);
    expect(run({ ...dep, notExists: { path: 'spec.replicas' } }).passed).toBe(false);
    expect(run({ ...dep, notExists: { path: 'spec.template.spec.hostIPC' } }).passed).toBe(true);
    expect(run({ ...dep, isNull: { path: 'spec.template.spec.hostIPC' } }).passed).toBe(true);
    expect(run({ ...dep, isNotNull: { path: 'spec.template.spec.hostIPC' } }).passed).toBe(false);
  });

  it('contains / notContains: exact elements, `any` as a one-level subset of a map, `count`', () => {
    const env = 'spec.template.spec.containers[0].env';
    expect(run({ ...dep, contains: { path: env, content: { name: 'A', value: '1' } } }).passed).toBe(true);
    expect(run({ ...dep, contains: { path: env, content: { name: 'B' } } }).passed).toBe(false);
    expect(run({ ...dep, contains: { path: env, content: { name: 'B' }, any: true } }).passed).toBe(true);
    expect(run({ ...dep, contains: { path: env, content: { name: 'A', value: '1' }, count: 2 } }).passed).toBe(false);
    expect(run({ ...dep, notContains: { path: env, content: { name: 'C', value: '1' } } }).passed).toBe(true);
    expect(
      run({ ...dep, notContains: { path: 'spec.template.spec.containers[0].args', content: '--port' } }).passed,
    ).toBe(false);
    expect(run({ ...dep, contains: { path: 'spec.replicas', content: 1 } }).message).toMatch(/expected a list/);
  });

  it('isSubset / isNotSubset compare the top-level keys of a map', () => {
    expect(run({ ...dep, isSubset: { path: 'metadata.labels', content: { model: 'llama' } } }).passed).toBe(true);
    expect(run({ ...dep, isSubset: { path: 'metadata.labels', content: { model: 'other' } } }).passed).toBe(false);
    expect(run({ ...dep, isNotSubset: { path: 'metadata.labels', content: { team: 'a' } } }).passed).toBe(true);
  });

  it('matchRegex / notMatchRegex on strings', () => {
    expect(run({ ...dep, matchRegex: { path: 'metadata.name', pattern: '^pd-.*-vllm$' } }).passed).toBe(true);
    expect(run({ ...dep, notMatchRegex: { path: 'metadata.name', pattern: 'router' } }).passed).toBe(true);
    expect(run({ ...dep, matchRegex: { path: 'metadata.name', pattern: '(?i)^PD-' } }).passed).toBe(true);
    expect(run({ ...dep, matchRegex: { path: 'spec.replicas', pattern: '1' } }).message).toMatch(/expected a string/);
  });

  it('hasDocuments counts what the template rendered (filterAware: what was selected); a missing count is 0', () => {
    expect(run({ template: 'deployment-vllm-multi.yaml', hasDocuments: { count: 2 } }).passed).toBe(true);
    expect(run({ template: 'pvc.yaml', hasDocuments: null, count: 3 }, ['pvc.yaml']).passed).toBe(true);
    expect(run({ ...dep, hasDocuments: { count: 1, filterAware: true } }).passed).toBe(true);
    expect(run({ ...dep, hasDocuments: { count: 1 } })).toEqual({
      passed: false,
      message: 'expected 1 document(s), got 2',
    });
  });

  it('containsDocument: every selected document must match, or one with `any`', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'pd-llama-deployment-vllm' };
    expect(run({ ...dep, containsDocument: d }).passed).toBe(true);
    expect(run({ template: 'deployment-vllm-multi.yaml', containsDocument: d }).passed).toBe(false);
    expect(run({ template: 'deployment-vllm-multi.yaml', containsDocument: { ...d, any: true } }).passed).toBe(true);
  });

  it('selects by documentSelector, failing on none or several', () => {
    const sel = { path: 'metadata.name', value: 'x' };
    expect(run({ documentSelector: sel, exists: { path: 'data.t' } }).passed).toBe(true);
    expect(run({ documentSelector: { path: 'metadata.name', value: 'y' }, exists: { path: 'data' } }).message).toMatch(
      /document not found/,
    );
    expect(run({ documentSelector: { path: 'kind' }, exists: { path: 'kind' } }).message).toMatch(/multiple indexes/);
  });

  it('without a template, asserts on every template of the suite; an index past a template fails', () => {
    const both = ['deployment-vllm-multi.yaml', 'service-vllm.yaml'];
    expect(run({ exists: { path: 'metadata.name' } }, both).passed).toBe(true);
    expect(run({ documentIndex: 1, exists: { path: 'metadata.name' } }, both).message).toMatch(
      /document index 1 is out of range \(service-vllm.yaml rendered 1\)/,
    );
    expect(run({ template: 'pvc.yaml', documentIndex: 0, exists: { path: 'spec' } }, ['pvc.yaml']).passed).toBe(false);
    expect(run({ template: 'pvc.yaml', equal: { path: 'spec', value: 1 } }, ['pvc.yaml']).message).toMatch(
      /no manifest found/,
    );
    expect(run({ template: 'pvc.yaml', notExists: { path: 'spec' } }, ['pvc.yaml']).passed).toBe(true);
    expect(run({ template: 'secrets.yaml', exists: { path: 'data' } }).message).toMatch(/not exists or not selected/);
  });

  it('reports what it does not implement as its own limitation', () => {
    expect(() => parseAssertion({ matchSnapshot: {} })).toThrow(RunnerLimitation);
    expect(() => parseAssertion({ equals: { path: 'a' } })).toThrow(/assertion type `equals` is invalid/);
    expect(() => parseAssertion({ template: 'a.yaml' })).toThrow(/no assertion type defined/);
  });
});

describe('failure messages', () => {
  it('say what differs: map keys, the first differing list item, where long strings part', () => {
    expect(difference({ a: 1, b: 2, c: { d: 1 } }, { b: 3, c: { d: 2 }, e: 4 })).toBe(
      'missing {"a":1}; extra {"e":4}; b: expected 2, got 3; c: d: expected 1, got 2',
    );
    expect(difference(['x', 'y'], ['x', 'z', 'w'])).toBe('[1] expected "y", got "z"');
    expect(difference(['x'], ['x', 'w'])).toBe('1 extra item(s) from [1]: ["w"]');
    const long = 'x'.repeat(70);
    expect(difference(`\n${long}`, long)).toBe(
      `strings differ at character 0: expected ${JSON.stringify(`\n${'x'.repeat(39)}`)}, got ${JSON.stringify('x'.repeat(40))}`,
    );
  });
});
