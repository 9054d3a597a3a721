import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { EngineInferencePool, servesWholeRequests } from '../../constructs/inference-pool.js';
import { loadValuesText } from '../../schema/index.js';
import type { ModelSpec } from '../../schema/values.generated.js';
import { BASE_MODEL, engineDeployment, engineObjects, pdModel } from '../support/engine.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';
import { RAY_AND_PLAIN } from '../support/values.js';

const pools = (objects: readonly KubeObject[]): Array<Record<string, any>> =>
  objects.filter((o) => o.kind === 'InferencePool') as Array<Record<string, any>>;

/** An EngineInferencePool alone in a chart of namespace `llm`, synthesised and validated against both CRDs. */
function poolOf(props: Partial<ConstructorParameters<typeof EngineInferencePool>[2]> = {}): Record<string, any> {
  const chart = new Chart(Testing.app(), 'c', { namespace: 'llm' });
  new EngineInferencePool(chart, 'p', { release: 'pd', model: 'opt', selector: { model: 'opt' }, ...props });
  const [pool] = Testing.synth(chart) as KubeObject[];
  validateKubeObject(pool!);
  return pool as Record<string, any>;
}

const SIXTY_FIVE_LABELS = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v']));

describe('EngineInferencePool', () => {
  it("selects the engine's pods on its container port and names the EPP Service <pool>-epp on 9002", () => {
    const objects = engineObjects({}, { pdstackInferencePool: { enabled: true } });
    const selector = engineDeployment(objects).spec.selector.matchLabels;
    const [pool, ...more] = pools(objects);
    expect(more).toEqual([]);
    expect(pool).toEqual({
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: 'pd-opt-inference-pool', namespace: 'default', labels: selector },
      spec: {
        selector: { matchLabels: selector },
        targetPorts: [{ number: 8000 }],
        endpointPickerRef: { name: 'pd-opt-inference-pool-epp', port: { number: 9002 } },
      },
    });
    // the selector is the engine pods' labels: the pool holds this model's replicas
    expect(engineDeployment(objects).spec.template.metadata.labels).toMatchObject(selector);
    expect(selector).toMatchObject({ model: 'opt', 'app.kubernetes.io/instance': 'pd' });
  });

  it('follows servingEngineSpec.containerPort, the EPP port and failure mode, the release and the namespace', () => {
    const objects = synthStack(
      {
        servingEngineSpec: {
          containerPort: 8080,
          pdstackInferencePool: { enabled: true, endpointPickerPort: 9100, endpointPickerFailureMode: 'FailOpen' },
          modelSpec: [BASE_MODEL],
        },
        routerSpec: { enableRouter: false },
      },
      'other',
      'team-a',
    );
    const pool = find(objects, 'InferencePool', 'other-opt-inference-pool');
    validateKubeObject(pool);
    expect(pool.metadata.namespace).toBe('team-a');
    expect(pool.spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/instance': 'other', model: 'opt' });
    expect(pool.spec.targetPorts).toEqual([{ number: 8080 }]);
    expect(pool.spec.endpointPickerRef).toEqual({
      name: 'other-opt-inference-pool-epp',
      port: { number: 9100 },
      failureMode: 'FailOpen',
    });
  });

  it('is off by default and when disabled; a disabled model gets none', () => {
    expect(pools(engineObjects({}))).toEqual([]);
    expect(pools(engineObjects({}, { pdstackInferencePool: { enabled: false } }))).toEqual([]);
    const objects = synthStack({
      servingEngineSpec: {
        pdstackInferencePool: { enabled: true },
        modelSpec: [BASE_MODEL, { ...BASE_MODEL, name: 'off', enabled: false }],
      },
      routerSpec: { enableRouter: false },
    });
    expect(pools(objects).map((p) => p.metadata.name)).toEqual(['pd-opt-inference-pool']);
  });

  it('gives a KubeRay model (raySpec.enabled) no pool, beside a Deployment engine that gets one', () => {
    const { values } = loadValuesText(RAY_AND_PLAIN, 'values.yaml', { release: 'pd' });
    const objects = synthStack(values!, 'pd', 'llm');
    expect(objects.map((o) => o.kind)).toContain('RayCluster');
    expect(pools(objects).map((p) => [p.metadata.name, p.spec.selector.matchLabels.model])).toEqual([
      ['pd-opt-inference-pool', 'opt'],
    ]);
  });

  it('gives a P/D spec pools over its decode engines only (prefill is the first step of the router’s P/D path)', () => {
    const model = (name: string, role: 'sender' | 'receiver', decode: string): ModelSpec =>
      pdModel(name, role, { decode });
    const objects = synthStack(
      {
        servingEngineSpec: {
          pdstackInferencePool: { enabled: true },
          modelSpec: [
            model('prefill-a', 'sender', 'decode-a'),
            model('decode-a', 'receiver', 'decode-a'),
            model('prefill-b', 'sender', 'decode-b'),
            model('decode-b', 'receiver', 'decode-b'),
            { ...BASE_MODEL, name: 'embed' },
          ],
        },
        routerSpec: { enableRouter: false },
      },
      'pd',
      'llm',
    );
    for (const o of objects) validateKubeObject(o);
    expect(pools(objects).map((p) => [p.metadata.name, p.spec.selector.matchLabels.model])).toEqual([
      ['pd-decode-a-inference-pool', 'decode-a'],
      ['pd-decode-b-inference-pool', 'decode-b'],
      ['pd-embed-inference-pool', 'embed'],
    ]);
    expect(servesWholeRequests(pdModel('p', 'sender').lmcacheConfig)).toBe(false);
    expect(servesWholeRequests(pdModel('d', 'receiver').lmcacheConfig)).toBe(true);
    // an LMCache NIXL sender that is not P/D (enablePD false) serves whole requests
    expect(servesWholeRequests({ ...pdModel('p', 'sender').lmcacheConfig, enablePD: false })).toBe(true);
    expect(servesWholeRequests(undefined)).toBe(true);
  });

  it('built in code: its defaults, an EPP of another name, and the chart namespace', () => {
    expect(poolOf().metadata).toEqual({ name: 'pd-opt-inference-pool', namespace: 'llm', labels: { model: 'opt' } });
    expect(poolOf().spec.targetPorts).toEqual([{ number: 8000 }]);
    expect(poolOf({ endpointPickerName: 'shared-epp', port: 8001 }).spec).toEqual({
      selector: { matchLabels: { model: 'opt' } },
      targetPorts: [{ number: 8001 }],
      endpointPickerRef: { name: 'shared-epp', port: { number: 9002 } },
    });
  });

  it.each([
    [{ release: 'Bad_Release' }, /^EngineInferencePool: /],
    [{ namespace: 'Team_A' }, /^EngineInferencePool: namespace `Team_A` /],
    [{ model: 'Opt_1' }, /^EngineInferencePool: model `Opt_1` /],
    [{ selector: {} }, 'EngineInferencePool: selector has 0 labels; an InferencePool selects by 1 to 64'],
    [
      { selector: SIXTY_FIVE_LABELS },
      'EngineInferencePool: selector has 65 labels; an InferencePool selects by 1 to 64',
    ],
    [{ port: 0 }, 'EngineInferencePool: port 0 is not a TCP port (an integer from 1 to 65535)'],
    [{ endpointPickerPort: 70000 }, 'EngineInferencePool: endpointPickerPort 70000 is not a TCP port'],
    [{ failureMode: 'Open' as never }, 'EngineInferencePool: failureMode Open is not one of FailOpen, FailClose'],
    [
      { endpointPickerName: 'Shared_EPP' },
      /^EngineInferencePool: endpointPickerName `Shared_EPP` is not a valid DNS label/,
    ],
    [
      { model: 'm'.repeat(42) },
      `EngineInferencePool: the InferencePool's endpoint picker Service \`pd-${'m'.repeat(42)}-inference-pool-epp\` would be 64 characters long`,
    ],
  ])('refuses %o', (props, message) => {
    expect(() => poolOf(props)).toThrow(message);
  });

  it('the CRD validator is live: a pool without targetPorts, with two equal ports, or a Service ref without port fails', () => {
    const pool = poolOf() as KubeObject & Record<string, any>;
    const { targetPorts: _ports, ...noPorts } = pool.spec;
    expect(() => validateKubeObject({ ...pool, spec: noPorts })).toThrow(/CRD v1\.0\.0: .*targetPorts/);
    // v1.6.0 allows 8 target ports, each once; v1.0.0 one
    const twice = { ...pool, spec: { ...pool.spec, targetPorts: [{ number: 1 }, { number: 1 }] } };
    expect(() => validateKubeObject(twice)).toThrow(
      /InferencePool\/pd-opt-inference-pool: not valid under the InferencePool CRD v1\.0\.0/,
    );
    const noEppPort = { ...pool, spec: { ...pool.spec, endpointPickerRef: { name: 'epp' } } };
    expect(() => validateKubeObject(noEppPort)).toThrow("port is required when kind is 'Service'");
  });
});

describe('servingEngineSpec.pdstackInferencePool in a values file', () => {
  it('fills in the EPP port default and checks the keys', () => {
    const text = (pool: string): string => `servingEngineSpec:\n  pdstackInferencePool: ${pool}\n  modelSpec: []\n`;
    const { values, diagnostics } = loadValuesText(text('{enabled: true}'), 'v.yaml');
    expect(diagnostics).toEqual([]);
    expect(values.servingEngineSpec?.pdstackInferencePool).toEqual({ enabled: true, endpointPickerPort: 9002 });
    expect(loadValuesText(text('{}'), 'v.yaml').values.servingEngineSpec?.pdstackInferencePool?.enabled).toBe(false);
    expect(
      loadValuesText(text('{enabled: true, endpointPickerFailureMode: Closed}'), 'v.yaml').diagnostics.map(
        (d) => `${d.path}: ${d.message}`,
      ),
    ).toEqual([
      'servingEngineSpec.pdstackInferencePool.endpointPickerFailureMode: "Closed" is not one of the allowed values: FailOpen, FailClose',
    ]);
  });
});
