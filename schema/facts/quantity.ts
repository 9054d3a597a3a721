/**
 * Kubernetes resource quantities (`8`, `500m`, `30Gi`, `1e3`): the rule and their values. The schema's `quantity`
 * definition takes its pattern from here (`schema/schema.ts`); the checks of meaning compare values with
 * `quantityValue`; the schema's message for a bad quantity is `QUANTITY_RULE`.
 */

/** A non-negative decimal with an optional exponent or SI/binary suffix, as Kubernetes' `resource.Quantity` reads it. */
export const QUANTITY_PATTERN =
  '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$';
/** What a value that is not a quantity is told. */
export const QUANTITY_RULE = 'is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)';

const QUANTITY = new RegExp(QUANTITY_PATTERN);
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity in base units (cores, bytes, devices); `undefined` when it is not a quantity. */
export function quantityValue(q: number | string): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  const [, mantissa = '', , scale] = m;
  if (scale === undefined) return Number(mantissa);
  const factor = SUFFIX[scale];
  return factor === undefined ? Number(mantissa + scale) : Number(mantissa) * factor;
}

/**
 * A Kubernetes quantity checked once: `Quantity.parse('16Gi')`. It keeps the text it was given (`toString()`), so a
 * manifest shows exactly what the user wrote (`8` stays `8`, `500m` stays `500m`), and knows its value in base units.
 */
export class Quantity {
  /** `value` as a quantity; throws, naming `what` (e.g. `requestMemory`), when it is not one. */
  public static parse(value: string | number, what = 'quantity'): Quantity {
    const base = quantityValue(value);
    if (base === undefined) throw new Error(`${what} \`${String(value)}\` ${QUANTITY_RULE}`);
    return new Quantity(value, base);
  }

  private constructor(
    /** What was given: a number stays a number, so values round-trip unchanged. */
    public readonly given: string | number,
    /** The value in base units (cores, bytes, devices). */
    public readonly value: number,
  ) {}

  /** The text as given (`16Gi`, `8`). */
  public toString(): string {
    return String(this.given);
  }
}
