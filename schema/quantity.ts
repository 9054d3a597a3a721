/**
 * Kubernetes resource quantities (`8`, `500m`, `30Gi`, `1e3`) as numbers, for the checks that compare them.
 * Their syntax is checked by the schema's `quantity` pattern; this only reads values that passed it.
 */
import type { Quantity } from './values.generated.js';

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
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
export function quantityValue(q: Quantity): number | undefined {
  if (typeof q === 'number') return q;
  const m = /^\+?((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(q);
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : undefined;
}
