import { dayOf, type Ledger } from '../ledger.js';
import type { RuleVerdict } from './types.js';

/** Trips when today's realised loss reaches the limit (USD). */
export function drawdownRule(maxDailyLossUsd: number) {
  return {
    name: 'daily_drawdown',
    describe: `trip when today's realised loss reaches $${maxDailyLossUsd}`,
    evaluate(nowMs: number, ledger: Ledger): RuleVerdict {
      const pnl = ledger.daily[dayOf(nowMs)] ?? 0;
      return pnl <= -maxDailyLossUsd
        ? { trip: true, kind: 'drawdown', reason: `daily realised loss $${(-pnl).toFixed(2)} reached the $${maxDailyLossUsd} limit` }
        : { trip: false };
    },
  };
}
