import { describe, expect, it } from 'vitest';
import { PathSyntaxError, parsePath, valuesAt } from './path.js';

const doc = {
  metadata: { name: 'pd-router', labels: { 'app.kubernetes.io/name': 'router', plain: 'x' }, annotations: null },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'a', args: ['--port', '8000'] },
          { name: 'b', args: [] },
        ],
      },
    },
  },
};

describe('helm-unittest paths', () => {
  it('follows keys and list indexes', () => {
    expect(valuesAt(doc, 'spec.template.spec.containers[0].args')).toEqual([['--port', '8000']]);
    expect(valuesAt(doc, 'spec.template.spec.containers[1].name')).toEqual(['b']);
    expect(valuesAt(doc, 'spec.template.spec.containers[-1].name')).toEqual(['b']);
    expect(valuesAt(doc, '$.metadata.name')).toEqual(['pd-router']);
  });

  it('reads keys with dots and slashes in brackets, with or without a dot before them', () => {
    expect(valuesAt(doc, 'metadata.labels["app.kubernetes.io/name"]')).toEqual(['router']);
    expect(valuesAt(doc, "metadata.labels['app.kubernetes.io/name']")).toEqual(['router']);
    expect(valuesAt(doc, 'metadata.labels.["app.kubernetes.io/name"]')).toEqual(['router']);
  });

  it('reaches nothing through a missing key, an index out of range or a step of the wrong type', () => {
    expect(valuesAt(doc, 'metadata.namespace')).toEqual([]);
    expect(valuesAt(doc, 'spec.template.spec.containers[2]')).toEqual([]);
    expect(valuesAt(doc, 'metadata.name[0]')).toEqual([]);
    expect(valuesAt(doc, 'spec.template.spec.containers.name')).toEqual([]);
  });

  it('reaches a key whose value is null (it exists)', () => {
    expect(valuesAt(doc, 'metadata.annotations')).toEqual([null]);
  });

  it('expands wildcards over lists and maps; an empty path is the document', () => {
    expect(valuesAt(doc, 'spec.template.spec.containers[*].name')).toEqual(['a', 'b']);
    expect(valuesAt(doc, 'metadata.labels.*')).toEqual(['router', 'x']);
    expect(valuesAt(doc, '')).toEqual([doc]);
  });

  it('refuses syntax outside the subset, naming it', () => {
    expect(() => parsePath('spec..name')).toThrow(PathSyntaxError);
    expect(() => parsePath('spec.containers[?(@.name == "a")]')).toThrow(/filters, slices and unions/);
    expect(() => parsePath('spec.containers[0')).toThrow(/unclosed \[/);
  });
});
