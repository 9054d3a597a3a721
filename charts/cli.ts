#!/usr/bin/env node
/**
 * `pdstack`: validate a production-stack values file, compile it into manifests, or generate a Helm chart.
 *
 *   pdstack validate -f VALUES [--release NAME] [--namespace NS]
 *   pdstack synth    -f VALUES [--release NAME] [--namespace NS] -o DIR|-
 *   pdstack chart    -f VALUES [--release NAME] -o DIR [--chart-version X]
 *
 * Diagnostics go to stderr, one line each (`FILE:LINE:COL: error|warning: KEY.PATH: message`); exit 1 when
 * the values have errors, 2 when the command line is wrong. Never a stack trace.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE } from '../schema/facts/names.js';
import { USAGE_EXIT_CODE, UsageError } from '../schema/facts/usage-error.js';
import { formatDiagnostic, hasErrors, loadValuesFile, type LoadResult } from '../schema/index.js';
import { version } from '../package.json';

const USAGE = `usage:
  pdstack validate -f VALUES [--release NAME] [--namespace NS]
  pdstack synth    -f VALUES [--release NAME] [--namespace NS] -o DIR|-
  pdstack chart    -f VALUES [--release NAME] -o DIR [--chart-version X]
  pdstack --version

  -f, --values     the values file (production-stack format, e.g. values-16-disagg-prefill.yaml)
  -r, --release    the release name objects are named after (default ${DEFAULT_RELEASE})
  -n, --namespace  the namespace of the objects and of the router's discovery (default ${DEFAULT_NAMESPACE})
  -o, --output     synth: directory to write pdstack.k8s.yaml into, or - for stdout; chart: the chart directory
                   (created, or replaced if pdstack generated it)
  --chart-version  chart: the chart's version (SemVer, default the pdstack version)
                   chart: --release names the release the values' peer hosts (nixlPeerHost) were written for
`;

/** SemVer 2 (what Helm requires of a chart version). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const OPTIONS = {
  values: { type: 'string', short: 'f' },
  release: { type: 'string', short: 'r' },
  namespace: { type: 'string', short: 'n' },
  output: { type: 'string', short: 'o' },
  'chart-version': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Options = {
  values?: string;
  release?: string;
  namespace?: string;
  output?: string;
  'chart-version'?: string;
  help?: boolean;
  version?: boolean;
};

function parse(argv: string[]): { command: string | undefined; options: Options } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    return { command: positionals[0], options: values };
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

/** Loads `-f VALUES` and prints its diagnostics, plus the summary line when there are errors. */
function load(options: Options): LoadResult & { release: string; namespace: string; failed: boolean } {
  if (!options.values) throw new UsageError('missing -f VALUES');
  const release = options.release ?? DEFAULT_RELEASE;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const result = loadValuesFile(options.values, { release, namespace });
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  const failed = hasErrors(result.diagnostics);
  if (failed) process.stderr.write(`${summary(options.values, result)}\n`);
  return { ...result, release, namespace, failed };
}

function summary(file: string, result: LoadResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  return errors > 0 ? `${file}: ${errors} error(s), ${warnings} warning(s)` : `${file}: ok (${warnings} warning(s))`;
}

/** `synth` and `chart` load cdk8s (and the chart generator) only when used: `validate` starts in a fraction of the time. */
async function run(argv: string[]): Promise<number> {
  const { command, options } = parse(argv);
  if (options.version) {
    process.stdout.write(`pdstack ${version}\n`);
    return 0;
  }
  if (options.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !options.help ? USAGE_EXIT_CODE : 0;
  }
  if (command !== 'chart' && options['chart-version'] !== undefined)
    throw new UsageError(`${command} takes no --chart-version`);
  switch (command) {
    case 'validate': {
      if (options.output !== undefined) throw new UsageError('validate takes no -o');
      const result = load(options);
      if (result.failed) return 1;
      process.stderr.write(`${summary(options.values ?? '', result)}\n`);
      return 0;
    }
    case 'synth': {
      if (options.output === undefined) throw new UsageError('synth needs -o DIR (or -o - for stdout)');
      const result = load(options);
      if (result.failed) return 1;
      const { buildApp, synthYaml } = await import('./synth.js');
      const synthOptions = { release: result.release, namespace: result.namespace };
      if (options.output === '-') {
        process.stdout.write(synthYaml(result.values, synthOptions));
      } else {
        mkdirSync(options.output, { recursive: true });
        buildApp(result.values, { ...synthOptions, outdir: options.output }).app.synth();
        process.stderr.write(`wrote ${options.output}/pdstack.k8s.yaml\n`);
      }
      return 0;
    }
    case 'chart': {
      if (options.output === undefined || options.output === '-') throw new UsageError('chart needs -o DIR');
      if (options.namespace !== undefined)
        throw new UsageError(
          'chart takes no --namespace: the chart installs into the release namespace (helm install -n NS)',
        );
      const chartVersion = options['chart-version'];
      if (chartVersion !== undefined && !SEMVER.test(chartVersion))
        throw new UsageError(`--chart-version '${chartVersion}' is not a SemVer version (e.g. 1.2.3)`);
      const result = load(options);
      if (result.failed) return 1;
      const { compileChart } = await import('./helm/chart.js');
      const warning = compileChart(result.values, {
        valuesFile: options.values ?? '',
        outDir: options.output,
        release: result.release,
        chartVersion,
      });
      if (warning) process.stderr.write(`${warning}\n`);
      process.stderr.write(`wrote chart ${options.output}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`pdstack: ${e.message}\n${USAGE}`);
      process.exitCode = USAGE_EXIT_CODE;
    } else {
      process.stderr.write(`pdstack: ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  },
);
