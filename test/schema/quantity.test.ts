import { describe, expect, it } from 'vitest';
import { quantityValue } from '../../schema/quantity.js';

describe('quantityValue', () => {
  it.each([
    [8, 8],
    ['8', 8],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['30Gi', 30 * 2 ** 30],
    ['16G', 16e9],
    ['1e3', 1000],
    ['+2k', 2000],
    ['.5Mi', 2 ** 19],
  ] as const)('%s → %s', (q, value) => {
    expect(quantityValue(q)).toBe(value);
  });

  it('is undefined for what is not a quantity', () => {
    expect(quantityValue('16GB')).toBeUndefined();
    expect(quantityValue('four')).toBeUndefined();
  });
});
