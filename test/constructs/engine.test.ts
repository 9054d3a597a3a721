import { describe, expect, it } from 'vitest';
import { BASE_MODEL as base, engineDeployment as deployment, engineObjects, PD_RECEIVER } from '../support/engine.js';
import { find, synthStack } from '../support/synth.js';

describe('VllmEngine', () => {
  it('renders no objects for a disabled model (fix)', () => {
    const objects = synthStack({
      servingEngineSpec: { modelSpec: [{ ...base, enabled: false }] },
      routerSpec: { enableRouter: false },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/pd-secrets']);
  });

  it('merges tolerations and builds node affinity like production-stack', () => {
    const tol = (key: string) => ({ key, operator: 'Exists', effect: 'NoSchedule' });
    const appended = deployment(
      engineObjects(
        {
          tolerations: [tol('b')],
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] }],
        },
        { tolerations: [tol('a')] },
      ),
    );
    expect(appended.spec.template.spec.tolerations).toEqual([tol('a'), tol('b')]);
    expect(
      appended.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms[0].matchExpressions[0].key,
    ).toBe('gpu');
    const overridden = deployment(
      engineObjects({ tolerations: [tol('b')], tolerationsPolicy: 'override' }, { tolerations: [tol('a')] }),
    );
    expect(overridden.spec.template.spec.tolerations).toEqual([tol('b')]);
  });

  it('renders a PodDisruptionBudget over the pod selector, labelled with pdb.labels only (as production-stack)', () => {
    const objects = engineObjects({
      pdb: { enabled: true, maxUnavailable: 1, labels: { team: 'llm' }, annotations: { note: 'n' } },
    });
    const pdb = find(objects, 'PodDisruptionBudget', 'pd-opt-pdb-vllm');
    expect(pdb.metadata).toEqual({
      name: 'pd-opt-pdb-vllm',
      namespace: 'default',
      labels: { team: 'llm' },
      annotations: { note: 'n' },
    });
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deployment(objects).spec.selector.matchLabels },
    });
    expect(pdb.spec.selector.matchLabels).toMatchObject({ model: 'opt', environment: 'test', release: 'test' });
    expect(
      find(engineObjects({ pdb: { enabled: true } }), 'PodDisruptionBudget', 'pd-opt-pdb-vllm').spec.minAvailable,
    ).toBe(0);
  });

  it('keeps maxUnavailable: 0 (production-stack rendered minAvailable: 0 for it, letting every pod be evicted)', () => {
    const pdb = find(
      engineObjects({ pdb: { enabled: true, maxUnavailable: 0, minAvailable: 1 } }),
      'PodDisruptionBudget',
      'pd-opt-pdb-vllm',
    );
    expect([pdb.spec.maxUnavailable, pdb.spec.minAvailable]).toEqual([0, undefined]);
  });

  it('takes servingEngineSpec.pdb for a model without its own pdb; a model pdb replaces it whole', () => {
    const shared = { pdb: { enabled: true, minAvailable: '50%', labels: { shared: 'yes' } } };
    const fromShared = find(engineObjects({}, shared), 'PodDisruptionBudget', 'pd-opt-pdb-vllm');
    expect([fromShared.metadata.labels, fromShared.spec.minAvailable]).toEqual([{ shared: 'yes' }, '50%']);
    const own = find(
      engineObjects({ pdb: { enabled: true, maxUnavailable: 2 } }, shared),
      'PodDisruptionBudget',
      'pd-opt-pdb-vllm',
    );
    expect([own.metadata.labels, own.spec.maxUnavailable, own.spec.minAvailable]).toEqual([undefined, 2, undefined]);
    const off = engineObjects({ pdb: { enabled: false } }, shared);
    expect(off.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('rolls out with a full surge by default, or the given strategy verbatim', () => {
    expect(deployment(engineObjects({})).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 },
    });
    const given = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    expect(deployment(engineObjects({}, { strategy: given })).spec.strategy).toEqual(given);
  });

  it('shares hostIPC and hostPID only on P/D engines, and names the pod after the release and model', () => {
    const plain = deployment(engineObjects({})).spec.template.spec;
    expect([plain.hostIPC, plain.hostPID, plain.hostname, plain.subdomain]).toEqual([
      undefined,
      undefined,
      'pd-opt-vllm-stack',
      'pd-opt-engine-service',
    ]);
    const pd = deployment(
      engineObjects({
        lmcacheConfig: PD_RECEIVER,
      }),
    ).spec.template.spec;
    expect([pd.hostIPC, pd.hostPID]).toEqual([true, true]);
  });

  it('mounts no service-account token: engines never call the API server', () => {
    expect(deployment(engineObjects({ serviceAccountName: 'engine-sa' })).spec.template.spec).toMatchObject({
      serviceAccountName: 'engine-sa',
      automountServiceAccountToken: false,
    });
  });
});
