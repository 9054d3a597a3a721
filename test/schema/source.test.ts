import { describe, expect, it } from 'vitest';
import { formatPath, MAX_ALIAS_EXPANSION, parseValuesYaml, type Locate } from '../../schema/source.js';
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
  it('reads an explicit empty mapping as {}', () => {
    expect(parse('{}\n').value).toEqual({});
  });

  it('keeps shared defaults through aliases and << merges below the expansion cap', () => {
    const text = `defaults: &d {repository: vllm/vllm-openai, tag: "${'v'.repeat(1000)}"}\nmodels:\n${'  - {<<: *d}\n'.repeat(1000)}`;
    const models = (parse(text).value as { models: Array<{ tag: string }> }).models;
    expect(models).toHaveLength(1000);
    expect(models[999]!.tag).toHaveLength(1000);
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

describe('parseValuesYaml refusals', () => {
  const refusal = (text: string): { at: string; path: string; message: string } => {
    const r = parseValuesYaml(text, 'v.yaml');
    if (r.ok) throw new Error('parsed');
    expect(r.diagnostic.severity).toBe('error');
    return {
      at: `${r.diagnostic.line}:${r.diagnostic.column}`,
      path: r.diagnostic.path,
      message: r.diagnostic.message,
    };
  };
  const nothing =
    'the values file is empty: nothing to render; give the values of at least one model (servingEngineSpec.modelSpec)';

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing\n\n# here\n'],
    ['a document marker alone', '---\n'],
    ['null', 'null\n'],
  ])('%s: nothing to render at 1:1', (_what, text) => {
    expect(refusal(text)).toEqual({ at: '1:1', path: '(root)', message: nothing });
  });

  it('a billion-laughs document: refused at the alias that crosses MAX_ALIAS_EXPANSION, in time of the source', () => {
    const levels = ['global:', '  l0: &l0 "lol"'];
    for (let i = 1; i < 10; i++)
      levels.push(
        `  l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    expect(MAX_ALIAS_EXPANSION).toBe(4 * 1024 * 1024);
    // As JSON, l5 is 633,332 characters and the aliases up to l5 add 703,630: the 6th `*l5` of l6 crosses 4 MiB.
    expect(refusal(levels.join('\n'))).toEqual({
      at: '8:37',
      path: 'global.l6[5]',
      message:
        'with `*l5` the YAML aliases expand the values by more than 4 MiB (each use of an alias copies its anchor); use fewer or smaller aliases',
    });
  });

  it('an alias of a node containing it', () => {
    expect(refusal('global:\n  a: &a\n    - x\n    - *a\n')).toEqual({
      at: '4:7',
      path: 'global.a[1]',
      message:
        '`*a` refers to a node that contains it, so the values would be infinite; copy the part you need instead',
    });
  });
});

describe('formatPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    expect(formatPath(['servingEngineSpec', 'modelSpec', 0, 'name'])).toBe('servingEngineSpec.modelSpec[0].name');
    expect(formatPath([])).toBe('(root)');
  });
});
