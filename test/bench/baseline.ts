/**
 * The router as built from an earlier commit of this repository, for `npm run bench:router`'s before/after line: the
 * commit's tree is taken with `git archive` into a temporary folder, given this tree's `node_modules`, and compiled
 * with this tree's TypeScript. Nothing is written into the repository or its git metadata.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../schema/paths.js';

/**
 * The last commit before issue 10's router hardening (Expect handling, header filtering, the router-owned KV
 * hand-off, one JSON parse, memory bounds): what the hardening is measured against.
 */
export const BEFORE_HARDENING = '93414ae';

export interface Baseline {
  /** The compiled router entry point of the commit. */
  readonly main: string;
  readonly commit: string;
  remove(): void;
}

/** Builds the router of `ref`; throws with one line when git, the commit or the build fails. */
export function buildBaseline(ref: string): Baseline {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', PACKAGE_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let commit: string;
  try {
    commit = git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).trim();
  } catch {
    throw new Error(`no commit ${ref} in ${PACKAGE_ROOT} (a clone with its history is needed)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pdstack-baseline-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', PACKAGE_ROOT, commit, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    remove();
    const out = (err as { stdout?: Buffer }).stdout?.toString().split('\n', 1)[0];
    throw new Error(`building the router of ${ref} failed${out ? `: ${out}` : ''}`);
  }
  const main = join(dir, 'build', 'router', 'main.js');
  if (!existsSync(main)) {
    remove();
    throw new Error(`the build of ${ref} has no build/router/main.js`);
  }
  return { main, commit: commit.slice(0, 12), remove };
}
