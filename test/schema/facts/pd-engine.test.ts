import { describe, expect, it } from 'vitest';
import { isPdEngine, KV_ROLE_OF_NIXL_ROLE } from '../../../schema/facts/pd-engine.js';

describe('isPdEngine', () => {
  it('needs both LMCache (enabled) and enablePD', () => {
    expect(isPdEngine({ enabled: true, enablePD: true })).toBe(true);
    expect(isPdEngine({ enabled: true, enablePD: false })).toBe(false);
    expect(isPdEngine({ enabled: true })).toBe(false);
    expect(isPdEngine({ enabled: false, enablePD: true })).toBe(false);
    expect(isPdEngine({ enablePD: true })).toBe(false);
    expect(isPdEngine(undefined)).toBe(false);
  });

  it('pairs a NIXL sender with kv_producer and a receiver with kv_consumer', () => {
    expect(KV_ROLE_OF_NIXL_ROLE).toEqual({ sender: 'kv_producer', receiver: 'kv_consumer' });
  });
});
