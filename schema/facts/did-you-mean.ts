/** "Did you mean": the closest allowed spelling of a mistyped key or flag, when it is close enough to be a typo. */
import { closest, distance } from 'fastest-levenshtein';

export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  if (allowed.length === 0) return undefined;
  const sameLetters = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
  if (sameLetters) return sameLetters;
  const best = closest(key, [...allowed]);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}
