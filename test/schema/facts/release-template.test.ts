import { describe, expect, it } from 'vitest';
import {
  expandReleaseTemplate,
  expandReleaseTemplates,
  holdsOtherTemplate,
} from '../../../schema/facts/release-template.js';

const ctx = { release: 'vllm', namespace: 'llm' };

describe('release templates (production-stack tpl of route hostnames and additionalRules)', () => {
  it('expands the release name and namespace in the spellings Helm accepts', () => {
    expect(expandReleaseTemplate('{{ $.Release.Name }}-router-service', ctx)).toBe('vllm-router-service');
    expect(expandReleaseTemplate('{{.Release.Name}}.{{ .Release.Namespace }}.example.com', ctx)).toBe(
      'vllm.llm.example.com',
    );
    expect(expandReleaseTemplate('plain.example.com', ctx)).toBe('plain.example.com');
  });

  it('expands every string of a JSON value, keys left alone', () => {
    expect(
      expandReleaseTemplates([{ backendRefs: [{ name: '{{ .Release.Name }}-x', port: 80 }], '{{ k }}': true }], ctx),
    ).toEqual([{ backendRefs: [{ name: 'vllm-x', port: 80 }], '{{ k }}': true }]);
    expect(expandReleaseTemplates(undefined, ctx)).toBeUndefined();
  });

  it('tells other template text apart', () => {
    expect(holdsOtherTemplate('{{ .Release.Name }}.example.com')).toBe(false);
    expect(holdsOtherTemplate('{{ .Values.host }}')).toBe(true);
    expect(holdsOtherTemplate('{{- .Release.Name }}')).toBe(true);
  });
});
