/**
 * The router image: pdstack-router's by default; production-stack's router image when the values name it, with a
 * warning at that line, or an error where the named image rejects a flag the chart passes it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTER_IMAGE } from '../../schema/schema.js';
import { loadValuesFile, loadValuesText } from '../../schema/index.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';
import { diagnose, fixture, FIXTURES, TUTORIAL_ROUTER_ERROR, variant, where } from './helpers.js';

const TUTORIAL = fixture('tutorial-16-fixed.yaml');
const routerDiagnostics = (text: string): string[] =>
  diagnose(text)
    .filter((d) => d.path.startsWith('routerSpec'))
    .map((d) => `${where(d)}: ${d.message}`);
const WARNING = (image: string): string =>
  `\`${image}\` is production-stack's Python router: one prefill and one decode endpoint (no balancing over replicas), ` +
  'deleted pods kept as endpoints, engine errors answered as 200; to deploy pdstack-router instead set ' +
  `\`repository: ${ROUTER_IMAGE.repository}\` and \`tag: "${ROUTER_IMAGE.tag}"\``;

describe('router image', () => {
  it("defaults to pdstack-router's image, tagged with the package.json version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(ROUTER_IMAGE.tag).toBe(version);
    const { values, diagnostics } = loadValuesText('routerSpec: {}\n', 'v.yaml');
    expect(diagnostics.filter((d) => d.path.startsWith('routerSpec'))).toEqual([]);
    expect([values.routerSpec?.repository, values.routerSpec?.tag]).toEqual([ROUTER_IMAGE.repository, version]);
  });

  it('the bundled example deploys pdstack-router, with no diagnostic about it', () => {
    const { values, diagnostics } = loadValuesFile(EXAMPLE_VALUES_FILE);
    expect(diagnostics.filter((d) => d.path.startsWith('routerSpec'))).toEqual([]);
    expect(`${values.routerSpec?.repository}:${values.routerSpec?.tag}`).toBe(
      `${ROUTER_IMAGE.repository}:${ROUTER_IMAGE.tag}`,
    );
  });

  it("the tutorial's lmcache/lmstack-router:pd is an error at its tag: it predates --k8s-service-discovery-type", () => {
    expect(routerDiagnostics(TUTORIAL)).toEqual([`71:3 error routerSpec.tag: ${TUTORIAL_ROUTER_ERROR}`]);
    expect(
      loadValuesFile(join(FIXTURES, 'tutorial-16.yaml'))
        .diagnostics.filter((d) => d.severity === 'error')
        .map(where),
    ).toEqual(['29:9 error servingEngineSpec.modelSpec[0].lmcacheConfig.nixlPeerHost', '71:3 error routerSpec.tag']);
  });

  it("production-stack's router image with another tag compiles, with a warning at its repository line", () => {
    const latest = variant(TUTORIAL, ['tag: "pd"', 'tag: "latest"']);
    expect(routerDiagnostics(latest)).toEqual([
      `70:3 warning routerSpec.repository: ${WARNING('lmcache/lmstack-router:latest')}`,
    ]);
    const { values } = loadValuesText(latest, 'v.yaml');
    expect([values.routerSpec?.repository, values.routerSpec?.tag]).toEqual(['lmcache/lmstack-router', 'latest']);
    const ghcr = variant(TUTORIAL, ['"lmcache/lmstack-router"', 'ghcr.io/vllm-project/production-stack/router']);
    expect(routerDiagnostics(ghcr)).toEqual([
      `70:3 warning routerSpec.repository: ${WARNING('ghcr.io/vllm-project/production-stack/router:pd')}`,
    ]);
  });

  it('the pd tag is only a warning where the chart does not pass the flag (static discovery)', () => {
    const staticDiscovery = variant(TUTORIAL, [
      '  enableRouter: true\n',
      '  enableRouter: true\n  serviceDiscovery: static\n  staticBackends: http://a:8000,http://b:8000\n' +
        '  staticModels: m,m\n',
    ]);
    expect(routerDiagnostics(staticDiscovery)).toEqual([
      `73:3 warning routerSpec.repository: ${WARNING('lmcache/lmstack-router:pd')}`,
    ]);
  });
});
