/**
 * Does a toxicity measure predict the next seconds' price move? On a regular grid of sample times t,
 * each measure is computed with the live flag's own functions on a TRAILING window ending at t
 * (only events with time ≤ t), and the outcome is the relative mid move over (t, t + h]: the mid
 * of the last quote ≤ t + h against the mid of the last quote ≤ t. Samples are then bucketed by
 * quantile of the measure's magnitude.
 */
import { bookChangeSpeed, orderFlowImbalance, vpin, type TapeTrade } from '../toxicityFilter.js';
import type { StudyQuote, StudySource } from './data.js';

export interface StudyConfig {
  /** Grid step between sample times. */
  stepMs: number;
  /** Forward horizons in seconds. */
  horizonsS: number[];
  imbalanceWindowMs: number;
  /**
   * VPIN: trades of the last `vpinWindowMs` fill equal-volume buckets, the last `vpinBuckets` are
   * averaged. A bucket holds the source's mean volume per `vpinBucketSeconds`: bucket volume is in
   * venue units (BTC here, shares on Polymarket), so only its size relative to the flow is comparable.
   */
  vpinWindowMs: number;
  vpinBucketSeconds: number;
  vpinBuckets: number;
  spotWindowMs: number;
  bookShortMs: number;
  bookLongMs: number;
  /** A sample is skipped when the book was silent this long before t (a feed gap, not a quiet market). */
  maxQuoteGapMs: number;
  /** Quantile buckets per measure. */
  buckets: number;
}

export const MEASURES = ['order_flow_imbalance', 'vpin', 'unabsorbed_spot_move', 'book_change_speed'] as const;
export type MeasureName = (typeof MEASURES)[number];
/** Signed measures point in a direction (buy flow, spot up); the others only say "something is happening". */
export const SIGNED: Record<MeasureName, boolean> = { order_flow_imbalance: true, vpin: false, unabsorbed_spot_move: true, book_change_speed: false };

export interface Sample {
  source: string;
  tMs: number;
  measures: Record<MeasureName, number>;
  /** Relative mid move over (t, t + h] per horizon. */
  forward: number[];
  /** The same divided by the source's mean |forward move| at that horizon (sources differ in volatility). */
  forwardScaled: number[];
}

const lastAtOrBefore = (times: Float64Array, t: number): number => {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || times[0]! > t) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
};

const sameTop = (a: StudyQuote, b: StudyQuote) => a.bid === b.bid && a.ask === b.ask && a.bidQty === b.bidQty && a.askQty === b.askQty;

export function sampleSource(src: StudySource, cfg: StudyConfig): Sample[] {
  const quotes = src.quotes;
  if (!quotes.length || !src.trades.length) return [];
  const qt = Float64Array.from(quotes, (q) => q.tMs);
  const mid = Float64Array.from(quotes, (q) => (q.bid + q.ask) / 2);
  // Times at which the top of book (a price or a size) changed: what ingestion records for Polymarket.
  const changes = quotes.filter((q, i) => i === 0 || !sameTop(quotes[i - 1]!, q)).map((q) => q.tMs);
  const ct = Float64Array.from(changes);
  const tape: TapeTrade[] = src.trades.map((t) => ({ price: 0, size: t.size, side: t.side, timestampMs: t.tMs }));
  const tt = Float64Array.from(tape, (t) => t.timestampMs);
  const volumePerMs = src.trades.reduce((a, t) => a + t.size, 0) / Math.max(1, tt[tt.length - 1]! - tt[0]!);
  const bucketVolume = volumePerMs * cfg.vpinBucketSeconds * 1000;
  const warmup = Math.max(cfg.imbalanceWindowMs, cfg.vpinWindowMs, cfg.spotWindowMs, cfg.bookLongMs);
  const maxH = Math.max(...cfg.horizonsS) * 1000;
  const first = Math.max(qt[0]!, tt[0]!) + warmup;
  const last = Math.min(qt[qt.length - 1]!, tt[tt.length - 1]!) - maxH;
  const out: Sample[] = [];
  // Grid on whole multiples of the step so that re-runs and merged files give the same times.
  for (let t = Math.ceil(first / cfg.stepMs) * cfg.stepMs; t <= last; t += cfg.stepMs) {
    const i = lastAtOrBefore(qt, t);
    const j = lastAtOrBefore(qt, t - cfg.spotWindowMs);
    if (i < 0 || j < 0 || t - qt[i]! > cfg.maxQuoteGapMs) continue;
    const window = (fromMs: number) => tape.slice(lastAtOrBefore(tt, fromMs) + 1, lastAtOrBefore(tt, t) + 1);
    const ofi = orderFlowImbalance(window(t - cfg.imbalanceWindowMs));
    const v = vpin(window(t - cfg.vpinWindowMs), bucketVolume, cfg.vpinBuckets);
    if (v.buckets < cfg.vpinBuckets) continue;
    const recentChanges = Array.from(ct.subarray(lastAtOrBefore(ct, t - cfg.bookLongMs) + 1, lastAtOrBefore(ct, t) + 1));
    const speed = bookChangeSpeed(recentChanges, t, cfg.bookShortMs, cfg.bookLongMs);
    const forward = cfg.horizonsS.map((h) => mid[lastAtOrBefore(qt, t + h * 1000)]! / mid[i]! - 1);
    out.push({
      source: src.name,
      tMs: t,
      measures: { order_flow_imbalance: ofi.imbalance, vpin: v.vpin, unabsorbed_spot_move: mid[i]! / mid[j]! - 1, book_change_speed: speed.ratio },
      forward,
      forwardScaled: [],
    });
  }
  cfg.horizonsS.forEach((_, h) => {
    const meanAbs = out.reduce((a, x) => a + Math.abs(x.forward[h]!), 0) / out.length;
    for (const x of out) x.forwardScaled[h] = meanAbs > 0 ? x.forward[h]! / meanAbs : 0;
  });
  return out;
}

export interface BucketRow {
  /** Range of |measure| in this bucket. */
  lo: number;
  hi: number;
  count: number;
  /** Mean forward move in the direction the measure points, in basis points (signed measures only). */
  meanMoveInDirectionBps: number | null;
  /** Share of the non-zero forward moves that went in that direction (signed measures only). */
  shareInDirection: number | null;
  meanAbsMoveBps: number;
  /** Mean |forward move| in units of its source's mean |forward move| (1 = usual). */
  absMoveRatio: number;
}

export interface MeasureTable {
  measure: MeasureName;
  signed: boolean;
  horizonS: number;
  all: BucketRow;
  buckets: BucketRow[];
}

interface Stats extends BucketRow {
  nonZero: number;
  absRatioSd: number;
}

function stats(sel: readonly Sample[], measure: MeasureName, h: number): Stats {
  const signed = SIGNED[measure];
  let dir = 0;
  let hit = 0;
  let nonZero = 0;
  let abs = 0;
  let ratio = 0;
  let ratio2 = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of sel) {
    const m = x.measures[measure];
    const sign = signed ? Math.sign(m) : 1;
    const f = x.forward[h]!;
    const r = Math.abs(x.forwardScaled[h]!);
    lo = Math.min(lo, Math.abs(m));
    hi = Math.max(hi, Math.abs(m));
    abs += Math.abs(f);
    ratio += r;
    ratio2 += r * r;
    dir += sign * f;
    if (f !== 0 && sign !== 0) {
      nonZero++;
      if (Math.sign(f) === sign) hit++;
    }
  }
  const n = sel.length;
  const meanRatio = n ? ratio / n : NaN;
  return {
    lo,
    hi,
    count: n,
    meanMoveInDirectionBps: signed ? (dir / n) * 1e4 : null,
    shareInDirection: signed ? (nonZero ? hit / nonZero : NaN) : null,
    meanAbsMoveBps: (abs / n) * 1e4,
    absMoveRatio: meanRatio,
    nonZero,
    absRatioSd: n > 1 ? Math.sqrt(Math.max(0, (ratio2 - n * meanRatio * meanRatio) / (n - 1))) : NaN,
  };
}

const strip = ({ nonZero: _n, absRatioSd: _s, ...row }: Stats): BucketRow => row;

/** Samples ordered by |measure| (ties by sample order, so the split is deterministic). */
function byMagnitude(samples: readonly Sample[], measure: MeasureName): Sample[] {
  return samples
    .map((x, k) => ({ x, k, mag: Math.abs(x.measures[measure]) }))
    .sort((a, b) => a.mag - b.mag || a.k - b.k)
    .map((o) => o.x);
}

const cut = (n: number, b: number, buckets: number) => Math.floor((b * n) / buckets);

/** Rank buckets of |measure|: bucket b holds ranks [⌊b·n/B⌋, ⌊(b+1)·n/B⌋) of the sorted magnitudes. */
export function measureTable(samples: readonly Sample[], measure: MeasureName, horizonIndex: number, horizonS: number, buckets: number): MeasureTable {
  const sorted = byMagnitude(samples, measure);
  const n = sorted.length;
  return {
    measure,
    signed: SIGNED[measure],
    horizonS,
    all: strip(stats(sorted, measure, horizonIndex)),
    buckets: Array.from({ length: buckets }, (_, b) => strip(stats(sorted.slice(cut(n, b, buckets), cut(n, b + 1, buckets)), measure, horizonIndex))),
  };
}

/**
 * The rule that turns the tables into thresholds. Candidates are the lower edges of the quantile
 * buckets of |measure| (the ⌊b·n/B⌋-th smallest magnitude, b = 1 … B−1); the tail of an edge is every
 * sample at or above it. The threshold is the LOWEST edge whose tail, at the `horizonS` horizon,
 * is toxic in either sense, with a z-score ≥ `minZ` so that noise does not set it:
 *  - direction (signed measures): the share of non-zero forward moves in the measure's direction
 *    is ≥ `minShare` (z against a coin: (share − ½) / √(¼ / n));
 *  - magnitude (all measures): the mean |forward move| is ≥ `minAbsRatio` × the usual one
 *    (each source's unconditional mean, z against 1 with the tail's own spread).
 * Samples on a grid finer than the horizon overlap, so n counts as n × step / horizon.
 * When no edge qualifies the measure did not predict the move on this data: the threshold is then
 * the `fallbackQuantile` quantile of |measure| (flag only the extremes), and `predictive` is false.
 */
export interface ThresholdRule {
  horizonS: number;
  minShare: number;
  minAbsRatio: number;
  minZ: number;
  fallbackQuantile: number;
}

export const THRESHOLD_RULE: ThresholdRule = { horizonS: 1, minShare: 0.55, minAbsRatio: 1.25, minZ: 2, fallbackQuantile: 0.9 };

export interface DerivedThreshold {
  measure: MeasureName;
  threshold: number;
  /** Two significant digits: what DEFAULT_TOXICITY ships. */
  rounded: number;
  predictive: boolean;
  /** Which criterion set it, with the tail's numbers. */
  reason: string;
}

/** Thresholds are shipped to two significant digits. */
export const roundThreshold = (x: number): number => Number(x.toPrecision(2));

export function deriveThreshold(
  samples: readonly Sample[],
  measure: MeasureName,
  horizonIndex: number,
  stepMs: number,
  buckets: number,
  rule: ThresholdRule = THRESHOLD_RULE,
): DerivedThreshold {
  const sorted = byMagnitude(samples, measure);
  const n = sorted.length;
  const overlap = Math.min(1, stepMs / (rule.horizonS * 1000));
  for (let b = 1; b < buckets; b++) {
    const from = cut(n, b, buckets);
    const tail = sorted.slice(from);
    const edge = Math.abs(sorted[from]!.measures[measure]);
    const st = stats(tail, measure, horizonIndex);
    const done = (reason: string): DerivedThreshold => ({ measure, threshold: edge, rounded: roundThreshold(edge), predictive: true, reason });
    if (SIGNED[measure] && st.shareInDirection !== null && st.nonZero > 0) {
      const z = (st.shareInDirection - 0.5) / Math.sqrt(0.25 / (st.nonZero * overlap));
      if (st.shareInDirection >= rule.minShare && z >= rule.minZ)
        return done(
          `direction: top ${buckets - b}/${buckets} (n=${tail.length}) moved its way in ${(st.shareInDirection * 100).toFixed(1)} % over ${rule.horizonS} s (z ${z.toFixed(2)})`,
        );
    }
    const zAbs = st.absRatioSd > 0 ? (st.absMoveRatio - 1) / (st.absRatioSd / Math.sqrt(tail.length * overlap)) : 0;
    if (st.absMoveRatio >= rule.minAbsRatio && zAbs >= rule.minZ)
      return done(
        `magnitude: top ${buckets - b}/${buckets} (n=${tail.length}) moved ${st.absMoveRatio.toFixed(2)} × the usual |move| over ${rule.horizonS} s (z ${zAbs.toFixed(2)})`,
      );
  }
  const q = Math.abs(sorted[Math.min(n - 1, Math.floor(rule.fallbackQuantile * n))]!.measures[measure]);
  return {
    measure,
    threshold: q,
    rounded: roundThreshold(q),
    predictive: false,
    reason: `no tail predicted the ${rule.horizonS} s move: the ${rule.fallbackQuantile} quantile, to flag only the extremes`,
  };
}
