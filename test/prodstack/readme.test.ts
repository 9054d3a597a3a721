import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/values.js';
import { parseExpectedFailures, type ExpectedFailure } from './runner.js';

const FILE = join(REPO, 'test', 'prodstack', 'expected-failures.yaml');
const START = '<!-- expected-failures: generated from test/prodstack/expected-failures.yaml -->';
const END = '<!-- /expected-failures -->';

/** The README's table of deliberate failures, from the expected-failures file. */
function table(entries: readonly ExpectedFailure[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
  return [
    '| suite | test | why pdstack fails it |',
    '|---|---|---|',
    ...entries.map((e) => `| ${cell(e.suite)} | ${cell(e.test)} | ${cell(e.reason)} |`),
  ].join('\n');
}

describe("the README's list of production-stack tests pdstack fails on purpose", () => {
  it('is the expected-failures file, entry for entry (paste the expected text between the markers)', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const entries = parseExpectedFailures(readFileSync(FILE, 'utf8'), FILE);
    expect(readme.slice(start + START.length, end).trim()).toBe(table(entries));
  });
});
