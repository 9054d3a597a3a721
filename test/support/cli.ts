/** Runs the `pdstack` CLI (`build/charts/cli.js`, compiled by the tests' global set-up) as a real process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './values.js';

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function pdstack(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'build', 'charts', 'cli.js'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
