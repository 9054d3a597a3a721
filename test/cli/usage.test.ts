/** `pdstack`'s command line: did-you-mean for unknown options, `--help` on every command, exit 2 on a wrong line. */
import { describe, expect, it } from 'vitest';
import { pdstack } from '../support/cli.js';
import { EXAMPLE_VALUES_FILE } from '../support/values.js';

describe('pdstack command line', () => {
  it.each([
    [['validate', '-f', EXAMPLE_VALUES_FILE, '--relase', 'x'], "unknown option '--relase' (did you mean --release?)"],
    [
      ['chart', '-f', EXAMPLE_VALUES_FILE, '-o', 'x', '--chart-verison', '1.0.0'],
      "unknown option '--chart-verison' (did you mean --chart-version?)",
    ],
    [['synth', '--frobnicate'], "unknown option '--frobnicate'"],
    [['validate', '-f', EXAMPLE_VALUES_FILE, '-o', 'x'], 'validate takes no -o'],
    [['synth', '-f', EXAMPLE_VALUES_FILE, '-o', '-', '--chart-version', '1.0.0'], 'synth takes no --chart-version'],
    [['validate', '-f', EXAMPLE_VALUES_FILE, 'extra'], "unexpected argument 'extra'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j: exit 2, "pdstack: %s" and the usage', (args, message) => {
    const r = pdstack(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`pdstack: ${message}`);
    expect(r.stderr).toMatch(/^usage:$/m);
  });

  it.each([
    ['validate', ['--values', '--release', '--namespace'], ['--output', '--chart-version']],
    ['synth', ['--values', '--release', '--namespace', '--output'], ['--chart-version']],
    ['chart', ['--values', '--release', '--output', '--chart-version'], ['--namespace']],
  ])('pdstack %s --help lists its options only, on stdout, exit 0', (command, takes, not) => {
    for (const r of [pdstack([command, '--help']), pdstack(['help', command])]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: pdstack ${command} -f VALUES`));
      for (const o of takes) expect(r.stdout).toContain(o);
      for (const o of not) expect(r.stdout).not.toContain(o);
    }
  });

  it('pdstack --help and pdstack help print the usage (exit 0); pdstack alone prints it and exits 2', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = pdstack(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage:\n {2}pdstack validate -f VALUES/);
    }
    const r = pdstack([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^usage:/);
  });
});
