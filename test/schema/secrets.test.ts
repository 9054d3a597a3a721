import { describe, expect, it } from 'vitest';
import { isSecretPath, SECRET_KEYS } from '../../schema/secrets.js';
import { formatPath } from '../../schema/source.js';

describe('secret keys (writeOnly in the schema)', () => {
  it('are the tokens and API keys of production-stack values', () => {
    expect(SECRET_KEYS.map(formatPath).sort()).toEqual([
      'routerSpec.hf_token',
      'routerSpec.vllmApiKey',
      'servingEngineSpec.modelSpec[-1].hf_token',
      'servingEngineSpec.vllmApiKey',
    ]);
  });

  it('cover every model entry and the inside of a {secretName, secretKey} map', () => {
    expect(isSecretPath(['servingEngineSpec', 'modelSpec', 7, 'hf_token'])).toBe(true);
    expect(isSecretPath(['servingEngineSpec', 'vllmApiKey', 'secretName'])).toBe(true);
    expect(isSecretPath(['servingEngineSpec', 'modelSpec', 7, 'name'])).toBe(false);
    expect(isSecretPath(['servingEngineSpec'])).toBe(false);
  });
});
