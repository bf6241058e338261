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
  /** VPIN: shares per equal-volume bucket, buckets averaged, level above which flow is toxic. */
  vpinBucketVolume: number;
  vpinBuckets: number;
  vpinThreshold: number;
}

export const DEFAULT_TOXICITY: ToxicityConfig = { imbalanceThreshold: 0.8, minVolume: 50, lookbackMs: 30_000, spotMoveThreshold: 0.0015, vpinBucketVolume: 100, vpinBuckets: 10, vpinThreshold: 0.8 };

export function orderFlowImbalance(trades: readonly TapeTrade[]): { imbalance: number; volume: number } {
  let buy = 0;
  let sell = 0;
  for (const t of trades) (t.side === 'BUY' ? (buy += t.size) : (sell += t.size));
  const volume = buy + sell;
  return { imbalance: volume > 0 ? (buy - sell) / volume : 0, volume };
}

/**
 * VPIN (Easley, López de Prado, O'Hara) with the true aggressor side: trades (oldest first) fill
 * equal-volume buckets, a trade straddling a boundary is split; VPIN = mean |sell − buy| / V over
 * the last `maxBuckets` complete buckets. `buckets` = how many complete buckets went into it.
 */
export function vpin(trades: readonly TapeTrade[], bucketVolume: number, maxBuckets: number): { vpin: number; buckets: number } {
  if (!(bucketVolume > 0) || maxBuckets < 1) return { vpin: 0, buckets: 0 };
  const sorted = [...trades].sort((a, b) => a.timestampMs - b.timestampMs);
  const imbalances: number[] = [];
  let buy = 0;
  let sell = 0;
  for (const t of sorted) {
    let left = t.size;
    while (left > 0) {
      const take = Math.min(left, bucketVolume - (buy + sell));
      if (t.side === 'BUY') buy += take;
      else sell += take;
      left -= take;
      // Tolerance: float sums of sizes should close a bucket that is full to rounding.
      if (buy + sell >= bucketVolume - 1e-9) {
        imbalances.push(Math.abs(buy - sell) / bucketVolume);
        buy = 0;
        sell = 0;
      }
    }
  }
  const last = imbalances.slice(-maxBuckets);
  return { vpin: last.length ? last.reduce((a, b) => a + b, 0) / last.length : 0, buckets: last.length };
}

export function toxicityFlags(
  input: { trades: readonly TapeTrade[]; spotNow: number; spotBefore: number | null; nowMs: number },
  cfg: ToxicityConfig = DEFAULT_TOXICITY,
): ToxicityFlag[] {
  const recent = input.trades.filter((t) => t.timestampMs >= input.nowMs - cfg.lookbackMs);
  const { imbalance, volume } = orderFlowImbalance(recent);
  const move = input.spotBefore && input.spotBefore > 0 ? Math.abs(input.spotNow / input.spotBefore - 1) : 0;
  const v = vpin(input.trades, cfg.vpinBucketVolume, cfg.vpinBuckets);
  return [
    { name: 'vpin', value: v.vpin, threshold: cfg.vpinThreshold, flagged: v.buckets >= cfg.vpinBuckets && v.vpin > cfg.vpinThreshold },
    { name: 'order_flow_imbalance', value: imbalance, threshold: cfg.imbalanceThreshold, flagged: volume >= cfg.minVolume && Math.abs(imbalance) > cfg.imbalanceThreshold },
    { name: 'unabsorbed_spot_move', value: move, threshold: cfg.spotMoveThreshold, flagged: move > cfg.spotMoveThreshold },
  ];
}
