/**
 * The npm packages as a user gets them: `npm pack` of the root package (pdstack: construct library + CLI) and of the
 * workspace router/ (pdstack-router), and npm commands run outside the clone. npm runs asynchronously (a blocked
 * vitest worker loses its RPC) with the registry and the user's npm cache, and without the npm_* variables of the
 * `npm test` that runs the tests (npm_config_local_prefix would point the inner npm at the clone).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../schema/paths.js';

const run = promisify(execFile);

export interface Packed {
  /** Path of the tarball. */
  readonly tarball: string;
  /** Paths inside the package, as `npm pack` lists them. */
  readonly files: readonly string[];
}

/** This process's environment without npm's variables, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Runs `npm ARGS` in `cwd`; rejects with npm's output when it fails. */
export async function npm(
  args: readonly string[],
  cwd: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('npm', args, { cwd, env: cleanEnv(extraEnv), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`);
  }
}

async function pack(args: readonly string[], dest: string): Promise<Packed> {
  mkdirSync(dest, { recursive: true });
  const { stdout } = await npm(['pack', '--json', '--pack-destination', dest, ...args], PACKAGE_ROOT);
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack ${args.join(' ')} printed no package`);
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** The root package (pdstack) from the current build/ (`npm test` compiles it first; prepack is not re-run). */
export const packLibrary = (dest: string): Promise<Packed> => pack(['--ignore-scripts'], dest);

/** The router package (pdstack-router); its prepack compiles router/ into router/build/. */
export const packRouter = (dest: string): Promise<Packed> => pack(['--workspace', 'router'], dest);

/** Where any of the packages `names` (e.g. `fastify`, `@kubernetes/client-node`) is installed under `dir`, nested copies included. */
export function findPackages(dir: string, names: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (names.some((n) => path.endsWith(`node_modules/${n}`))) found.push(path);
      walk(path);
    }
  };
  walk('');
  return found;
}
