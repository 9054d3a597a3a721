/** Diagnostics of the values compiler: one line each, `FILE:LINE:COL: error|warning: KEY.PATH: message`. */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly severity: Severity;
  /** Dotted key path with list indexes, e.g. `servingEngineSpec.modelSpec[0].lmcacheConfig.nixlPeerHost`; `(root)` for the document. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.path}: ${d.message}`;
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');
