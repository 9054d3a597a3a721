/**
 * `routerSpec.otel` in the generated chart, under real Helm 3.18.0 and 4.1.4: an install-time knob (a collector's
 * address differs between clusters), rendered as production-stack's deployment-router.yaml renders it (the facts of
 * its routerOtel_test.yaml) and exactly as `pdstack synth` renders the same values; release-aware like the rest.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { helmBinary, type HelmMajor } from '../setup/helm.js';
import { pdstack } from '../support/cli.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { EXAMPLE_VALUES_FILE } from '../support/values.js';
import { container, helm, helmTemplate, installSecretsFile, synth } from './support.js';

vi.setConfig({ testTimeout: 180_000 });

const WORK = mkdtempSync(join(tmpdir(), 'pdstack-otel-chart-test-'));
const binaries = {} as Record<HelmMajor, string>;
let plainChart: string;
let otelChart: string;
let otelValues: string;
let secrets: string[];

/** The bundled example with `otel` under routerSpec, written to WORK/NAME.yaml. */
function exampleWith(name: string, otel: Record<string, unknown>): string {
  const values = load(readFileSync(EXAMPLE_VALUES_FILE, 'utf8')) as Record<string, any>;
  values['routerSpec']['otel'] = otel;
  const file = join(WORK, `${name}.yaml`);
  writeFileSync(file, dump(values));
  return file;
}

function chart(values: string, name: string): string {
  const dir = join(WORK, name);
  const r = pdstack(['chart', '-f', values, '-o', dir]);
  if (r.status !== 0) throw new Error(`pdstack chart -f ${values} failed: ${r.stderr}`);
  return dir;
}

const routerArgs = (objects: Map<string, KubeObject>, release = 'pd'): string[] =>
  container(objects.get(`Deployment/${release}-deployment-router`), 'router-container')['args'] as string[];
const otelTail = (args: readonly string[]): string[] => args.slice(args.findIndex((a) => a.startsWith('--otel')));

beforeAll(async () => {
  const [h3, h4] = await Promise.all([helmBinary(3), helmBinary(4)]);
  binaries[3] = h3;
  binaries[4] = h4;
  otelValues = exampleWith('otel', { endpoint: 'otel-collector.observability:4317', serviceName: 'pd-router' });
  plainChart = chart(EXAMPLE_VALUES_FILE, 'plain');
  otelChart = chart(otelValues, 'with-otel');
  secrets = ['-f', installSecretsFile(EXAMPLE_VALUES_FILE, join(WORK, 'secrets.yaml'))];
}, 600_000);

describe.each([3, 4] as const)('Helm %i: routerSpec.otel', (major) => {
  const template = (chartDir: string, args: readonly string[], release = 'pd') =>
    helmTemplate(binaries[major], release, chartDir, [...secrets, ...args]).objects;

  test('helm lint --strict passes on a chart compiled with otel', () => {
    const r = helm(binaries[major], ['lint', '--strict', otelChart, ...secrets]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  test('the compiled otel renders as pdstack synth renders it, for any release and namespace', () => {
    const objects = template(otelChart, []);
    expect(objects).toEqual(synth(otelValues, 'pd'));
    expect(otelTail(routerArgs(objects))).toEqual([
      '--otel-endpoint',
      'otel-collector.observability:4317',
      '--otel-service-name',
      'pd-router',
    ]);
    // (synth for release `other` would refuse these values: their nixlPeerHost names release pd's decode Service)
    const other = template(otelChart, ['-n', 'team-a'], 'other');
    const args = routerArgs(other, 'other');
    expect(otelTail(args)).toEqual(otelTail(routerArgs(objects)));
    expect(args[args.indexOf('--k8s-namespace') + 1]).toBe('team-a');
    expect(args[args.indexOf('--k8s-label-selector') + 1]).toContain('app.kubernetes.io/instance=other');
    for (const o of other.values()) validateKubeObject(o);
  });

  test("--set routerSpec.otel.* at install time: production-stack's routerOtel_test.yaml facts", () => {
    // should not include otel args when endpoint is not set
    expect(routerArgs(template(plainChart, ['--set', 'routerSpec.otel.endpoint=']))).not.toContain('--otel-endpoint');
    expect(routerArgs(template(otelChart, ['--set', 'routerSpec.otel.endpoint=']))).not.toContain('--otel-endpoint');
    // should include otel args when endpoint is set
    const set = routerArgs(
      template(plainChart, [
        '--set',
        'routerSpec.otel.endpoint=otel-collector:4317',
        '--set',
        'routerSpec.otel.serviceName=vllm-router',
        '--set',
        'routerSpec.otel.secure=false',
      ]),
    );
    expect(otelTail(set)).toEqual(['--otel-endpoint', 'otel-collector:4317', '--otel-service-name', 'vllm-router']);
    // should use custom service name when specified
    expect(
      routerArgs(
        template(plainChart, [
          '--set',
          'routerSpec.otel.endpoint=jaeger:4317',
          '--set',
          'routerSpec.otel.serviceName=my-custom-router',
        ]),
      ),
    ).toContain('my-custom-router');
    // should include otel-secure flag when secure is true
    expect(
      otelTail(
        routerArgs(
          template(plainChart, [
            '--set',
            'routerSpec.otel.endpoint=otel-collector:4317',
            '--set',
            'routerSpec.otel.secure=true',
          ]),
        ),
      ),
    ).toEqual(['--otel-endpoint', 'otel-collector:4317', '--otel-service-name', 'vllm-router', '--otel-secure']);
  });

  test('an install-time otel renders what pdstack synth renders for values carrying it, and nothing else changes', () => {
    const otel = { endpoint: 'https://otlp.example.com/v1/traces', serviceName: 'edge' };
    const objects = template(otelChart, [
      '--set',
      `routerSpec.otel.endpoint=${otel.endpoint}`,
      '--set',
      `routerSpec.otel.serviceName=${otel.serviceName}`,
    ]);
    expect(objects).toEqual(synth(exampleWith('otel-set', otel), 'pd'));
  });
});
