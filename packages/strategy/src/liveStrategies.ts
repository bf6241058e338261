/**
 * The strategies the analysis worker runs, built from its settings by the one function the
 * recorded-books replay (packages/backtest/src/realMarket.ts) builds them with, so a replay and the
 * live process run the same configuration (backtest/src/realParity.test.ts re-runs the replay's
 * passes through strategies built here).
 *
 * - value 'model': value bets on the model alone (the behaviour before the replay existed, kept as
 *   the default for the sim stack, whose books are a model);
 * - value 'anchored': value bets on the market-anchored fair value (marketAnchor.ts);
 * - value 'off': no value bets (the strategy still prices each market for the status page). On the
 *   shipped real books no value setting earned money out of sample: this is the replay's
 *   recommendation for paper and live trading (packages/backtest/README.md);
 * - pairs: pair accumulation (pairAccumulator.ts), or null for none.
 */
import type { AnchorWeights } from './marketAnchor.js';
import { PairAccumulator, type PairAccumulatorConfig } from './pairAccumulator.js';
import { ValueBettingStrategy, type StrategyConfig } from './valueBettingStrategy.js';

export const VALUE_MODES = ['model', 'anchored', 'off'] as const;
export type ValueMode = (typeof VALUE_MODES)[number];

export interface LiveStrategySettings {
  value: ValueMode;
  /** The value strategy's own settings (minimum edge = the margin over fees, slot, oracle age, toxicity). */
  strategy: Omit<StrategyConfig, 'anchor'>;
  /** The pool used when value is 'anchored'. */
  anchor: AnchorWeights;
  pairs: PairAccumulatorConfig | null;
}

/**
 * The first-half fit on the shipped BTC 15-minute books (`pnpm backtest --books data/polymarket/books.csv.gz
 * --outcomes data/polymarket/outcomes.csv --timeframe 15m`): the pool 'anchored' uses unless told otherwise.
 */
export const ANCHOR_BTC_15M: AnchorWeights = { intercept: -0.1787, wModel: 0.478, wMarket: 1.0733 };

export interface LiveStrategies {
  value: ValueBettingStrategy;
  /** Whether value signals are sent (false: 'off', priced for the status page only). */
  sendValue: boolean;
  pairs: PairAccumulator | null;
}

export function buildStrategies(s: LiveStrategySettings): LiveStrategies {
  return {
    value: new ValueBettingStrategy({ ...s.strategy, anchor: s.value === 'anchored' ? s.anchor : null }),
    sendValue: s.value !== 'off',
    pairs: s.pairs ? new PairAccumulator(s.pairs) : null,
  };
}
