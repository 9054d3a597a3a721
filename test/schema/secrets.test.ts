import { describe, expect, it } from 'vitest';
import { isSecretPath, SECRET_KEYS, secretEntries, secretPathPattern } from '../../schema/secrets.js';
import { formatPath } from '../../schema/source.js';

describe('secret keys (writeOnly in the schema)', () => {
  it('are the tokens and API keys of production-stack values', () => {
    expect(SECRET_KEYS.map((k) => [formatPath(k.path), k.literal]).sort()).toEqual([
      ['loraAdapters[-1].adapterSource.credentials', true],
      ['routerSpec.hf_token', true],
      ['routerSpec.vllmApiKey', false],
      ['servingEngineSpec.modelSpec[-1].hf_token', true],
      ['servingEngineSpec.vllmApiKey', true],
    ]);
  });

  it('cover every model entry and the inside of a {secretName, secretKey} map', () => {
    expect(isSecretPath(['servingEngineSpec', 'modelSpec', 7, 'hf_token'])).toBe(true);
    expect(isSecretPath(['servingEngineSpec', 'vllmApiKey', 'secretName'])).toBe(true);
    expect(isSecretPath(['servingEngineSpec', 'modelSpec', 7, 'name'])).toBe(false);
    expect(isSecretPath(['servingEngineSpec'])).toBe(false);
  });

  it('are found in values, each entry with its path', () => {
    const entries = secretEntries({
      servingEngineSpec: { vllmApiKey: 'k', modelSpec: [{ name: 'a' }, { name: 'b', hf_token: { secretName: 's' } }] },
      routerSpec: { hf_token: 'h' },
    });
    expect(entries.map((e) => [formatPath(e.path), e.value])).toEqual([
      ['servingEngineSpec.vllmApiKey', 'k'],
      ['servingEngineSpec.modelSpec[1].hf_token', { secretName: 's' }],
      ['routerSpec.hf_token', 'h'],
    ]);
  });

  it('give the guard an RE2 pattern for the paths it must not print', () => {
    const re = new RegExp(secretPathPattern());
    expect(re.test('servingEngineSpec.modelSpec[12].hf_token')).toBe(true);
    expect(re.test('servingEngineSpec.vllmApiKey.secretName')).toBe(true);
    expect(re.test('routerSpec.hf_tokens')).toBe(false);
    expect(re.test('servingEngineSpec.modelSpec[1].name')).toBe(false);
  });
});
