/**
 * Diffusive volatility robust to jumps (bipower variation) and a jump law from threshold-flagged
 * returns, each clamped to a floor and a cap. Inputs are prices at a fixed spacing.
 */
import type { JumpParams } from './jumpDiffusionModel.js';
import { YEAR_SECONDS } from './jumpDiffusionModel.js';
import { leeMyklandFlags } from './leeMykland.js';

export interface EstimatorLimits {
  sigma: [number, number];
  lambdaPerYear: [number, number];
  jumpStd: [number, number];
  jumpMeanAbs: number;
  /**
   * Weight on the estimated jump mean (0 = symmetric jumps). A few dozen flagged returns give a
   * mean whose standard error exceeds the mean itself, and through the compensator −λτk a mean
   * becomes a drift of the no-jump term, i.e. noise straight into an at-the-money probability.
   * 0 was chosen on the first half of the FTX month (`pnpm calibrate`, root README).
   */
  jumpMeanWeight: number;
}

export const DEFAULT_LIMITS: EstimatorLimits = { sigma: [0.05, 3], lambdaPerYear: [0, 20_000], jumpStd: [0.0005, 0.05], jumpMeanAbs: 0.02, jumpMeanWeight: 0 };

export interface Estimate extends JumpParams {
  returns: number;
  jumps: number;
  /** Mean of the flagged returns before the weight (NaN without jumps), for logs and studies. */
  jumpMeanEstimate: number;
  rv: number;
  bv: number;
}

const clamp = (v: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, v));

/**
 * @param prices at a constant spacing
 * @param spacingSeconds the spacing
 * @param threshold jump threshold in local standard deviations (Mancini/Lee–Mykland style)
 */
export function estimateJumpDiffusion(
  prices: readonly number[],
  spacingSeconds: number,
  fallback: JumpParams,
  limits = DEFAULT_LIMITS,
  threshold = 4,
): Estimate {
  const r: number[] = [];
  for (let i = 1; i < prices.length; i++) {
    const a = prices[i - 1]!;
    const b = prices[i]!;
    if (a > 0 && b > 0) r.push(Math.log(b / a));
  }
  const n = r.length;
  if (n < 30) return { ...fallback, returns: n, jumps: 0, jumpMeanEstimate: NaN, rv: 0, bv: 0 };
  const dt = spacingSeconds / YEAR_SECONDS;
  let rv = 0;
  let bvSum = 0;
  for (let i = 0; i < n; i++) {
    rv += r[i]! * r[i]!;
    if (i > 0) bvSum += Math.abs(r[i]!) * Math.abs(r[i - 1]!);
  }
  const bv = (Math.PI / 2) * (n / (n - 1)) * bvSum;
  const sigma = Math.sqrt(bv / (n * dt));
  // Lee–Mykland when there is enough history for its local scale; a plain threshold otherwise.
  const cut = threshold * sigma * Math.sqrt(dt);
  const K = Math.min(270, Math.floor(n / 2));
  const lm = n >= 300;
  const flags = lm ? leeMyklandFlags(r, K, 0.01) : r.map((x) => Math.abs(x) > cut);
  const jumps = r.filter((_, i) => flags[i]);
  // Lee–Mykland cannot flag the first K returns (they seed its local scale): count over the span it tested.
  const years = (lm ? n - K : n) * dt;
  const lambda = jumps.length / years;
  const estimated = jumps.length ? jumps.reduce((s, x) => s + x, 0) / jumps.length : NaN;
  const w = limits.jumpMeanWeight;
  const mean = jumps.length ? w * estimated : fallback.jumpMean;
  // The jump variance keeps the flagged returns' second moment: what the weight takes off the mean it adds to the spread.
  const variance =
    jumps.length > 1
      ? jumps.reduce((s, x) => s + (x - estimated) ** 2, 0) / (jumps.length - 1) + (1 - w * w) * estimated * estimated - sigma * sigma * dt
      : fallback.jumpStd ** 2;
  return {
    sigma: clamp(sigma, limits.sigma),
    lambdaPerYear: clamp(lambda, limits.lambdaPerYear),
    jumpMean: Math.max(-limits.jumpMeanAbs, Math.min(limits.jumpMeanAbs, mean)),
    jumpStd: clamp(Math.sqrt(Math.max(variance, 0)), limits.jumpStd),
    returns: n,
    jumps: jumps.length,
    jumpMeanEstimate: estimated,
    rv,
    bv,
  };
}

/** Resamples irregular ticks onto a regular grid (last price at or before each point). */
export function resample(points: ReadonlyArray<{ timestampMs: number; price: number }>, spacingMs: number): number[] {
  if (points.length === 0) return [];
  const out: number[] = [];
  let j = 0;
  const start = points[0]!.timestampMs;
  const end = points[points.length - 1]!.timestampMs;
  for (let t = start; t <= end; t += spacingMs) {
    while (j + 1 < points.length && points[j + 1]!.timestampMs <= t) j++;
    out.push(points[j]!.price);
  }
  return out;
}
