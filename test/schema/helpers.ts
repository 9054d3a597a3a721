/** Shared by the schema tests: fixture texts, variants of them, and diagnostics in a comparable shape. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { loadValuesText, type Diagnostic, type LoadOptions } from '../../schema/index.js';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'values');
export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** `text` with each `[from, to]` replaced once; fails when `from` is not in the text (a stale test). */
export function variant(text: string, ...edits: ReadonlyArray<readonly [string, string]>): string {
  return edits.reduce((t, [from, to]) => {
    expect(t, `edit source ${JSON.stringify(from)}`).toContain(from);
    return t.replace(from, to);
  }, text);
}

/** What a diagnostic says, without the file name: `LINE:COL severity PATH`. */
export const where = (d: Diagnostic): string => `${d.line}:${d.column} ${d.severity} ${d.path}`;

export function diagnose(text: string, options: LoadOptions = {}): readonly Diagnostic[] {
  return loadValuesText(text, 'values.yaml', options).diagnostics;
}

/** The single diagnostic of `text`; fails with all of them listed when there is not exactly one. */
export function only(text: string, options: LoadOptions = {}): Diagnostic {
  const diagnostics = diagnose(text, options);
  expect(diagnostics.map((d) => `${where(d)}: ${d.message}`)).toHaveLength(1);
  return diagnostics[0]!;
}

/** The error of the tutorial's `routerSpec.tag: "pd"` (production-stack's router image from before a flag the chart passes). */
export const TUTORIAL_ROUTER_ERROR =
  "`lmcache/lmstack-router:pd` (production-stack's router, May 2025) predates --k8s-service-discovery-type, which the " +
  'chart passes with serviceDiscovery: k8s, so the router pod would exit at start; deploy pdstack-router with ' +
  `\`repository: ${ROUTER_IMAGE.repository}\` and \`tag: "${ROUTER_IMAGE.tag}"\``;
