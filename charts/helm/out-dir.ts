/**
 * The one rule for writing a chart into `-o DIR`: never through a symbolic link. A generated chart holds none, so any
 * link at or below DIR's entries is refused before anything is compiled or written (cheap: no cdk8s is loaded).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The first symbolic link among the entries below `dir` (not `dir` itself, the user's choice of where to write). */
function symlinkInside(dir: string): string | undefined {
  if (!lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  // recursive readdir reports a link as a link and does not descend into it
  const link = readdirSync(dir, { recursive: true, withFileTypes: true }).find((e) => e.isSymbolicLink());
  return link ? join(link.parentPath, link.name) : undefined;
}

/** Throws the one-line refusal when `dir` holds a symbolic link. */
export function refuseSymlinkInside(dir: string): void {
  const at = symlinkInside(dir);
  if (at !== undefined) throw new Error(`${at} is a symbolic link: pdstack chart never writes through one; remove it`);
}
