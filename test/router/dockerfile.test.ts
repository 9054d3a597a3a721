/**
 * router/Dockerfile cannot be built here (no Docker engine), so this runs the Dockerfile's own compile command into
 * a directory laid out like the image (/app: package.json, node_modules, build/router) and checks that the
 * entrypoint answers `--version` and starts with the tutorial's arguments.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, stopAll } from '../sim/processes.js';

const dockerfile = readFileSync(join(ROOT, 'router', 'Dockerfile'), 'utf8');
const app = mkdtempSync(join(tmpdir(), 'pdstack-router-image-'));
afterAll(async () => {
  await stopAll();
  rmSync(app, { recursive: true, force: true });
}, 30_000);

describe('router/Dockerfile', { timeout: 180_000 }, () => {
  it('is multi-stage, runs as non-root, with the router as entrypoint', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/build\/router\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
  });

  it('its compile step produces an entrypoint that answers --version and starts', async () => {
    const compile = /^RUN (npx tsc .*)$/m.exec(dockerfile)![1]!;
    expect(compile).toBe('npx tsc -p router/tsconfig.build.json');
    const [, ...args] = compile.split(' ');
    execFileSync('npx', [...args, '--outDir', join(app, 'build')], { cwd: ROOT, stdio: 'pipe' });
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    const main = join(app, 'build', 'router', 'main.js');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    expect(execFileSync(process.execPath, [main, '--version']).toString()).toBe(`pdstack-router ${version}\n`);

    const proc = spawn(process.execPath, [main, '--host', '127.0.0.1', '--port', '0', '--service-discovery', 'static',
      '--static-backends', 'http://127.0.0.1:9,http://127.0.0.1:10', '--static-models', 'm,m',
      '--static-model-labels', 'p,d', '--routing-logic', 'disaggregated_prefill',
      '--prefill-model-labels', 'p', '--decode-model-labels', 'd'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    expect(await (await fetch(`${url}/version`)).json()).toEqual({ version });
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  });
});
