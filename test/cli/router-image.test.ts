/** `pdstack chart` and the router image: what the values name is what the chart deploys, and it says so. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { TUTORIAL_ROUTER_ERROR } from '../schema/helpers.js';
import { pdstack } from '../support/cli.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';

const FIXED = join(REPO, 'test', 'fixtures', 'values', 'tutorial-16-fixed.yaml');
const WORK = mkdtempSync(join(tmpdir(), 'pdstack-router-image-'));
const chartRouter = (dir: string): Record<string, unknown> =>
  (load(readFileSync(join(dir, 'values.yaml'), 'utf8')) as { routerSpec: Record<string, unknown> }).routerSpec;

describe('pdstack chart: the router image', () => {
  it("compiles the bundled example to a chart deploying pdstack-router's image", () => {
    const dir = join(WORK, 'example');
    const r = pdstack(['chart', '-f', EXAMPLE_VALUES_FILE, '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('routerSpec');
    expect(chartRouter(dir)).toMatchObject({ repository: ROUTER_IMAGE.repository, tag: ROUTER_IMAGE.tag });
  });

  it("refuses the tutorial's lmcache/lmstack-router:pd with the error at its line and writes nothing", () => {
    const dir = join(WORK, 'tutorial');
    const r = pdstack(['chart', '-f', FIXED, '-o', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${FIXED}:71:3: error: routerSpec.tag: ${TUTORIAL_ROUTER_ERROR}\n`);
    expect(existsSync(dir)).toBe(false);
  });

  it("keeps the user's choice of production-stack's router, with a warning at its line", () => {
    const file = join(WORK, 'tutorial-latest.yaml');
    writeFileSync(file, readFileSync(FIXED, 'utf8').replace('tag: "pd"', 'tag: "latest"'));
    const dir = join(WORK, 'latest');
    const r = pdstack(['chart', '-f', file, '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `${file}:70:3: warning: routerSpec.repository: \`lmcache/lmstack-router:latest\` is production-stack's Python router`,
    );
    expect(r.stderr).toContain(`set \`repository: ${ROUTER_IMAGE.repository}\` and \`tag: "${ROUTER_IMAGE.tag}"\``);
    expect(chartRouter(dir)).toMatchObject({ repository: 'lmcache/lmstack-router', tag: 'latest' });
  });
});
