import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { RouterIngress } from '../../constructs/router-ingress.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import type { KubeObject } from '../support/kube-validate.js';
import { find, routerStack } from '../support/synth.js';

const stack = (routerSpec: PdstackValues['routerSpec']): KubeObject[] => routerStack(routerSpec, 'vllm', 'llm');

describe('RouterIngress', () => {
  it("renders production-stack's Ingress to the router Service's port", () => {
    const objects = stack({
      servicePort: 8080,
      ingress: {
        enabled: true,
        className: 'nginx',
        annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '600' },
        hosts: [
          { host: 'llm.example.com', paths: [{ path: '/', pathType: 'Prefix' }] },
          {
            host: 'api.example.com',
            paths: [
              { path: '/v1', pathType: 'Prefix' },
              { path: '/health', pathType: 'Exact' },
            ],
          },
        ],
        tls: [{ hosts: ['llm.example.com'], secretName: 'llm-tls' }],
      },
    });
    const ingress = find(objects, 'Ingress', 'vllm-ingress-router');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.metadata).toEqual({
      name: 'vllm-ingress-router',
      namespace: 'llm',
      labels: { environment: 'router', release: 'router' },
      annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '600' },
    });
    const backend = { service: { name: 'vllm-router-service', port: { number: 8080 } } };
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['llm.example.com'], secretName: 'llm-tls' }],
      rules: [
        { host: 'llm.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
        {
          host: 'api.example.com',
          http: {
            paths: [
              { path: '/v1', pathType: 'Prefix', backend },
              { path: '/health', pathType: 'Exact', backend },
            ],
          },
        },
      ],
    });
    expect(find(objects, 'Service', 'vllm-router-service').spec.ports[0].port).toBe(8080);
  });

  it("takes production-stack's default host (vllm-router.local, Prefix /) and no class, annotations or TLS", () => {
    const ingress = find(stack({ ingress: { enabled: true } }), 'Ingress', 'vllm-ingress-router');
    expect(ingress.metadata.annotations).toBeUndefined();
    expect(ingress.spec).toEqual({
      rules: [
        {
          host: 'vllm-router.local',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'vllm-router-service', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('renders nothing when disabled', () => {
    expect(stack({ ingress: { enabled: false } }).filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  it('refuses an Ingress without rules', () => {
    const chart = Testing.chart();
    const props = { release: 'r', namespace: 'n', service: { name: 's', port: 80 } };
    expect(() => new RouterIngress(chart, 'A', { ...props, hosts: [] })).toThrow('hosts is empty');
    expect(() => new RouterIngress(chart, 'B', { ...props, hosts: [{ host: 'h', paths: [] }] })).toThrow(
      'host "h" has no paths',
    );
  });

  it('takes typed hosts and TLS built in code; a host of "" matches every host', () => {
    const chart = Testing.chart();
    new RouterIngress(chart, 'I', {
      release: 'r',
      namespace: 'n',
      service: { name: 'r-router-service', port: 80 },
      className: 'nginx',
      hosts: [
        { host: 'llm.example.com', paths: [{ path: '/v1', pathType: 'Prefix' }] },
        { host: '', paths: [{ path: '/health', pathType: 'Exact' }] },
      ],
      tls: [{ hosts: ['llm.example.com'], secretName: 'llm-tls' }],
    });
    const backend = { service: { name: 'r-router-service', port: { number: 80 } } };
    expect(find(Testing.synth(chart) as KubeObject[], 'Ingress', 'r-ingress-router').spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['llm.example.com'], secretName: 'llm-tls' }],
      rules: [
        { host: 'llm.example.com', http: { paths: [{ path: '/v1', pathType: 'Prefix', backend }] } },
        { http: { paths: [{ path: '/health', pathType: 'Exact', backend }] } },
      ],
    });
  });
});
