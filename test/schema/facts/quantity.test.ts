import { describe, expect, it } from 'vitest';
import { Quantity, QUANTITY_PATTERN, quantityValue } from '../../../schema/facts/quantity.js';
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

describe('Quantity', () => {
  it('parses once, keeps the text it was given and knows its value', () => {
    const q = Quantity.parse('16Gi');
    expect([q.toString(), q.given, q.value]).toEqual(['16Gi', '16Gi', 16 * 2 ** 30]);
    const n = Quantity.parse(8);
    expect([n.toString(), n.given, n.value]).toEqual(['8', 8, 8]);
  });

  it('refuses what is not a quantity, naming what it is for', () => {
    expect(() => Quantity.parse('lots', 'requestMemory')).toThrow(
      'requestMemory `lots` is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
    );
    expect(() => Quantity.parse(-1)).toThrow('quantity `-1` is not a Kubernetes quantity');
  });
});
