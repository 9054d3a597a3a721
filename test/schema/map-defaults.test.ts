import { describe, expect, it } from 'vitest';
import { loadValuesText } from '../../schema/index.js';
import { MAP_DEFAULTS } from '../../schema/map-defaults.js';
import { synthStack } from '../support/synth.js';

const MODEL = `
  modelSpec:
    - name: opt
      repository: vllm/vllm-openai
      tag: v0.10.0
      modelURL: facebook/opt-125m
      requestCPU: 1
      requestMemory: 1Gi
      requestGPU: 1`;

const load = (text: string) => {
  const { values, diagnostics } = loadValuesText(text, 'values.yaml');
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return values;
};

describe('map defaults merge with a given map, as Helm merges values.yaml', () => {
  it('reads the map defaults from the schema (every top-level section: more come with new features)', () => {
    expect(MAP_DEFAULTS.map(([section, key]) => `${section}.${key}`)).toEqual(
      expect.arrayContaining([
        'servingEngineSpec.labels',
        'servingEngineSpec.containerSecurityContext',
        'routerSpec.resources',
        'routerSpec.labels',
        'cacheserverSpec.strategy',
      ]),
    );
    for (const [, , defaults] of MAP_DEFAULTS) expect(Object.keys(defaults).length).toBeGreaterThan(0);
  });

  it("keeps production-stack's default engine labels beside given ones, on the Deployment, its selector and pods", () => {
    const values = load(`servingEngineSpec:\n  labels:\n    team: a${MODEL}`);
    expect(values.servingEngineSpec?.labels).toEqual({ team: 'a', environment: 'test', release: 'test' });
    const deployment = synthStack(values).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'pd-opt-deployment-vllm',
    ) as any;
    for (const labels of [
      deployment.metadata.labels,
      deployment.spec.selector.matchLabels,
      deployment.spec.template.metadata.labels,
    ])
      expect(labels).toMatchObject({ team: 'a', environment: 'test', release: 'test' });
  });

  it('lets a given value win, removes a default key given as null, and reads a map given as null as none', () => {
    expect(
      load(`servingEngineSpec:\n  labels:\n    environment: prod\n    release: null`).servingEngineSpec?.labels,
    ).toEqual({
      environment: 'prod',
    });
    expect(load('servingEngineSpec:\n  labels: null').servingEngineSpec?.labels).toEqual({});
    expect(load('servingEngineSpec:\n  labels: {}').servingEngineSpec?.labels).toEqual({
      environment: 'test',
      release: 'test',
    });
    expect(load('routerSpec:\n  labels:\n    release: pd').routerSpec?.labels).toEqual({
      environment: 'router',
      release: 'pd',
    });
  });

  it('merges nested maps key by key (the router resources)', () => {
    expect(load('routerSpec:\n  resources:\n    requests:\n      cpu: "2"').routerSpec?.resources).toEqual({
      requests: { cpu: '2', memory: '1000Mi' },
      limits: { memory: '1000Mi' },
    });
    expect(load('routerSpec:\n  resources:\n    limits: null').routerSpec?.resources).toEqual({
      requests: { cpu: '400m', memory: '1000Mi' },
    });
  });

  it('leaves a null the default has no key for to the schema', () => {
    const { diagnostics } = loadValuesText('servingEngineSpec:\n  labels:\n    team: null', 'values.yaml');
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.path}`)).toEqual(['3:5 servingEngineSpec.labels.team']);
  });
});
