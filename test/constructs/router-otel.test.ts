/**
 * `routerSpec.otel` → the router's `--otel-*` flags, as production-stack's deployment-router.yaml passes them: the
 * facts its `helm/tests/routerOtel_test.yaml` asserts, on pdstack's render, plus order and the empty service name.
 */
import { describe, expect, it } from 'vitest';
import type { RouterSpec } from '../../schema/values.generated.js';
import { validateKubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

const engine = { name: 'm', repository: 'r', tag: 't', modelURL: 'u', requestCPU: 1, requestMemory: '1Gi' };

function routerArgs(routerSpec: RouterSpec): string[] {
  const objects = synthStack({ servingEngineSpec: { modelSpec: [engine] }, routerSpec });
  const deployment = find(objects, 'Deployment', 'pd-deployment-router');
  validateKubeObject(deployment);
  return deployment.spec.template.spec.containers[0].args as string[];
}

describe("routerSpec.otel (production-stack's routerOtel_test.yaml, on pdstack's render)", () => {
  it('should not include otel args when endpoint is not set', () => {
    expect(routerArgs({ enableRouter: true, otel: { endpoint: '' } })).not.toContain('--otel-endpoint');
    expect(routerArgs({ enableRouter: true }).filter((a) => a.startsWith('--otel'))).toEqual([]);
  });

  it('should include otel args when endpoint is set', () => {
    const args = routerArgs({
      enableRouter: true,
      otel: { endpoint: 'otel-collector:4317', serviceName: 'vllm-router', secure: false },
    });
    expect(args).toContain('--otel-endpoint');
    expect(args).toContain('otel-collector:4317');
    expect(args).toContain('--otel-service-name');
    expect(args).toContain('vllm-router');
    expect(args).not.toContain('--otel-secure');
  });

  it('should use custom service name when specified', () => {
    const args = routerArgs({
      enableRouter: true,
      otel: { endpoint: 'jaeger:4317', serviceName: 'my-custom-router', secure: false },
    });
    expect(args).toContain('my-custom-router');
  });

  it('should include otel-secure flag when secure is true', () => {
    const args = routerArgs({
      enableRouter: true,
      otel: { endpoint: 'otel-collector:4317', serviceName: 'vllm-router', secure: true },
    });
    expect(args).toContain('--otel-endpoint');
    expect(args).toContain('--otel-secure');
  });

  it('passes them last, after extraArgs, in production-stack order; an empty service name is vllm-router', () => {
    const args = routerArgs({
      extraArgs: ['--log-level', 'debug'],
      otel: { endpoint: 'http://otel:4318/v1/traces', serviceName: '', secure: false },
    });
    expect(args.slice(-6)).toEqual([
      '--log-level',
      'debug',
      '--otel-endpoint',
      'http://otel:4318/v1/traces',
      '--otel-service-name',
      'vllm-router',
    ]);
    expect(routerArgs({ otel: { endpoint: 'otel:4317', serviceName: 'r', secure: true } }).slice(-5)).toEqual([
      '--otel-endpoint',
      'otel:4317',
      '--otel-service-name',
      'r',
      '--otel-secure',
    ]);
  });

  it('secure without an endpoint renders nothing', () => {
    expect(routerArgs({ otel: { secure: true, serviceName: 'x' } }).filter((a) => a.startsWith('--otel'))).toEqual([]);
  });
});
