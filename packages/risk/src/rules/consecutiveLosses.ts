import type { Ledger } from '../ledger.js';
import type { RuleVerdict } from './types.js';

/** Trips after N losing settlements in a row. */
export function consecutiveLossesRule(maxLosses: number) {
  return {
    name: 'consecutive_losses',
    describe: `trip after ${maxLosses} losing settlements in a row`,
    evaluate(_nowMs: number, ledger: Ledger): RuleVerdict {
      return ledger.consecutiveLosses >= maxLosses
        ? { trip: true, kind: 'losses', reason: `${ledger.consecutiveLosses} losing settlements in a row (limit ${maxLosses})` }
        : { trip: false };
    },
  };
}
