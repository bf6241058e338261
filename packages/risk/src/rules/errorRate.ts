import type { RuleVerdict } from './types.js';

/** Trips when errors (venue, API, Redis, rejected orders) within a sliding window reach a count; a lost heartbeat trips at once. */
export function errorRateRule(maxErrors: number, windowMs: number) {
  return {
    name: 'error_rate',
    describe: `trip on ${maxErrors} errors within ${windowMs / 1000}s, or on a lost venue heartbeat`,
    evaluate(nowMs: number, errors: ReadonlyArray<{ atMs: number; source: string }>): RuleVerdict {
      const recent = errors.filter((e) => e.atMs > nowMs - windowMs);
      const hb = recent.find((e) => e.source === 'heartbeat');
      if (hb) return { trip: true, kind: 'heartbeat', reason: 'venue heartbeat lost: the venue may have cancelled every order' };
      return recent.length >= maxErrors
        ? { trip: true, kind: 'error_rate', reason: `${recent.length} errors within ${windowMs / 1000}s (limit ${maxErrors})` }
        : { trip: false };
    },
  };
}
