/**
 * Vitest global set-up: compiles the tree (`tsc -p tsconfig.json`, incremental) once before any test file runs, and
 * again before each re-run in watch mode. Process tests spawn the compiled files (the router, the engine simulator,
 * the `pdstack` CLI, the cdk8s app), so no test can run JavaScript older than the sources; a type error stops the run.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = join(__dirname, '..', '..');

function build(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT }, (error, stdout) => {
      if (error) reject(new Error(`tsc -p tsconfig.json failed:\n${stdout}`));
      else resolve();
    });
  });
}

export default async function setup(project: TestProject): Promise<void> {
  await build();
  project.onTestsRerun(build);
}
