/**
 * Flags order flow that makes taking likely adverse: one-sided aggressive trades (order-flow
 * imbalance, VPIN), a spot move the book has not absorbed yet, and a book whose top changes much
 * faster than it did lately. Each flag carries its value and threshold.
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
  /** Minimum traded shares in the lookback before imbalance means anything (venue units: shares). */
  minVolume: number;
  lookbackMs: number;
  /** Relative spot move over the last `spotMoveWindowMs` that the book may not have absorbed. */
  spotMoveThreshold: number;
  spotMoveWindowMs: number;
  /** VPIN: shares per equal-volume bucket (venue units), buckets averaged, level above which flow is toxic. */
  vpinBucketVolume: number;
  vpinBuckets: number;
  vpinThreshold: number;
  /**
   * Book change speed: top-of-book changes per second over the last `bookSpeedShortMs`, divided by
   * the rate over the last `bookSpeedLongMs` (dimensionless). Flagged above the threshold once the
   * long window holds at least `bookSpeedMinChanges` changes (fewer say nothing about a baseline).
   */
  bookSpeedThreshold: number;
  bookSpeedShortMs: number;
  bookSpeedLongMs: number;
  bookSpeedMinChanges: number;
}

export const DEFAULT_TOXICITY: ToxicityConfig = {
  imbalanceThreshold: 0.57,
  minVolume: 50,
  lookbackMs: 30_000,
  spotMoveThreshold: 0.00025,
  spotMoveWindowMs: 5_000,
  vpinBucketVolume: 100,
  vpinBuckets: 10,
  vpinThreshold: 0.77,
  bookSpeedThreshold: 1.8,
  bookSpeedShortMs: 2_000,
  bookSpeedLongMs: 60_000,
  bookSpeedMinChanges: 10,
};

export function orderFlowImbalance(trades: readonly TapeTrade[]): { imbalance: number; volume: number } {
  let buy = 0;
  let sell = 0;
  for (const t of trades) {
    if (t.side === 'BUY') buy += t.size;
    else sell += t.size;
  }
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

/**
 * Top-of-book changes per second over (now − shortMs, now] against the rate over (now − longMs, now];
 * the short window is part of the long one, so the ratio lies in [0, longMs / shortMs]. Changes after
 * `nowMs` are ignored; no change in the long window gives 0.
 */
export function bookChangeSpeed(
  changesMs: readonly number[],
  nowMs: number,
  shortMs: number,
  longMs: number,
): { ratio: number; shortCount: number; longCount: number } {
  let shortCount = 0;
  let longCount = 0;
  for (const t of changesMs) {
    if (t > nowMs || t <= nowMs - longMs) continue;
    longCount++;
    if (t > nowMs - shortMs) shortCount++;
  }
  const ratio = longCount > 0 && shortMs > 0 ? shortCount / shortMs / (longCount / longMs) : 0;
  return { ratio, shortCount, longCount };
}

export function toxicityFlags(
  input: { trades: readonly TapeTrade[]; spotNow: number; spotBefore: number | null; nowMs: number; bookChangesMs?: readonly number[] },
  cfg: ToxicityConfig = DEFAULT_TOXICITY,
): ToxicityFlag[] {
  const recent = input.trades.filter((t) => t.timestampMs >= input.nowMs - cfg.lookbackMs);
  const { imbalance, volume } = orderFlowImbalance(recent);
  const move = input.spotBefore && input.spotBefore > 0 ? Math.abs(input.spotNow / input.spotBefore - 1) : 0;
  const v = vpin(input.trades, cfg.vpinBucketVolume, cfg.vpinBuckets);
  const speed = bookChangeSpeed(input.bookChangesMs ?? [], input.nowMs, cfg.bookSpeedShortMs, cfg.bookSpeedLongMs);
  return [
    { name: 'vpin', value: v.vpin, threshold: cfg.vpinThreshold, flagged: v.buckets >= cfg.vpinBuckets && v.vpin > cfg.vpinThreshold },
    {
      name: 'order_flow_imbalance',
      value: imbalance,
      threshold: cfg.imbalanceThreshold,
      flagged: volume >= cfg.minVolume && Math.abs(imbalance) > cfg.imbalanceThreshold,
    },
    { name: 'unabsorbed_spot_move', value: move, threshold: cfg.spotMoveThreshold, flagged: move > cfg.spotMoveThreshold },
    {
      name: 'book_change_speed',
      value: speed.ratio,
      threshold: cfg.bookSpeedThreshold,
      flagged: speed.longCount >= cfg.bookSpeedMinChanges && speed.ratio > cfg.bookSpeedThreshold,
    },
  ];
}
