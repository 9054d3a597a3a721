/**
 * router/Dockerfile, built without a Docker engine (none on this machine) by test/support/docker-build.ts: the build
 * context its dockerignore lets through, every stage's steps run here (`npm ci` from the registry, the router's
 * compile), then the final image's entrypoint started from the image's files as the unprivileged user the image
 * names (uid 1000, `node` in the node images). What is not covered: the base image itself and layer mechanics.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltImage, contextFiles, emulateDockerBuild } from '../support/docker-build.js';
import { ROOT, stopAll } from '../sim/processes.js';

const DOCKERFILE = join(ROOT, 'router', 'Dockerfile');
/** The router's package (npm workspace router/), whose package.json the image carries. */
const version = (JSON.parse(readFileSync(join(ROOT, 'router', 'package.json'), 'utf8')) as { version: string }).version;
let image: BuiltImage;

beforeAll(async () => {
  image = await emulateDockerBuild(DOCKERFILE, ROOT);
}, 300_000);
afterAll(async () => {
  await stopAll();
  // asynchronous: a synchronous delete of the stages' node_modules blocks the worker past vitest's RPC timeout
  if (image) await rm(dirname(image.root), { recursive: true, force: true });
}, 300_000);

/** Runs the image's entrypoint with `extra` arguments, from the image's files, as uid 1000 when the test is root. */
function runEntrypoint(extra: readonly string[]) {
  const [cmd, ...rest] = image.entrypoint;
  expect(cmd).toBe('node');
  const args = [...rest.map((a) => (a.startsWith('/') ? join(image.root, a) : a)), ...extra];
  const asUser = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};
  return spawn(process.execPath, args, {
    cwd: join(image.root, image.workdir),
    env: { PATH: process.env.PATH, ...image.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asUser,
  });
}

describe('router/Dockerfile', { timeout: 60_000 }, () => {
  it('sends only what it copies as build context', () => {
    const files = contextFiles(ROOT, readFileSync(`${DOCKERFILE}.dockerignore`, 'utf8'));
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'router/package.json',
        'router/main.ts',
        'router/Dockerfile',
        'schema/facts/router-flags.ts',
      ]),
    );
    expect(files.filter((f) => f.startsWith('router/build/') || f.startsWith('router/node_modules/'))).toEqual([]);
    expect(
      files.filter(
        (f) =>
          !['package.json', 'package-lock.json', 'tsconfig.json'].includes(f) &&
          !f.startsWith('router/') &&
          !f.startsWith('schema/facts/'),
      ),
    ).toEqual([]);
  });

  it("is multi-stage; the final image holds the compiled router and the router package's production dependencies only", () => {
    expect(image.stages).toBe(3);
    const app = join(image.root, 'app');
    expect(existsSync(join(app, 'build', 'router', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'build', 'charts'))).toBe(false); // only the router is compiled
    expect(existsSync(join(app, 'build', 'schema', 'facts', 'router-flags.js'))).toBe(true); // with the facts it imports
    expect(existsSync(join(app, 'build', 'schema', 'index.js'))).toBe(false);
    expect(existsSync(join(app, 'router'))).toBe(false); // no TypeScript sources
    for (const dep of ['fastify', 'undici', 'prom-client', '@kubernetes/client-node']) {
      expect(existsSync(join(app, 'node_modules', dep, 'package.json')), dep).toBe(true);
    }
    for (const dev of ['typescript', 'vitest', 'openai', 'kubernetes-models', 'cdk8s', 'cdk8s-plus-28']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('runs as the non-root user node, in production mode, with the router as entrypoint', () => {
    expect(image.user).toBe('node');
    expect(image.env).toEqual({ NODE_ENV: 'production' });
    expect(image.exposed).toEqual(['8000']);
    expect(image.entrypoint).toEqual(['node', '/app/build/router/main.js']);
  });

  it('its entrypoint, run from the image as uid 1000, answers --version and serves the tutorial arguments', async () => {
    const v = runEntrypoint(['--version']);
    let out = '';
    v.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise((r) => v.once('exit', r));
    expect({ code, out }).toEqual({ code: 0, out: `pdstack-router ${version}\n` });

    const proc = runEntrypoint([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--service-discovery',
      'static',
      '--static-backends',
      'http://127.0.0.1:9,http://127.0.0.1:10',
      '--static-models',
      'm,m',
      '--static-model-labels',
      'p,d',
      '--routing-logic',
      'disaggregated_prefill',
      '--prefill-model-labels',
      'p',
      '--decode-model-labels',
      'd',
    ]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let log = '';
        proc.stdout.setEncoding('utf8').on('data', (d: string) => {
          log += d;
          const m = /listening on (\S+)/.exec(log);
          if (m) resolve(m[1]!);
        });
        proc.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
        proc.once('exit', (c) => reject(new Error(`exited with ${c}: ${log}`)));
      });
      expect(await (await fetch(`${url}/version`)).json()).toEqual({ version });
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
    }
  });
});
