import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ExtraObjects } from '../../constructs/extra-objects.js';
import type { PdstackValues } from '../../schema/values.generated.js';
import { BASE_MODEL } from '../support/engine.js';
import { validateKubeObject } from '../support/kube-validate.js';
import { find, synthStack } from '../support/synth.js';

const values = (extraObjects: NonNullable<PdstackValues['extraObjects']>): PdstackValues => ({
  servingEngineSpec: { modelSpec: [BASE_MODEL] },
  routerSpec: { routingLogic: 'roundrobin', replicaCount: 2 },
  extraObjects,
});

describe('ExtraObjects', () => {
  it('renders mappings and YAML text as given, their template actions evaluated for the release', () => {
    const objects = synthStack(
      values([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: '{{ .Release.Name }}-settings' },
          data: { namespace: '{{ .Release.Namespace }}', replicas: '{{ .Values.routerSpec.replicaCount | quote }}' },
        },
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: other\ndata:\n  logic: {{ .Values.routerSpec.routingLogic }}\n',
      ]),
      'r1',
      'team',
    );
    for (const o of objects) validateKubeObject(o);
    expect(find(objects, 'ConfigMap', 'r1-settings')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'r1-settings' },
      data: { namespace: 'team', replicas: '"2"' },
    });
    expect(find(objects, 'ConfigMap', 'r1-a').metadata).toEqual({ name: 'r1-a' });
    expect(find(objects, 'ConfigMap', 'b')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b', namespace: 'other' },
      data: { logic: 'roundrobin' },
    });
  });

  it('renders nothing for an empty list', () => {
    expect(synthStack(values([])).map((o) => o.kind)).not.toContain('ConfigMap');
  });

  it('refuses values whose objects cannot be rendered (they did not pass validation)', () => {
    const chart = new Chart(Testing.app(), 't');
    expect(
      () =>
        new ExtraObjects(chart, 'x', {
          release: 'pd',
          namespace: 'default',
          values: values([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ template "x" }}' } }]),
        }),
    ).toThrow(/extraObjects\.0\.metadata\.name `\{\{ template "x" \}\}` is not evaluated by pdstack/);
  });
});
