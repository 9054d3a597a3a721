import { describe, expect, it } from 'vitest';
import { otlpEndpoint } from '../../../schema/facts/otlp-endpoint.js';

describe('otlpEndpoint', () => {
  it('reads host:port and http(s)://host:port as OTLP/gRPC (port 4317 if none; https or --otel-secure: TLS)', () => {
    expect(otlpEndpoint('otel-collector:4317', false)).toEqual({
      protocol: 'grpc',
      address: 'otel-collector:4317',
      tls: false,
    });
    expect(otlpEndpoint('otel-collector.observability.svc', true)).toEqual({
      protocol: 'grpc',
      address: 'otel-collector.observability.svc:4317',
      tls: true,
    });
    expect(otlpEndpoint('[::1]:4317', false)).toEqual({ protocol: 'grpc', address: '[::1]:4317', tls: false });
    // the port a URL names, even its scheme's default, is kept (not read as gRPC's 443)
    expect(otlpEndpoint('http://collector:80', false)).toEqual({
      protocol: 'grpc',
      address: 'collector:80',
      tls: false,
    });
    expect(otlpEndpoint('https://collector/', false)).toEqual({
      protocol: 'grpc',
      address: 'collector:4317',
      tls: true,
    });
  });

  it('reads an http(s) URL ending in /v1/traces as OTLP/HTTP', () => {
    expect(otlpEndpoint('http://collector:4318/v1/traces', false)).toEqual({
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
    });
    expect(otlpEndpoint('https://otlp.example.com/tenant-1/v1/traces', true)).toEqual({
      protocol: 'http/protobuf',
      url: 'https://otlp.example.com/tenant-1/v1/traces',
    });
  });

  it('says what is wrong with anything else, never echoing credentials', () => {
    const cases: [string, boolean, string][] = [
      ['otel collector:4317', false, "'otel collector:4317' is not an OTLP endpoint"],
      ['collector:4317:1', false, "'collector:4317:1' is not an OTLP endpoint"],
      ['collector:70000', false, "'collector:70000' has a port out of range"],
      ['grpc://collector:4317', false, "'grpc://collector:4317' has the scheme grpc"],
      ['http://collector:4318/v1/logs', false, "'http://collector:4318/v1/logs' has a path other than /v1/traces"],
      ['http://collector/v1/traces?x=1', false, "'http://collector/v1/traces?x=1' has a query or fragment"],
      ['http://collector:4318/v1/traces', true, 'is plain HTTP while --otel-secure asks for TLS: use https://'],
      ['https://user:s3cret@collector/v1/traces', false, "'https://***@collector/v1/traces' carries credentials"],
    ];
    for (const [raw, secure, message] of cases) {
      const problem = otlpEndpoint(raw, secure);
      expect(problem).toEqual(expect.stringContaining(message));
      expect(problem).toEqual(expect.stringContaining('expected host:port for OTLP/gRPC'));
      expect(problem).not.toContain('s3cret');
    }
  });
});
