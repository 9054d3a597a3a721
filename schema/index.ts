/**
 * The values compiler's front end: a production-stack values file → typed values with the schema's defaults
 * filled in, plus one-line diagnostics (`FILE:LINE:COL: error|warning: KEY.PATH: message`) pointing at the
 * offending key. Never throws for bad input.
 *
 * Order: YAML (a syntax error stops there), map defaults merged into given maps as Helm merges them
 * (map-defaults.ts), then the JSON Schema, then — only when the schema found no error, as they rely on its types —
 * the checks of meaning.
 */
import { readFileSync } from 'node:fs';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE } from './facts/names.js';
import { mergeMapDefaults } from './map-defaults.js';
import { checkSemantics } from './semantics.js';
import { parseValuesYaml, START, type Locate } from './source.js';
import { validateSchema } from './validate.js';
import type { PdstackValues } from './values.generated.js';

export * from './values.generated.js';
export { formatDiagnostic, hasErrors, type Diagnostic, type Severity } from './diagnostics.js';
export { VALUES_SCHEMA } from './schema.js';

export interface LoadOptions {
  /** The Helm release the values are compiled for: it prefixes every object name. Default `pd`. */
  readonly release?: string;
  /** The namespace the release is installed in. Default `default`. */
  readonly namespace?: string;
}

export interface LoadResult {
  /** The values with the schema's defaults filled in; only trustworthy when `diagnostics` has no error. */
  readonly values: PdstackValues;
  /** Errors and warnings, in source order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** The file name of diagnostics about values built in code (no source). */
export const IN_CODE_FILE = '<values>';

function check(data: unknown, file: string, locate: Locate, options: LoadOptions): Diagnostic[] {
  mergeMapDefaults(data);
  const diagnostics = validateSchema(data, file, locate);
  if (!hasErrors(diagnostics)) {
    const context = {
      file,
      locate,
      release: options.release ?? DEFAULT_RELEASE,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
    };
    diagnostics.push(...checkSemantics(data as PdstackValues, context));
  }
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Parses and checks values YAML; `fileName` is what diagnostics name. */
export function loadValuesText(text: string, fileName: string, options: LoadOptions = {}): LoadResult {
  const parsed = parseValuesYaml(text, fileName);
  if (!parsed.ok) return { values: {}, diagnostics: [parsed.diagnostic] };
  const diagnostics = check(parsed.value, fileName, parsed.locate, options);
  return { values: parsed.value as PdstackValues, diagnostics };
}

/** Reads, parses and checks a values file; an unreadable file is one error at 1:1. */
export function loadValuesFile(path: string, options: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return {
      values: {},
      diagnostics: [
        { file: path, ...START, severity: 'error', path: '(root)', message: `cannot read the values file: ${reason}` },
      ],
    };
  }
  return loadValuesText(text, path, options);
}

/** Checks values built in code (not modified: defaults are filled into a copy); positions are `<values>:1:1`. */
export function checkValues(values: unknown, options: LoadOptions = {}): readonly Diagnostic[] {
  let copy: unknown;
  try {
    copy = structuredClone(values);
  } catch (e) {
    return [
      {
        file: IN_CODE_FILE,
        ...START,
        severity: 'error',
        path: '(root)',
        message: `values must be plain data (objects, lists, strings, numbers, booleans): ${(e as Error).message}`,
      },
    ];
  }
  return check(copy, IN_CODE_FILE, () => START, options);
}
