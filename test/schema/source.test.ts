import { describe, expect, it } from 'vitest';
import { formatPath, parseValuesYaml, type Locate } from '../../schema/source.js';
import { fixture } from './helpers.js';

function parse(text: string): { value: unknown; locate: Locate } {
  const r = parseValuesYaml(text, 'v.yaml');
  if (!r.ok) throw new Error(r.diagnostic.message);
  return r;
}
const at = (locate: Locate, ...path: Array<string | number>): string => {
  const p = locate(path);
  return `${p.line}:${p.column}`;
};

describe('parseValuesYaml positions', () => {
  const { locate } = parse(fixture('tutorial-16.yaml'));

  it('locates keys at their first character', () => {
    expect(at(locate, 'servingEngineSpec')).toBe('3:1');
    expect(at(locate, 'servingEngineSpec', 'modelSpec', 0, 'lmcacheConfig', 'nixlPeerHost')).toBe('29:9');
    expect(at(locate, 'servingEngineSpec', 'modelSpec', 1, 'lmcacheConfig', 'kvRole')).toBe('56:9');
    expect(at(locate, 'routerSpec', 'enablePD')).toBe('78:3');
  });

  it('locates list items at their content', () => {
    expect(at(locate, 'servingEngineSpec', 'modelSpec', 1)).toBe('40:7');
    expect(at(locate, 'routerSpec', 'extraArgs', 3)).toBe('93:7');
  });

  it('falls back to the nearest ancestor present in the source', () => {
    expect(at(locate, 'servingEngineSpec', 'modelSpec', 0, 'enabled')).toBe('9:7');
    expect(at(locate, 'servingEngineSpec', 'modelSpec', 1, 'vllmConfig', 'dtype')).toBe('49:7');
    expect(at(locate, 'absent', 'key')).toBe('1:1');
  });

  it('locates keys and items of flow collections', () => {
    const flow = parse('a: {b: 1, "c": [x, {d: 2}]}\n').locate;
    expect(at(flow, 'a', 'b')).toBe('1:5');
    expect(at(flow, 'a', 'c')).toBe('1:11');
    expect(at(flow, 'a', 'c', 1)).toBe('1:20');
    expect(at(flow, 'a', 'c', 1, 'd')).toBe('1:21');
  });
});

describe('parseValuesYaml values', () => {
  it('reads an empty document as {}', () => {
    expect(parse('# nothing\n').value).toEqual({});
  });

  it('keeps dates as strings (like Helm) and applies << merges', () => {
    expect(parse('tag: 2025-05-27\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n').value).toEqual({
      tag: '2025-05-27',
      base: { x: 1 },
      m: { x: 1, y: 2 },
    });
  });
});

describe('parseValuesYaml errors', () => {
  it.each([
    ['bad indentation', 'a: 1\n b: 2\n', '2:3', 'invalid YAML: bad indentation of a mapping entry'],
    [
      'an unclosed flow sequence',
      'a: [1\n',
      '2:1',
      'invalid YAML: unexpected end of the stream within a flow collection',
    ],
    ['a tab indent', 'a:\n\tb: 1\n', '2:1', 'invalid YAML: tab characters must not be used in indentation'],
    [
      'two documents',
      'a: 1\n---\nb: 2\n',
      '2:1',
      'invalid YAML: expected a single document in the stream, but found more: a values file is one YAML document; remove the `---` and merge the documents',
    ],
    [
      'a duplicate key',
      'a:\n  b: 1\n  b: 2\n',
      '3:3',
      'duplicate key `b`: a key may appear only once in a mapping (the chart would silently keep one); merge the two entries',
    ],
  ])('reports %s at the parser mark', (_what, text, position, message) => {
    const r = parseValuesYaml(text, 'v.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const d = r.diagnostic;
    expect({ at: `${d.line}:${d.column}`, severity: d.severity, path: d.path, message: d.message }).toEqual({
      at: position,
      severity: 'error',
      path: '(root)',
      message,
    });
  });
});

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath(['servingEngineSpec', 'modelSpec', 0, 'name'])).toBe('servingEngineSpec.modelSpec[0].name');
    expect(formatPath([])).toBe('(root)');
  });
});
