/**
 * pdstack as a library: a cdk8s app outside the clone that installs the packed pdstack package gets the constructs
 * and the values compiler, typed (compiled with tsc against the package's exports), and none of the router's runtime
 * dependencies.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { isClusterScoped, type KubeObject } from '../support/kube-validate.js';
import { cleanEnv, findPackages, npm, packLibrary } from '../support/packages.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';

const run = promisify(execFile);
const WORK = mkdtempSync(join(tmpdir(), 'pdstack-cdk8s-app-'));
const APP = join(WORK, 'app');
const rootPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** The README's library example (charts/example/library.ts), importing the package as a user's app does. */
const APP_SOURCE = readFileSync(join(REPO, 'charts', 'example', 'library.ts'), 'utf8').replace(
  "from '../../constructs/index.js';",
  "from 'pdstack';",
);

let objects: KubeObject[];

beforeAll(async () => {
  const { tarball } = await packLibrary(join(WORK, 'packs'));
  mkdirSync(APP);
  writeFileSync(
    join(APP, 'package.json'),
    JSON.stringify({
      name: 'my-llm-app',
      private: true,
      dependencies: {
        pdstack: `file:${tarball}`,
        cdk8s: rootPackage.dependencies['cdk8s'],
        constructs: rootPackage.dependencies['constructs'],
      },
    }),
  );
  await npm(['install'], APP);
  writeFileSync(join(APP, 'main.ts'), APP_SOURCE);
  writeFileSync(
    join(APP, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true, types: [] },
      files: ['main.ts'],
    }),
  );
  copyFileSync(EXAMPLE_VALUES_FILE, join(APP, 'values.yaml'));
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: APP, env: cleanEnv() });
  await run(process.execPath, ['main.js'], { cwd: APP, env: cleanEnv() });
  objects = loadAll(readFileSync(join(APP, 'dist', 'llm.k8s.yaml'), 'utf8')) as KubeObject[];
}, 600_000);
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('a cdk8s app using the pdstack library', () => {
  it("installs none of the router's runtime dependencies", () => {
    expect(
      findPackages(join(APP, 'node_modules'), ['fastify', 'undici', 'prom-client', '@kubernetes/client-node']),
    ).toEqual([]);
  });

  it("type-checks the README's example against the package and synthesizes it, deploying pdstack-router", () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/pd-llama-prefill-deployment-vllm',
        'Deployment/pd-llama-decode-deployment-vllm',
        'Deployment/pd-deployment-router',
        'Service/pd-router-service',
        'Deployment/pd-bge-embed-deployment-vllm',
      ]),
    );
    expect(objects.every((o) => o.metadata.namespace === (isClusterScoped(o) ? undefined : 'llm'))).toBe(true);
    expect(names).toContain('ValidatingAdmissionPolicy/pd-llm-router-sleeping-label');
    const router = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'pd-deployment-router') as any;
    expect(router.spec.template.spec.containers[0].image).toBe(`${ROUTER_IMAGE.repository}:${ROUTER_IMAGE.tag}`);
  });
});
