/**
 * Flags order flow that makes taking likely adverse: one-sided aggressive trades (order-flow
 * imbalance) and a spot move the book has not absorbed yet. Each flag carries its value and threshold.
 */
import type { ToxicityFlag } from '@polybot/shared';

export interface TapeTrade {
  price: number;
  size: number;
  side: 'BUY' | 'SELL';
  timestampMs: number;
}

export interface ToxicityConfig {
  /** |buy − sell| / (buy + sell) over the lookback above which flow is one-sided. */
  imbalanceThreshold: number;
  /** Minimum traded shares in the lookback before imbalance means anything. */
  minVolume: number;
  lookbackMs: number;
  /** Relative spot move in the last seconds that the book may not have absorbed. */
  spotMoveThreshold: number;
}

export const DEFAULT_TOXICITY: ToxicityConfig = { imbalanceThreshold: 0.8, minVolume: 50, lookbackMs: 30_000, spotMoveThreshold: 0.0015 };

export function orderFlowImbalance(trades: readonly TapeTrade[]): { imbalance: number; volume: number } {
  let buy = 0;
  let sell = 0;
  for (const t of trades) (t.side === 'BUY' ? (buy += t.size) : (sell += t.size));
  const volume = buy + sell;
  return { imbalance: volume > 0 ? (buy - sell) / volume : 0, volume };
}

export function toxicityFlags(
  input: { trades: readonly TapeTrade[]; spotNow: number; spotBefore: number | null; nowMs: number },
  cfg: ToxicityConfig = DEFAULT_TOXICITY,
): ToxicityFlag[] {
  const recent = input.trades.filter((t) => t.timestampMs >= input.nowMs - cfg.lookbackMs);
  const { imbalance, volume } = orderFlowImbalance(recent);
  const move = input.spotBefore && input.spotBefore > 0 ? Math.abs(input.spotNow / input.spotBefore - 1) : 0;
  return [
    { name: 'order_flow_imbalance', value: imbalance, threshold: cfg.imbalanceThreshold, flagged: volume >= cfg.minVolume && Math.abs(imbalance) > cfg.imbalanceThreshold },
    { name: 'unabsorbed_spot_move', value: move, threshold: cfg.spotMoveThreshold, flagged: move > cfg.spotMoveThreshold },
  ];
}
