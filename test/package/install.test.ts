/**
 * pdstack installs as a tool: the packed packages (pdstack and pdstack-router), installed globally into a temporary
 * prefix from the npm registry, give working `pdstack` and `pdstack-router` commands in a folder outside the clone;
 * a router started through npm's launcher stops when the launcher is stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { cleanEnv, findPackages, npm, packLibrary, packRouter, type Packed } from '../support/packages.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';
import { waitFor } from '../k8s/helpers.js';
import { tutorialArgs } from '../sim/processes.js';

vi.setConfig({ testTimeout: 120_000 });

const WORK = mkdtempSync(join(tmpdir(), 'pdstack-install-'));
const PREFIX = join(WORK, 'prefix');
/** A folder outside the clone, with no package.json, where a user runs the commands. */
const ELSEWHERE = join(WORK, 'elsewhere');
const ROUTER_DEPENDENCIES = ['fastify', 'undici', 'prom-client', '@kubernetes/client-node'];
const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
let library: Packed;
let router: Packed;
let installOutput: string;

/** PATH and npm prefix of the temporary global install, npm's own variables left out. */
const userEnv = (): NodeJS.ProcessEnv =>
  cleanEnv({ PATH: `${join(PREFIX, 'bin')}:${process.env['PATH']}`, npm_config_prefix: PREFIX });
const command = (cmd: string, args: readonly string[]) =>
  spawnSync(cmd, args, { cwd: ELSEWHERE, env: userEnv(), encoding: 'utf8', timeout: 60_000 });

beforeAll(async () => {
  const packs = join(WORK, 'packs');
  [library, router] = await Promise.all([packLibrary(packs), packRouter(packs)]);
  const r = await npm(['install', '--global', '--prefix', PREFIX, library.tarball, router.tarball], WORK);
  installOutput = r.stdout + r.stderr;
  mkdirSync(ELSEWHERE);
  copyFileSync(EXAMPLE_VALUES_FILE, join(ELSEWHERE, 'values.yaml'));
}, 600_000);
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('the packed packages', () => {
  it('pdstack ships the built library, CLI and schema, the example values and the README: no tests, fixtures, router or source maps', () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^build\/package\.json$/,
      /^build\/(charts|constructs|schema)\/.*\.(js|d\.ts)$/,
      /^build\/schema\/values\.schema\.json$/,
      /^charts\/example\/values\.yaml$/,
      /^schema\/values\.schema\.json$/,
    ];
    expect(library.files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    expect(library.files).toEqual(
      expect.arrayContaining([
        'README.md',
        'build/charts/cli.js',
        'build/constructs/index.d.ts',
        'build/schema/index.js',
      ]),
    );
    expect(library.files.filter((f) => /test|fixture|codegen/.test(f))).toEqual([]);
  });

  it('pdstack-router ships the compiled router, its command and its README only', () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^bin\/pdstack-router\.js$/,
      /^build\/(router|schema\/facts)\/.*\.js$/,
    ];
    expect(router.files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    expect(router.files).toEqual(expect.arrayContaining(['README.md', 'build/router/main.js']));
  });

  it('both install from the registry with every engine requirement met (no EBADENGINE)', () => {
    expect(installOutput).not.toMatch(/EBADENGINE|Unsupported engine/);
    expect(readdirSync(join(PREFIX, 'bin')).sort()).toEqual(['pdstack', 'pdstack-router']);
  });

  it("the library's install has none of the router's dependencies", () => {
    expect(findPackages(join(PREFIX, 'lib', 'node_modules', 'pdstack'), ROUTER_DEPENDENCIES)).toEqual([]);
    expect(findPackages(join(PREFIX, 'lib', 'node_modules', 'pdstack-router'), ['cdk8s', 'cdk8s-plus-28'])).toEqual([]);
  });
});

describe('the global commands, in a folder outside the clone', () => {
  it('pdstack validate checks a values file', () => {
    const r = command('pdstack', ['validate', '-f', 'values.yaml']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('values.yaml: ok (4 warning(s))');
  });

  it("pdstack chart writes a chart deploying pdstack-router's image", () => {
    const r = command('pdstack', ['chart', '-f', 'values.yaml', '-o', 'chart']);
    expect(r.status, r.stderr).toBe(0);
    const values = load(readFileSync(join(ELSEWHERE, 'chart', 'values.yaml'), 'utf8')) as {
      routerSpec: { repository: string; tag: string };
    };
    expect(values.routerSpec).toMatchObject({ repository: ROUTER_IMAGE.repository, tag: version });
    expect(existsSync(join(ELSEWHERE, 'chart', 'templates'))).toBe(true);
  });

  it('pdstack-router --help and --version answer', () => {
    const help = command('pdstack-router', ['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pdstack-router /);
    expect(help.stdout).toContain('--routing-logic');
    expect(command('pdstack-router', ['--version']).stdout).toBe(`pdstack-router ${version}\n`);
  });
});

describe("pdstack-router under npm's launcher", () => {
  /** Pids of processes whose command line holds `marker`: the router npx started, found without asking npx. */
  const processesWith = (marker: string): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false; // exited meanwhile
        }
      })
      .map(Number);
  const portOpen = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it("stops, freeing its port, when `npx pdstack-router` with the tutorial's arguments is sent SIGTERM", async () => {
    const marker = `launcher-test-${process.pid}`;
    // the tutorial's command, through npx; the marker (as the model name) finds the router's processes
    const launcher = spawn(
      'npx',
      ['--no-install', 'pdstack-router', ...tutorialArgs('http://127.0.0.1:9', 'http://127.0.0.1:10', marker)],
      { cwd: ELSEWHERE, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let log = '';
        launcher.stdout.setEncoding('utf8').on('data', (d: string) => {
          log += d;
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
          if (m) resolve(Number(m[1]));
        });
        launcher.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
        launcher.once('exit', (code) => reject(new Error(`npx exited with ${code}: ${log}`)));
      });
      const routers = processesWith(marker).filter((pid) => pid !== launcher.pid);
      expect(routers.length).toBeGreaterThan(0);
      expect(await portOpen(port)).toBe(true);
      const exited = new Promise((r) => launcher.once('exit', r));
      launcher.kill('SIGTERM');
      await exited;
      await waitFor(
        'the router to exit and free its port',
        async () => !(await portOpen(port)) && processesWith(marker).length === 0,
        10_000,
      );
    } finally {
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});
