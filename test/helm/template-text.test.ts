import { describe, expect, it } from 'vitest';
import {
  NAMESPACE_SENTINEL,
  RELEASE_SENTINEL,
  templatizeText,
  templatizeYaml,
} from '../../charts/helm/template-text.js';
import { namespaceMessage, releaseNameProblem } from '../../schema/facts/dns-label.js';

describe('template text', () => {
  it('synthesises with a release sentinel the constructs accept as a release name', () => {
    expect(releaseNameProblem(RELEASE_SENTINEL)).toBeNull();
  });

  it('synthesises with a namespace sentinel the constructs accept as a namespace', () => {
    expect(namespaceMessage(NAMESPACE_SENTINEL)).toBeNull();
  });

  it('turns the sentinels into release expressions, quoted when they are a whole scalar', () => {
    const yaml = [
      `name: ${RELEASE_SENTINEL}-opt-deployment-vllm`,
      `namespace: ${NAMESPACE_SENTINEL}`,
      `- ${RELEASE_SENTINEL}`,
      'command: "{{ x }}"',
    ].join('\n');
    expect(templatizeYaml(yaml).split('\n')).toEqual([
      'name: {{ .Release.Name }}-opt-deployment-vllm',
      'namespace: {{ .Release.Namespace | quote }}',
      '- {{ .Release.Name | quote }}',
      'command: "{{ "{{" }} x }}"',
    ]);
    expect(templatizeText(`kubectl -n ${NAMESPACE_SENTINEL} port-forward svc/${RELEASE_SENTINEL}-router-service`)).toBe(
      'kubectl -n {{ .Release.Namespace }} port-forward svc/{{ .Release.Name }}-router-service',
    );
  });
});
