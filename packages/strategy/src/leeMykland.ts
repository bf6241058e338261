/**
 * Lee–Mykland (2008) jump test on log returns, with the local scale from bipower over the previous
 * K returns (no π/2, so L ≈ N(0,1)/c with c = sqrt(2/π)), as in docs/quant.md §3.1.
 * Causal: the scale at i uses returns before i only.
 */
export function leeMyklandFlags(r: readonly number[], K: number, alpha = 0.01): boolean[] {
  const n = r.length;
  const c = Math.sqrt(2 / Math.PI);
  const M = n;
  const lnM = Math.log(M);
  const CM = Math.sqrt(2 * lnM) / c - (Math.log(Math.PI) + Math.log(lnM)) / (2 * c * Math.sqrt(2 * lnM));
  const SM = 1 / (c * Math.sqrt(2 * lnM));
  const critical = -Math.log(-Math.log(1 - alpha));
  const flags = new Array<boolean>(n).fill(false);
  // Rolling sum of |r_j||r_{j-1}| for j in [i-K+2, i-1].
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (i >= 2) sum += Math.abs(r[i - 1]!) * Math.abs(r[i - 2]!);
    const drop = i - K + 1; // the product that leaves the window: j = i-K+1
    if (drop >= 1) sum -= Math.abs(r[drop]!) * Math.abs(r[drop - 1]!);
    if (i < K) continue;
    const sigma = Math.sqrt(Math.max(sum, 0) / (K - 2));
    if (sigma <= 0) continue;
    const L = r[i]! / sigma;
    flags[i] = (Math.abs(L) - CM) / SM > critical;
  }
  return flags;
}

export function logReturns(prices: readonly number[]): number[] {
  const out = new Array<number>(Math.max(0, prices.length - 1));
  for (let i = 1; i < prices.length; i++) out[i - 1] = Math.log(prices[i]! / prices[i - 1]!);
  return out;
}

/** Realised and bipower variance (annualised volatilities) of returns at a spacing in seconds. */
export function realisedAndBipower(r: readonly number[], spacingSeconds: number): { rvSigma: number; bvSigma: number; jumpShare: number } {
  const n = r.length;
  let rv = 0;
  let bv = 0;
  for (let i = 0; i < n; i++) {
    rv += r[i]! * r[i]!;
    if (i > 0) bv += Math.abs(r[i]!) * Math.abs(r[i - 1]!);
  }
  bv *= (Math.PI / 2) * (n / (n - 1));
  const years = (n * spacingSeconds) / (365 * 24 * 3600);
  return { rvSigma: Math.sqrt(rv / years), bvSigma: Math.sqrt(bv / years), jumpShare: (rv - bv) / rv };
}
