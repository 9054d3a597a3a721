import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LMCACHE_LOG_LEVEL } from '../../schema/facts/lmcache.js';
import { PROMETHEUS_DURATION_PATTERN } from '../../schema/facts/prometheus.js';
import { ROUTER_IMAGE_REPOSITORY } from '../../schema/facts/router-image.js';
import { SUPPORTED_ROUTING_LOGICS } from '../../schema/facts/routing-logic.js';
import { loadValuesText } from '../../schema/index.js';
import { PACKAGE_VERSION } from '../../schema/paths.js';
import { VALUES_SCHEMA } from '../../schema/schema.js';
import { REPO } from '../support/values.js';

type Json = Record<string, any>;
const source = JSON.parse(readFileSync(join(REPO, 'schema', 'values.schema.json'), 'utf8')) as Json;
const schema = VALUES_SCHEMA as Json;
const router = (s: Json): Json => s['definitions']['routerSpec']['properties'];
const logLevel = (s: Json): Json => router(s)['lmcacheConfig']['properties']['logLevel'];
const monitor = (s: Json): Json => s['definitions']['serviceMonitor']['properties'];

describe('VALUES_SCHEMA', () => {
  it('takes the facts schema/facts owns from there, and values.schema.json holds no copy of them', () => {
    expect(logLevel(schema)['default']).toBe(DEFAULT_LMCACHE_LOG_LEVEL);
    expect(logLevel(source)['default']).toBeUndefined();
    expect(router(schema)['routingLogic']['enum']).toEqual([
      'roundrobin',
      'session',
      'prefixaware',
      'disaggregated_prefill',
      'disaggregated_prefill_orchestrated',
    ]);
    expect(router(schema)['routingLogic']['enum']).toEqual(SUPPORTED_ROUTING_LOGICS);
    expect(router(source)['routingLogic']['enum']).toBeUndefined();
    expect(source['definitions']['dnsLabel']['pattern']).toBeUndefined();
    expect(source['definitions']['quantity']['anyOf'][1]['pattern']).toBeUndefined();
    expect([router(schema)['repository']['default'], router(schema)['tag']['default']]).toEqual([
      ROUTER_IMAGE_REPOSITORY,
      PACKAGE_VERSION,
    ]);
    expect([router(source)['repository']['default'], router(source)['tag']['default']]).toEqual([undefined, undefined]);
    for (const key of ['interval', 'scrapeTimeout']) {
      expect(monitor(schema)[key]['pattern']).toBe(PROMETHEUS_DURATION_PATTERN);
      expect(monitor(source)[key]['pattern']).toBeUndefined();
    }
  });

  it('is values.schema.json everywhere else', () => {
    const filled = structuredClone(schema);
    delete logLevel(filled)['default'];
    delete router(filled)['routingLogic']['enum'];
    delete filled['definitions']['dnsLabel']['pattern'];
    delete filled['definitions']['dnsLabel']['maxLength'];
    delete filled['definitions']['quantity']['anyOf'][1]['pattern'];
    delete router(filled)['repository']['default'];
    delete router(filled)['tag']['default'];
    delete monitor(filled)['interval']['pattern'];
    delete monitor(filled)['scrapeTimeout']['pattern'];
    expect(filled).toEqual(source);
  });

  it("fills the router's LMCache log level in as a default", () => {
    const { values, diagnostics } = loadValuesText('routerSpec:\n  lmcacheConfig: {}\n', 'values.yaml');
    expect(diagnostics).toEqual([]);
    expect(values.routerSpec?.lmcacheConfig?.logLevel).toBe('INFO');
  });
});
