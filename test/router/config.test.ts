/** Flag → configuration mapping: defaults of the flag table, list parsing and the Kubernetes discovery options. */
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../router/config/config.js';
import { FLAGS, parseRouterArgv } from '../../schema/facts/router-flags.js';

function config(args: string[], env: NodeJS.ProcessEnv = {}) {
  const commandLine = parseRouterArgv(args);
  if (commandLine.action !== 'run') throw new Error(`parsed as ${commandLine.action}`);
  return buildConfig(commandLine, env);
}

describe('router configuration', () => {
  it('builds the Kubernetes discovery options from the k8s flags and VLLM_API_KEY', () => {
    const c = config(
      [
        '--service-discovery',
        'k8s',
        '--routing-logic',
        'roundrobin',
        '--k8s-namespace',
        'llm',
        '--k8s-port',
        '8080',
        '--k8s-label-selector',
        'environment=router',
        '--k8s-service-discovery-type',
        'service-name',
        '--k8s-watcher-timeout-seconds',
        '30',
        '--backend-health-check-timeout-seconds',
        '3',
        '--k8s-api-loss-threshold-seconds',
        '90',
      ],
      { VLLM_API_KEY: 'secret' },
    );
    expect(c.discovery).toEqual({
      kind: 'k8s',
      options: {
        namespace: 'llm',
        port: 8080,
        labelSelector: 'environment=router',
        type: 'service-name',
        watcherTimeoutSeconds: 30,
        healthCheckTimeoutSeconds: 3,
        apiKey: 'secret',
        apiServerLossThresholdSeconds: 90,
        maxBodyBytes: 2097152,
      },
    });
  });

  it('uses the vllm_router defaults of the flag table', () => {
    const c = config(['--service-discovery', 'k8s', '--routing-logic', 'roundrobin']);
    expect(c.discovery).toEqual({
      kind: 'k8s',
      options: {
        namespace: 'default',
        port: 8000,
        labelSelector: '',
        type: 'pod-ip',
        watcherTimeoutSeconds: 0,
        healthCheckTimeoutSeconds: 10,
        apiServerLossThresholdSeconds: 60,
        maxBodyBytes: 2097152,
      },
    });
    expect(c.port).toBe(8001);
    expect(c.host).toBe('0.0.0.0');
    expect(c.engineStatsIntervalSeconds).toBe(30);
    expect(c.requestStatsWindowSeconds).toBe(60);
    expect(c.logStatsIntervalSeconds).toBe(10);
    expect(FLAGS.find((f) => f.name === 'port')!.default).toBe(8001);
  });

  it('splits P/D labels into exact lists and pairs static backends with models, labels and types', () => {
    const c = config([
      '--service-discovery',
      'static',
      '--static-backends',
      'http://a.svc:8000/,http://10.0.0.2:8000',
      '--static-models',
      'm1,m2',
      '--static-model-labels',
      'pre,',
      '--static-model-types',
      'chat,completion',
      '--routing-logic',
      'disaggregated_prefill',
      '--prefill-model-labels',
      'pre, pre-b',
      '--decode-model-labels',
      'dec',
      '--static-aliases',
      'small:m1',
    ]);
    expect(c.prefillLabels).toEqual(['pre', 'pre-b']);
    expect(c.decodeLabels).toEqual(['dec']);
    expect(c.discovery.kind === 'static' && c.discovery.options.backends).toEqual([
      { url: 'http://a.svc:8000', model: 'm1', label: 'pre', modelType: 'chat' },
      { url: 'http://10.0.0.2:8000', model: 'm2', label: 'default', modelType: 'completion' },
    ]);
    expect([...c.aliases]).toEqual([['small', 'm1']]);
  });

  it('P/D flags: defaults keep every request disaggregated and fail to the decode engines; other logics refuse them', () => {
    const pd = ['--service-discovery', 'k8s', '--routing-logic', 'disaggregated_prefill'];
    const c = config([...pd, '--prefill-model-labels', 'p', '--decode-model-labels', 'd']);
    expect([c.pdFallback, c.pdMinPromptTokens, c.pdMaxPrefillQueue]).toEqual(['decode', 0, undefined]);
    expect(c.pdDispatch).toBe('serial');
    expect(() =>
      config([...pd, '--prefill-model-labels', 'p', '--decode-model-labels', 'd', '--pd-dispatch', 'concurrent']),
    ).toThrow(
      "--pd-dispatch concurrent needs --routing-logic disaggregated_prefill_orchestrated (the decode leg carries vLLM's push-mode kv_transfer_params)",
    );
    for (const flag of [
      '--pd-fallback=error',
      '--pd-min-prompt-tokens=256',
      '--pd-max-prefill-queue=4',
      '--pd-dispatch=serial',
    ]) {
      expect(() => config(['--service-discovery', 'k8s', '--routing-logic', 'roundrobin', flag])).toThrow(
        `${flag.split('=')[0]} applies to the P/D routing logics only (disaggregated_prefill, disaggregated_prefill_orchestrated), not roundrobin`,
      );
    }
  });
});
