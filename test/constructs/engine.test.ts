import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import { BASE_MODEL as base, engineDeployment as deployment, engineObjects } from '../support/engine.js';
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

  it('renders a PodDisruptionBudget over the pod selector', () => {
    const objects = engineObjects({ pdb: { enabled: true, maxUnavailable: 1 } });
    expect(find(objects, 'PodDisruptionBudget', 'pd-opt-pdb-vllm').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deployment(objects).spec.selector.matchLabels },
    });
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
        lmcacheConfig: { enabled: true, enablePD: true, enableNixl: true, nixlRole: 'receiver', kvRole: 'kv_consumer' },
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

  it('refuses to build a disabled model', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(() => new VllmEngine(chart, 'e', { release: 'pd', spec: { ...base, enabled: false } })).toThrow(/disabled/);
  });
});
