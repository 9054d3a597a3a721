/** The router's one parser: what the router and the checks of `routerSpec.extraArgs` both read. */
import { describe, expect, it } from 'vitest';
import { FLAGS, parseRouterArgv, RouterArgError } from '../../../schema/facts/router-flags.js';

function run(argv: string[]) {
  const parsed = parseRouterArgv(argv);
  if (parsed.action !== 'run') throw new Error(`parsed as ${parsed.action}`);
  return parsed;
}

function failure(argv: string[]): RouterArgError {
  try {
    parseRouterArgv(argv);
  } catch (e) {
    if (e instanceof RouterArgError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('parseRouterArgv', () => {
  it('types each flag as its table says, with the table defaults for flags not given', () => {
    const { args, given } = run(['--port', '9000', '--engine-stats-timeout-seconds=2.5', '--log-stats']);
    expect(args.port).toBe(9000);
    expect(args.engineStatsTimeoutSeconds).toBe(2.5);
    expect(args.logStats).toBe(true);
    expect(args.host).toBe('0.0.0.0');
    expect(args.k8sServiceDiscoveryType).toBe('pod-ip');
    expect(args.staticBackendHealthChecks).toBe(false);
    expect(args.routingLogic).toBeUndefined();
    expect([...given]).toEqual(['port', 'engine-stats-timeout-seconds', 'log-stats']);
    for (const f of FLAGS.filter((f) => f.kind === 'bool')) expect(f.default, f.name).toBe(false);
  });

  it('takes the underscore spellings and records where each value is (the last one of a repeated flag)', () => {
    const { args, positions } = run([
      '--prefill_model_labels',
      'p',
      '--log-stats',
      '--decode_model_labels=d',
      '--prefill-model-labels',
      'p2',
    ]);
    expect(args.prefillModelLabels).toBe('p2');
    expect(args.decodeModelLabels).toBe('d');
    expect(Object.fromEntries(positions)).toEqual({
      'prefill-model-labels': 5,
      'log-stats': 2,
      'decode-model-labels': 3,
    });
  });

  it.each([
    [['--port', '1', '--prot', '2'], 2, 'unrecognized arguments: --prot 2 (did you mean --port?)'],
    [['--bogus', '1'], 0, 'unrecognized arguments: --bogus 1'],
    [['--session-key', 'x', '--port', 'ten'], 3, "argument --port: invalid int value: 'ten'"],
    [
      ['--routing-logic', 'random'],
      1,
      "argument --routing-logic: invalid choice: 'random' (choose from 'roundrobin', 'session', 'kvaware', 'prefixaware', 'disaggregated_prefill', 'disaggregated_prefill_orchestrated')",
    ],
    [['--session-key', '--port', '1'], 0, 'argument --session-key: expected one argument'],
    [['--port', '1', '--session-key'], 2, 'argument --session-key: expected one argument'],
    [['--log-stats=yes'], 0, "argument --log-stats: ignored explicit argument 'yes'"],
    [['--max-connections', '0'], 1, 'argument --max-connections: must be greater than 0 (got 0)'],
    [['--port', '65536'], 1, 'argument --port: must be between 0 and 65535 (got 65536)'],
    [
      ['--shutdown-grace-seconds=1e308'],
      0,
      'argument --shutdown-grace-seconds: must be between 0 and 3600 (got 1e308)',
    ],
    [
      ['--max-instance-failover-reroute-attempts', '-1'],
      1,
      'argument --max-instance-failover-reroute-attempts: must not be negative (got -1)',
    ],
    [
      ['--client-header-timeout-seconds', '400'],
      1,
      'argument --client-header-timeout-seconds: must not be larger than --client-body-timeout-seconds (which includes the headers) (400 > 300)',
    ],
    [
      ['--max-buffered-bytes', '1000', '--port', '1'],
      1,
      'argument --max-request-body-bytes: must not be larger than --max-buffered-bytes (33554432 > 1000)',
    ],
  ])('%j: at item %i, %s', (argv, index, message) => {
    const e = failure(argv);
    expect({ index: e.index, message: e.message }).toEqual({ index, message });
  });

  it('keeps every default inside its range', () => {
    for (const f of FLAGS.filter((f) => 'range' in f)) {
      const argv = [`--${f.name}`, String(f.default ?? 1)];
      expect(() => parseRouterArgv(argv), f.name).not.toThrow();
    }
  });

  it('answers --help (listing every flag with its default) and --version before complaining of unknown flags', () => {
    const help = parseRouterArgv(['--bogus', '--help']);
    expect(help.action).toBe('help');
    if (help.action !== 'help') return;
    for (const f of FLAGS) expect(help.text).toContain(`--${f.name}`);
    expect(help.text).toMatch(/--port <int> +port to listen on \(0 = any free port\) \(default: 8001\)/);
    expect(help.text).toMatch(/--enable-batch-api +not supported \[not supported by pdstack-router\]/);
    expect(parseRouterArgv(['-h']).action).toBe('help');
    expect(parseRouterArgv(['--version', '--bogus']).action).toBe('version');
  });
});
