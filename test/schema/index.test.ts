import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  checkValues,
  formatDiagnostic,
  hasErrors,
  loadValuesFile,
  loadValuesText,
  type PdstackValues,
} from '../../schema/index.js';
import { EXAMPLE_VALUES_FILE } from '../support/values.js';
import { FIXTURES, fixture, TUTORIAL_ROUTER_ERROR, where } from './helpers.js';

const TUTORIAL = fixture('tutorial-16.yaml');
const PEER_HOST = 'servingEngineSpec.modelSpec[0].lmcacheConfig.nixlPeerHost';

describe('loadValuesFile', () => {
  it('compiles the tutorial for release pd to the peer-host and router-image errors and four warnings', () => {
    const file = join(FIXTURES, 'tutorial-16.yaml');
    const { diagnostics } = loadValuesFile(file, { release: 'pd' });
    expect(diagnostics.map(where)).toEqual([
      '24:9 warning servingEngineSpec.modelSpec[0].lmcacheConfig.cudaVisibleDevices',
      `29:9 error ${PEER_HOST}`,
      '36:7 warning servingEngineSpec.modelSpec[0].hf_token',
      '54:9 warning servingEngineSpec.modelSpec[1].lmcacheConfig.cudaVisibleDevices',
      '65:7 warning servingEngineSpec.modelSpec[1].hf_token',
      '71:3 error routerSpec.tag',
    ]);
    expect(formatDiagnostic(diagnostics[1]!)).toBe(
      `${file}:29:9: error: ${PEER_HOST}: \`vllm-llama-decode-engine-service\` is not the Service of an engine of release \`pd\`: installed as release \`pd\`, receiver \`llama-decode\` is reached at \`pd-llama-decode-engine-service\`; set nixlPeerHost to it`,
    );
  });

  it('defaults to release pd and namespace default', () => {
    const fixed = loadValuesFile(EXAMPLE_VALUES_FILE);
    expect(hasErrors(fixed.diagnostics)).toBe(false);
    const elsewhere = loadValuesText(
      TUTORIAL.replace('vllm-llama-decode-engine-service', 'pd-llama-decode-engine-service.llm.svc').replace(
        'tag: "pd"',
        'tag: "latest"',
      ),
      'v.yaml',
      { namespace: 'llm' },
    );
    expect(hasErrors(elsewhere.diagnostics)).toBe(false);
  });

  it('returns the values with defaults filled in', () => {
    const { values } = loadValuesFile(join(FIXTURES, 'tutorial-16-fixed.yaml'));
    expect(values.servingEngineSpec?.modelSpec?.map((m) => [m.name, m.enabled, m.replicaCount])).toEqual([
      ['llama-prefill', true, 1],
      ['llama-decode', true, 1],
    ]);
    expect(values.routerSpec?.serviceDiscovery).toBe('k8s');
  });

  it('reports an unreadable file as one error at 1:1', () => {
    const { values, diagnostics } = loadValuesFile(join(FIXTURES, 'missing.yaml'));
    expect(values).toEqual({});
    expect(diagnostics.map((d) => `${where(d)}: ${d.message}`)).toEqual([
      '1:1 error (root): cannot read the values file: no such file',
    ]);
    expect(loadValuesFile(FIXTURES).diagnostics[0]?.message).toMatch(/^cannot read the values file: EISDIR/);
  });

  it('reports invalid YAML as its one diagnostic', () => {
    const { diagnostics } = loadValuesText('a: [\n', 'v.yaml');
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'v.yaml:2:1: error: (root): invalid YAML: unexpected end of the stream within a flow collection',
    ]);
  });
});

describe('checkValues', () => {
  it('runs the same checks on values built in code, at <values>:1:1, without touching them', () => {
    const values = load(TUTORIAL) as PdstackValues;
    const before = structuredClone(values);
    const diagnostics = checkValues(values, { release: 'pd' });
    expect(values).toEqual(before);
    expect(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([
      `<values>:1:1: error: ${PEER_HOST}: \`vllm-llama-decode-engine-service\` is not the Service of an engine of release \`pd\`: installed as release \`pd\`, receiver \`llama-decode\` is reached at \`pd-llama-decode-engine-service\`; set nixlPeerHost to it`,
      `<values>:1:1: error: routerSpec.tag: ${TUTORIAL_ROUTER_ERROR}`,
    ]);
    expect(checkValues({ global: { f: () => 1 } }).map(formatDiagnostic)).toEqual([
      '<values>:1:1: error: (root): values must be plain data (objects, lists, strings, numbers, booleans): () => 1 could not be cloned.',
    ]);
    expect(checkValues({ routerSpec: { routingLogic: 'kvaware' } }).map(formatDiagnostic)).toEqual([
      '<values>:1:1: error: routerSpec.routingLogic: routing logic kvaware is not supported by pdstack-router yet (kvaware routing needs the LMCache controller); choose one of: roundrobin, session, prefixaware, disaggregated_prefill, disaggregated_prefill_orchestrated',
    ]);
  });
});

describe('bad input never throws', () => {
  const replacements = ['', '[]', '{}', '-1', '"x"', 'null', 'true', '0.5', '[1, {a: 2}]'];
  const sourceLines = TUTORIAL.split('\n');
  it.each(sourceLines.map((_, i) => i))('tutorial line %i deleted or its value replaced', (i) => {
    const texts = [sourceLines.filter((_, j) => j !== i).join('\n')];
    const line = sourceLines[i]!;
    const colon = line.indexOf(':');
    for (const r of replacements) {
      if (colon > 0)
        texts.push(sourceLines.map((l, j) => (j === i ? `${line.slice(0, colon + 1)} ${r}` : l)).join('\n'));
      if (line.trimStart().startsWith('- '))
        texts.push(
          sourceLines.map((l, j) => (j === i ? `${line.slice(0, line.indexOf('- ') + 2)}${r}` : l)).join('\n'),
        );
    }
    for (const text of texts) {
      const { diagnostics } = loadValuesText(text, 'v.yaml');
      for (const d of diagnostics) expect(formatDiagnostic(d)).toMatch(/^v\.yaml:\d+:\d+: (error|warning): \S+: \S/);
    }
  });
});
