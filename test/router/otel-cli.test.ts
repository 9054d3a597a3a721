/**
 * `--otel-endpoint` on the command line: a bad endpoint is one usage line and exit 2 (as every command-line problem),
 * never a start that fails later; an empty one turns tracing off, as in vllm_router.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runRouter, spawnRouter, stopAll } from '../sim/processes.js';
import { staticArgs } from './fixtures.js';

afterAll(stopAll, 30_000);

const base = staticArgs(['http://127.0.0.1:9'], 'roundrobin');

describe('--otel-endpoint', { timeout: 30_000 }, () => {
  const bad: [string[], string][] = [
    [
      ['--otel-endpoint', 'ftp://collector:4317'],
      "argument --otel-endpoint: 'ftp://collector:4317' has the scheme ftp (expected host:port for OTLP/gRPC (e.g. otel-collector:4317) or http(s)://host:port/v1/traces for OTLP/HTTP)",
    ],
    [
      ['--otel-endpoint=http://collector:4318/v1/metrics'],
      "argument --otel-endpoint: 'http://collector:4318/v1/metrics' has a path other than /v1/traces",
    ],
    [
      ['--otel-endpoint', 'http://collector:4318/v1/traces', '--otel-secure'],
      "argument --otel-endpoint: 'http://collector:4318/v1/traces' is plain HTTP while --otel-secure asks for TLS: use https://",
    ],
    [
      ['--otel-endpoint', 'collector:4317', '--otel-service-name', ''],
      'argument --otel-service-name: must not be empty',
    ],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')} with one line and exit 2`, async () => {
      const r = await runRouter([...base, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`pdstack-router: error: ${message}`)]);
    });
  }

  it('an empty endpoint turns tracing off', async () => {
    const r = await spawnRouter([...base, '--otel-endpoint', '', '--otel-secure']);
    expect((await fetch(`${r.url}/health`)).status).toBe(200);
    expect(r.stdout()).not.toContain('OpenTelemetry');
    expect(await r.stop()).toBe(0);
  });

  it('--help documents the OTel flags', async () => {
    const r = await runRouter(['--help']);
    expect(r.stdout).toMatch(/--otel-endpoint <string>\s+export traces over OTLP\/gRPC to host:port/);
    expect(r.stdout).toMatch(/--otel-secure\s+TLS to an OTLP\/gRPC endpoint/);
    expect(r.stdout).not.toMatch(/--otel-endpoint[^\n]*not supported/);
  });
});
