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
import { Command, CommanderError, Option } from 'commander';
import { didYouMean } from '../schema/facts/did-you-mean.js';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE } from '../schema/facts/names.js';
import { USAGE_EXIT_CODE, UsageError } from '../schema/facts/usage-error.js';
import { formatDiagnostic, hasErrors, loadValuesFile, type LoadResult } from '../schema/index.js';
import { version } from '../package.json';
import { refuseSymlinkInside } from './helm/out-dir.js';

/** SemVer 2 (what Helm requires of a chart version). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

interface Options {
  readonly values?: string;
  readonly release?: string;
  readonly namespace?: string;
  readonly output?: string;
  readonly chartVersion?: string;
}

/** Every option of a subcommand, with the text `--help` shows; each subcommand takes some of them. */
const OPTIONS = {
  values: ['-f, --values <file>', 'the values file (production-stack format, e.g. values-16-disagg-prefill.yaml)'],
  release: ['-r, --release <name>', `the release name objects are named after (default ${DEFAULT_RELEASE})`],
  namespace: [
    '-n, --namespace <ns>',
    `the namespace of the objects and of the router's discovery (default ${DEFAULT_NAMESPACE})`,
  ],
  output: [
    '-o, --output <dir>',
    'synth: directory to write pdstack.k8s.yaml into, or - for stdout; chart: the chart directory (created, or replaced if pdstack generated it)',
  ],
  chartVersion: [
    '--chart-version <x>',
    "chart: the chart's version (SemVer, default the pdstack version); chart: --release names the release the values' peer hosts (nixlPeerHost) were written for",
  ],
} as const;

const COMMANDS = {
  validate: { args: '-f VALUES [--release NAME] [--namespace NS]', options: ['values', 'release', 'namespace'] },
  synth: {
    args: '   -f VALUES [--release NAME] [--namespace NS] -o DIR|-',
    options: ['values', 'release', 'namespace', 'output'],
  },
  chart: {
    args: '   -f VALUES [--release NAME] -o DIR [--chart-version X]',
    options: ['values', 'release', 'output', 'chartVersion'],
  },
} as const satisfies Record<string, { args: string; options: readonly (keyof typeof OPTIONS)[] }>;

const option = (key: keyof typeof OPTIONS): Option => new Option(OPTIONS[key][0], OPTIONS[key][1]);

const USAGE = [
  'usage:',
  ...Object.entries(COMMANDS).map(([name, { args }]) => `  pdstack ${name} ${args}`),
  '  pdstack --version',
  '  pdstack COMMAND --help',
  '',
  ...Object.values(OPTIONS).map(([flags, text]) => `  ${flags.replace(/ <.*/, '').padEnd(17)}${text}`),
  '',
].join('\n');

type Parsed =
  | { readonly command: keyof typeof COMMANDS; readonly options: Options }
  | { readonly print: string; readonly code: number };

/** An option that another subcommand takes: today's one-line reason for this one. */
function notTaken(command: string, flag: string): string | undefined {
  const other = (Object.keys(OPTIONS) as (keyof typeof OPTIONS)[])
    .map(option)
    .find((o) => [o.short, o.long].includes(flag.replace(/=.*/, '')));
  if (!other) return undefined;
  if (command === 'chart' && other.long === '--namespace')
    return 'chart takes no --namespace: the chart installs into the release namespace (helm install -n NS)';
  return `${command} takes no ${other.long === '--output' ? '-o' : other.long}`;
}

function parse(argv: string[]): Parsed {
  let out = '';
  let chosen: Parsed | undefined;
  const program = new Command('pdstack')
    .version(`pdstack ${version}`, '--version')
    .helpOption('-h, --help')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (text) => (out += text), writeErr: () => undefined, outputError: () => undefined });
  for (const [name, { args, options }] of Object.entries(COMMANDS)) {
    const command = program.command(name).usage(args.trim()).allowExcessArguments();
    for (const key of options) command.addOption(option(key));
    command.action((opts: Options, cmd: Command) => {
      if (cmd.args.length > 0) throw new UsageError(`unexpected argument '${cmd.args[0]}'`);
      chosen = { command: name as keyof typeof COMMANDS, options: opts };
    });
  }
  program.configureHelp({ formatHelp: () => USAGE }); // the subcommands keep commander's help of their options
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return { print: out, code: 0 }; // --help, help [COMMAND], --version
    if (e.code === 'commander.help') return { print: USAGE, code: USAGE_EXIT_CODE }; // no command
    const command = argv.find((a): a is keyof typeof COMMANDS => Object.hasOwn(COMMANDS, a));
    const unknown = /^error: unknown option '([^']+)'/.exec(e.message)?.[1];
    if (command !== undefined && unknown !== undefined) {
      const near = didYouMean(
        unknown,
        COMMANDS[command].options.map((k) => option(k).long ?? ''),
      );
      throw new UsageError(
        notTaken(command, unknown) ?? `unknown option '${unknown}'${near ? ` (did you mean ${near}?)` : ''}`,
      );
    }
    throw new UsageError(e.message.replace(/^error: /, '').replace(/\n/g, ' '));
  }
  if (!chosen) throw new UsageError('no command'); // commander ran an action or threw
  return chosen;
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
  const parsed = parse(argv);
  if ('print' in parsed) {
    process.stdout.write(parsed.print);
    return parsed.code;
  }
  const { command, options } = parsed;
  switch (command) {
    case 'validate': {
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
      const { chartVersion } = options;
      if (chartVersion !== undefined && !SEMVER.test(chartVersion))
        throw new UsageError(`--chart-version '${chartVersion}' is not a SemVer version (e.g. 1.2.3)`);
      refuseSymlinkInside(options.output); // before the values are read: the refusal is the only line, at once
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
  }
}

// `pdstack synth -o - | head`: the reader went away, so there is no one to tell; stop quietly as other Unix tools do
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`pdstack: cannot write the output: ${e.message}\n`);
  process.exit(1);
});

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
