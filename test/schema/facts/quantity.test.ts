import { describe, expect, it } from 'vitest';
import { QUANTITY_PATTERN, quantityValue } from '../../../schema/facts/quantity.js';
import { VALUES_SCHEMA } from '../../../schema/schema.js';

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
    expect(quantityValue('1e3Ki')).toBeUndefined(); // an exponent or a suffix, as Kubernetes reads it, not both
    expect(quantityValue(-1)).toBeUndefined();
  });
});

describe('QUANTITY_PATTERN', () => {
  it("is the rule the values schema's quantity definition applies", () => {
    const definitions = (VALUES_SCHEMA as { definitions: Record<string, { anyOf: { pattern?: string }[] }> })
      .definitions;
    expect(definitions['quantity']?.anyOf.map((form) => form.pattern)).toEqual([undefined, QUANTITY_PATTERN]);
  });
});
