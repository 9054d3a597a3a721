import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import * as pdstack from '../../constructs/index.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';

describe('package entry point', () => {
  it('is the package main and exports the constructs with the compiler, as the README shows', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('build/constructs/index.js');
    const { values, diagnostics } = pdstack.loadValuesFile(EXAMPLE_VALUES_FILE, { release: 'pd' });
    expect(pdstack.hasErrors(diagnostics)).toBe(false);
    const chart = new Chart(Testing.app(), 'llm');
    const stack = new pdstack.PdStack(chart, 'pd', { release: 'pd', namespace: 'llm', values });
    expect(stack.engines.map((e) => e.serviceName)).toEqual([
      'pd-llama-prefill-engine-service',
      'pd-llama-decode-engine-service',
    ]);
    expect(stack.router?.serviceName).toBe('pd-router-service');
    expect(Testing.synth(chart)).toHaveLength(14);
  });
});
