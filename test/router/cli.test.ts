/**
 * The command line: vllm_router's flags (both `--flag value` and `--flag=value`), validation, unsupported features,
 * `--version`; every problem is one line on stderr and a non-zero exit, never a stack trace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runRouter, spawnRouter, stopAll } from '../sim/processes.js';

afterAll(stopAll, 30_000);

const base = [
  '--service-discovery',
  'static',
  '--static-backends',
  'http://127.0.0.1:9',
  '--static-models',
  'm',
  '--port',
  '0',
  '--host',
  '127.0.0.1',
];

const failures: [string, string[], RegExp][] = [
  ['no routing logic', base, /--routing-logic is required/],
  ['no service discovery', ['--routing-logic', 'roundrobin'], /--service-discovery is required/],
  ['an invalid choice', [...base, '--routing-logic', 'random'], /argument --routing-logic: invalid choice: 'random'/],
  [
    'an invalid int',
    [...base, '--routing-logic', 'roundrobin', '--engine-stats-interval', 'ten'],
    /argument --engine-stats-interval: invalid int value: 'ten'/,
  ],
  ['a missing value', [...base, '--routing-logic'], /argument --routing-logic: expected one argument/],
  [
    'an unknown flag',
    [...base, '--routing-logic', 'roundrobin', '--bogus', '1'],
    /unrecognized arguments: --bogus 1$/m,
  ],
  [
    'a misspelt flag, with a did-you-mean',
    [...base, '--routing-logic', 'roundrobin', '--log-stat'],
    /unrecognized arguments: --log-stat \(did you mean --log-stats\?\)$/m,
  ],
  [
    'a zero interval',
    [...base, '--routing-logic', 'roundrobin', '--engine-stats-interval', '0'],
    /argument --engine-stats-interval: must be greater than 0 \(got 0\)/,
  ],
  ['session without a key', [...base, '--routing-logic', 'session'], /--session-key is required/],
  [
    'P/D without labels',
    [...base, '--routing-logic', 'disaggregated_prefill'],
    /--prefill-model-labels and --decode-model-labels are required/,
  ],
  [
    'static without models',
    ['--service-discovery', 'static', '--static-backends', 'http://a.b:1', '--routing-logic', 'roundrobin'],
    /--static-models is required/,
  ],
  [
    'mismatched lists',
    [
      '--service-discovery',
      'static',
      '--static-backends',
      'http://a.b:1,http://c.d:2',
      '--static-models',
      'm',
      '--routing-logic',
      'roundrobin',
    ],
    /one model per backend \(2 backends, 1 models\)/,
  ],
  [
    'an invalid URL',
    [
      '--service-discovery',
      'static',
      '--static-backends',
      'ftp://x',
      '--static-models',
      'm',
      '--routing-logic',
      'roundrobin',
    ],
    /invalid URL 'ftp:\/\/x'/,
  ],
  [
    'health checks without types',
    [...base, '--routing-logic', 'roundrobin', '--static-backend-health-checks'],
    /--static-model-types is required/,
  ],
  [
    'a bad model type',
    [...base, '--routing-logic', 'roundrobin', '--static-model-types', 'video'],
    /invalid type 'video'/,
  ],
  [
    'a sentry rate out of range',
    [...base, '--routing-logic', 'roundrobin', '--sentry-traces-sample-rate', '2'],
    /between 0 and 1/,
  ],
  ['kvaware', [...base, '--routing-logic', 'kvaware'], /kvaware routing .* is not supported by pdstack-router/],
  [
    'the batch API',
    [...base, '--routing-logic', 'roundrobin', '--enable-batch-api'],
    /--enable-batch-api: the batch and files API is not supported by pdstack-router/,
  ],
  [
    'file storage',
    [...base, '--routing-logic', 'roundrobin', '--file-storage-path', '/tmp/x'],
    /not supported by pdstack-router/,
  ],
  [
    'the semantic cache',
    [...base, '--routing-logic', 'roundrobin', '--semantic-cache-model', 'x'],
    /the semantic cache is not supported by pdstack-router/,
  ],
  [
    'a feature gate',
    [...base, '--routing-logic', 'roundrobin', '--feature-gates', 'SemanticCache=true'],
    /feature SemanticCache is not supported/,
  ],
  [
    'dynamic config',
    [...base, '--routing-logic', 'roundrobin', '--dynamic-config-json', 'c.json'],
    /dynamic configuration is not supported/,
  ],
  [
    'external providers',
    [...base, '--routing-logic', 'roundrobin', '--external-providers-config', 'p.yaml'],
    /external providers is not supported/,
  ],
  [
    'callbacks',
    [...base, '--routing-logic', 'roundrobin', '--callbacks', 'a.b.c'],
    /Python callbacks is not supported/,
  ],
];

describe('pdstack-router command line', { timeout: 30_000 }, () => {
  it('--version prints "pdstack-router <version>"', async () => {
    const r = await runRouter(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pdstack-router \d+\.\d+\.\d+\n$/);
  });

  it('--help lists every flag on stdout and exits 0, even after an unknown flag', async () => {
    const r = await runRouter(['--bogus', '--help']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: pdstack-router \[options\]/);
    expect(r.stdout).toMatch(
      /--routing-logic <string> +routing logic \(choices: "roundrobin", "session", "kvaware", "prefixaware", "disaggregated_prefill", "disaggregated_prefill_orchestrated"\)/,
    );
    expect(r.stdout).toMatch(
      /--shutdown-grace-seconds <float> +on SIGTERM, time allowed to in-flight requests before exiting \(default: 30\)/,
    );
  });

  for (const [name, args, message] of failures) {
    it(`rejects ${name} with one line and exit 2`, async () => {
      const r = await runRouter(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^pdstack-router: error: /);
    });
  }

  it('a port already in use: one line, exit 1', async () => {
    const first = await spawnRouter([...base, '--routing-logic', 'roundrobin']);
    const r = await runRouter([
      ...base.slice(0, -4),
      '--port',
      String(first.port),
      '--host',
      '127.0.0.1',
      '--routing-logic',
      'roundrobin',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^pdstack-router: error: .*EADDRINUSE/);
  });

  it('accepts --flag=value and underscore spellings, --root-path, and accepted-but-inert compatibility flags', async () => {
    const r = await spawnRouter([
      '--service-discovery=static',
      '--static-backends=http://127.0.0.1:9',
      '--static_models=m',
      '--port=0',
      '--host=127.0.0.1',
      '--routing-logic=roundrobin',
      '--request-rewriter',
      'noop',
      '--log-level',
      'debug',
      '--otel-service-name',
      'x',
      '--log-format',
      'json',
      '--root-path=/api',
    ]);
    const health = await fetch(`${r.url}/health`);
    expect(health.status).toBe(200);
    const behindProxy = await fetch(`${r.url}/api/version`);
    expect(((await behindProxy.json()) as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await r.stop()).toBe(0);
  });
});
