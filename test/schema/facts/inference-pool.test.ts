import { describe, expect, it } from 'vitest';
import { getsInferencePool } from '../../../schema/facts/inference-pool.js';

const pd = (nixlRole: string) => ({ enabled: true, enablePD: true, enableNixl: true, nixlRole });

describe('getsInferencePool', () => {
  it('a Deployment engine that serves whole requests gets a pool; a P/D prefill engine and a KubeRay model do not', () => {
    expect(getsInferencePool({})).toBe(true);
    expect(getsInferencePool({ raySpec: { enabled: false } })).toBe(true);
    expect(getsInferencePool({ lmcacheConfig: pd('receiver') })).toBe(true);
    expect(getsInferencePool({ lmcacheConfig: pd('sender') })).toBe(false);
    expect(getsInferencePool({ raySpec: { enabled: true } })).toBe(false);
    expect(getsInferencePool({ raySpec: { enabled: true }, lmcacheConfig: pd('receiver') })).toBe(false);
  });
});
