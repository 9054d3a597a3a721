/**
 * The cdk8s app behind `npx cdk8s synth` (cdk8s.yaml): compiles the values file named by `PDSTACK_VALUES`
 * (default: the bundled example, `charts/example/values.yaml`) for release `PDSTACK_RELEASE` (default `pd`)
 * and namespace `PDSTACK_NAMESPACE` (default `default`) into `dist/pdstack.k8s.yaml`.
 * With `PDSTACK_CHART_DIR=DIR` it also writes the Helm chart of the same values into DIR, exactly as
 * `pdstack chart -f VALUES -o DIR` does (chart version: `PDSTACK_CHART_VERSION`, default the pdstack version):
 *   PDSTACK_VALUES=my-values.yaml PDSTACK_CHART_DIR=chart npx cdk8s synth
 * Invalid values: the diagnostics on stderr and exit 1 (cdk8s shows the app's stderr only).
 */
import { join, relative } from 'node:path';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE } from '../schema/facts/names.js';
import { formatDiagnostic, hasErrors, loadValuesFile } from '../schema/index.js';
import { PACKAGE_ROOT } from '../schema/paths.js';
import { compileChart } from './helm/chart.js';
import { buildApp } from './synth.js';

/** The bundled example values: the tutorial's spec with its peer host fixed for release `pd`. */
export const EXAMPLE_VALUES = join(PACKAGE_ROOT, 'charts', 'example', 'values.yaml');

function main(): number {
  const file = process.env.PDSTACK_VALUES || EXAMPLE_VALUES;
  const release = process.env.PDSTACK_RELEASE || DEFAULT_RELEASE;
  const namespace = process.env.PDSTACK_NAMESPACE || DEFAULT_NAMESPACE;
  const { values, diagnostics } = loadValuesFile(file, { release, namespace });
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(diagnostics)) return 1;
  buildApp(values, { release, namespace }).app.synth();
  const chartDir = process.env.PDSTACK_CHART_DIR;
  if (chartDir) {
    const chartVersion = process.env.PDSTACK_CHART_VERSION || undefined;
    const valuesFile = relative(process.cwd(), file) || file;
    try {
      const warning = compileChart(values, { valuesFile, outDir: chartDir, release, chartVersion });
      if (warning) process.stderr.write(`${warning}\n`);
    } catch (e) {
      process.stderr.write(`pdstack: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = main();
