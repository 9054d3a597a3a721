/**
 * Prometheus durations (`30s`, `1m30s`, `2h`), as prometheus-operator's CRDs accept them for a ServiceMonitor's
 * `interval` and `scrapeTimeout`. The schema takes the pattern from here (`schema/schema.ts`); the checks of
 * meaning compare durations with `durationMs`.
 */

/** prometheus-operator's `Duration` pattern: units from years to milliseconds, largest first, each at most once. */
export const PROMETHEUS_DURATION_PATTERN =
  '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$';
/** What a value that is not a duration is told. */
export const PROMETHEUS_DURATION_RULE = 'is not a Prometheus duration (e.g. 30s, 1m30s, 2m)';

const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365 * 24 * 3600e3,
  w: 7 * 24 * 3600e3,
  d: 24 * 3600e3,
  h: 3600e3,
  m: 60e3,
  s: 1e3,
  ms: 1,
};

/** The milliseconds of a duration that matches the pattern; undefined otherwise. */
export function durationMs(text: string): number | undefined {
  if (!new RegExp(PROMETHEUS_DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const [, count, unit] of text.matchAll(/([0-9]+)(ms|[ywdhms])/g)) total += Number(count) * UNIT_MS[unit!]!;
  return total;
}
