import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { RouterHttpRoute } from '../../constructs/router-route.js';
import type { KubeObject } from '../support/kube-validate.js';
import { find, routerStack } from '../support/synth.js';
import { loadValuesText } from '../../schema/index.js';

const routes = (objects: KubeObject[]): ReturnType<typeof find>[] =>
  objects.filter((o) => o.kind === 'HTTPRoute') as ReturnType<typeof find>[];

describe('RouterHttpRoute', () => {
  it("renders production-stack's routes in key order: main is <release>-router, others <release>-router-NAME", () => {
    const objects = routerStack({
      route: {
        main: {
          enabled: true,
          annotations: { 'custom-annotation': 'custom-value' },
          labels: { 'custom-label': 'custom-value' },
          hostnames: ['main.example.com'],
          parentRefs: [{ name: 'gateway', namespace: 'default' }],
        },
        api: {
          enabled: true,
          apiVersion: 'gateway.networking.k8s.io/v1beta1',
          hostnames: ['{{ .Release.Name }}.example.com'],
          parentRefs: [{ name: 'gateway-2', namespace: 'default' }],
          matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { add: [{ name: 'X-Custom-Header', value: 'custom-value' }] },
            },
          ],
          additionalRules: [
            {
              backendRefs: [{ name: '{{ $.Release.Name }}-router-service', port: 8080 }],
              matches: [{ path: { type: 'PathPrefix', value: '/test' } }],
            },
          ],
        },
        off: { enabled: false },
      },
    });
    expect(routes(objects).map((r) => r.metadata.name)).toEqual(['vllm-router-api', 'vllm-router']);
    const main = find(objects, 'HTTPRoute', 'vllm-router');
    expect(main.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(main.metadata).toEqual({
      name: 'vllm-router',
      namespace: 'default',
      annotations: { 'custom-annotation': 'custom-value' },
      labels: { environment: 'router', release: 'router', 'custom-label': 'custom-value' },
    });
    expect(main.spec).toEqual({
      parentRefs: [{ name: 'gateway', namespace: 'default' }],
      hostnames: ['main.example.com'],
      rules: [
        {
          backendRefs: [{ name: 'vllm-router-service', port: 80 }],
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        },
      ],
    });
    const api = find(objects, 'HTTPRoute', 'vllm-router-api');
    expect(api.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(api.metadata.labels).toEqual({ environment: 'router', release: 'router' });
    expect(api.spec.hostnames).toEqual(['vllm.example.com']);
    expect(api.spec.rules).toEqual([
      {
        backendRefs: [{ name: 'vllm-router-service', port: 8080 }],
        matches: [{ path: { type: 'PathPrefix', value: '/test' } }],
      },
      {
        backendRefs: [{ name: 'vllm-router-service', port: 80 }],
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { add: [{ name: 'X-Custom-Header', value: 'custom-value' }] },
          },
        ],
        matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
      },
    ]);
  });

  it("redirects to https with production-stack's rule, after the additional rules", () => {
    const objects = routerStack({
      route: {
        main: {
          enabled: true,
          httpsRedirect: true,
          parentRefs: [{ name: 'gateway', sectionName: 'http' }],
          additionalRules: [{ backendRefs: [{ name: 'other', port: 80 }] }],
        },
      },
    });
    expect(find(objects, 'HTTPRoute', 'vllm-router').spec.rules).toEqual([
      { backendRefs: [{ name: 'other', port: 80 }] },
      { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
    ]);
  });

  it('renders no route when none is enabled, or the router is off', () => {
    expect(routes(routerStack({ route: { main: { enabled: false } } }))).toEqual([]);
    expect(routes(routerStack({ enableRouter: false, route: { main: { enabled: true } } }))).toEqual([]);
  });

  it('refuses another apiVersion, matches or filters beside httpsRedirect, and names no object can have', () => {
    const chart = Testing.chart();
    const props = { release: 'r', namespace: 'n', route: 'main', service: { name: 's', port: 80 } };
    expect(
      () => new RouterHttpRoute(chart, 'A', { ...props, apiVersion: 'gateway.networking.k8s.io/v1alpha2' as never }),
    ).toThrow('not gateway.networking.k8s.io/v1alpha2');
    expect(
      () => new RouterHttpRoute(chart, 'B', { ...props, httpsRedirect: true, matches: [{ path: { value: '/' } }] }),
    ).toThrow('httpsRedirect replaces the rule to the router');
    expect(() => new RouterHttpRoute(chart, 'C', { ...props, route: 'Main_Route' })).toThrow(
      'RouterHttpRoute: route `Main_Route`',
    );
    expect(() => new RouterHttpRoute(chart, 'D', { ...props, release: 'PD' })).toThrow('RouterHttpRoute:');
  });

  it("refuses production-stack's GRPCRoute test case at its kind, saying why", () => {
    const text = [
      'servingEngineSpec:',
      '  modelSpec:',
      '    - {name: m, repository: r, tag: t, modelURL: u, requestCPU: 1, requestMemory: 1Gi}',
      'routerSpec:',
      '  route:',
      '    grpc:',
      '      enabled: true',
      '      kind: GRPCRoute',
      '      parentRefs: [{name: gateway-2}]',
      '',
    ].join('\n');
    const errors = loadValuesText(text, 'v.yaml').diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.line}:${d.path}`)).toEqual(['8:routerSpec.route.grpc.kind']);
    expect(errors[0]!.message).toMatch(
      /^pdstack renders routes as HTTPRoute only: the router serves the OpenAI HTTP\/JSON API, not gRPC/,
    );
  });
});
