import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { RouterPdb } from '../../constructs/router-pdb.js';
import { loadValuesText } from '../../schema/index.js';
import { validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { find, ROUTER_LABELS, routerStack, synthStack } from '../support/synth.js';

describe('RouterPdb', () => {
  it("renders production-stack's default router PDB: minAvailable 0 over the router's pods, no labels", () => {
    const objects = routerStack({ pdb: { enabled: true } });
    const pdb = find(objects, 'PodDisruptionBudget', 'vllm-pdb-router');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata).toEqual({ name: 'vllm-pdb-router', namespace: 'default' });
    expect(pdb.spec).toEqual({ minAvailable: 0, selector: { matchLabels: ROUTER_LABELS } });
    // the selector is the router Deployment's pod labels
    expect(find(objects, 'Deployment', 'vllm-deployment-router').spec.template.metadata.labels).toEqual(ROUTER_LABELS);
  });

  it("renders production-stack's values.yaml router PDB (minAvailable and maxUnavailable null) as its template does: minAvailable 0", () => {
    const { values, diagnostics } = loadValuesText(
      `servingEngineSpec:\n  modelSpec: []\nrouterSpec:\n  pdb:\n    enabled: true\n    minAvailable:\n    maxUnavailable:\n`,
      'values.yaml',
    );
    expect(diagnostics).toEqual([]);
    const pdb = find(synthStack(values, 'vllm'), 'PodDisruptionBudget', 'vllm-pdb-router');
    validateKubeObject(pdb);
    expect(pdb.spec).toEqual({ minAvailable: 0, selector: { matchLabels: ROUTER_LABELS } });
    // a null maxUnavailable is not set either: minAvailable is rendered
    const min = routerStack({ pdb: { enabled: true, minAvailable: '50%', maxUnavailable: null } });
    expect(find(min, 'PodDisruptionBudget', 'vllm-pdb-router').spec).toEqual({
      minAvailable: '50%',
      selector: { matchLabels: ROUTER_LABELS },
    });
  });

  it('is labelled and annotated with pdb.labels and pdb.annotations only', () => {
    const pdb = find(
      routerStack({
        pdb: {
          enabled: true,
          labels: { customLabel: 'customValue' },
          annotations: { customAnnotation: 'customValue' },
          minAvailable: 1,
        },
      }),
      'PodDisruptionBudget',
      'vllm-pdb-router',
    );
    expect(pdb.metadata.labels).toEqual({ customLabel: 'customValue' });
    expect(pdb.metadata.annotations).toEqual({ customAnnotation: 'customValue' });
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: ROUTER_LABELS } });
  });

  it('renders maxUnavailable alone when both are set, and a percentage as given', () => {
    const both = routerStack({ pdb: { enabled: true, minAvailable: 1, maxUnavailable: 1 } });
    expect(find(both, 'PodDisruptionBudget', 'vllm-pdb-router').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: ROUTER_LABELS },
    });
    const percent = routerStack({ pdb: { enabled: true, minAvailable: '50%' } });
    expect(find(percent, 'PodDisruptionBudget', 'vllm-pdb-router').spec.minAvailable).toBe('50%');
  });

  it('renders nothing when disabled or without a router', () => {
    expect(routerStack({ pdb: { enabled: false } }).filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(
      routerStack({ enableRouter: false, pdb: { enabled: true } }).filter((o) => o.kind === 'PodDisruptionBudget'),
    ).toEqual([]);
  });

  it('takes a typed DisruptionBudget built in code: maxUnavailable wins, minAvailable defaults to 0', () => {
    const chart = Testing.chart();
    new RouterPdb(chart, 'A', {
      release: 'r',
      namespace: 'n',
      pdb: { maxUnavailable: k8s.IntOrString.fromString('25%'), minAvailable: k8s.IntOrString.fromNumber(1) },
    });
    new RouterPdb(chart, 'B', { release: 's', namespace: 'n', pdb: { labels: { team: 'ml' } } });
    const objects = Testing.synth(chart) as KubeObject[];
    const a = find(objects, 'PodDisruptionBudget', 'r-pdb-router');
    expect(a.spec).toEqual({
      maxUnavailable: '25%',
      selector: { matchLabels: { ...ROUTER_LABELS, 'app.kubernetes.io/instance': 'r' } },
    });
    const b = find(objects, 'PodDisruptionBudget', 's-pdb-router');
    expect([b.metadata.labels, b.spec.minAvailable]).toEqual([{ team: 'ml' }, 0]);
  });
});
