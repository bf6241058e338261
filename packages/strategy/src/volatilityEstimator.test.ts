import { describe, expect, it } from 'vitest';
import { YEAR_SECONDS } from './jumpDiffusionModel.js';
import { DEFAULT_LIMITS, estimateJumpDiffusion } from './volatilityEstimator.js';

// 2,000 one-minute prices, Gaussian 0.05 % steps (seeded), and a +1 % jump every 100 minutes after minute 300.
function series(): { prices: number[]; jumps: number } {
  let seed = 11;
  const uniform = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  let price = 100;
  let jumps = 0;
  const prices = [price];
  for (let i = 1; i < 2_000; i++) {
    let r = 0.0005 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    if (i > 300 && i % 100 === 0) {
      r += 0.01;
      jumps++;
    }
    price *= Math.exp(r);
    prices.push(price);
  }
  return { prices, jumps };
}
const fallback = { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0, jumpStd: 0.004 };

describe('estimateJumpDiffusion', () => {
  const { prices, jumps } = series();
  const est = estimateJumpDiffusion(prices, 60, fallback);

  it('finds the injected jumps and counts them over the span Lee–Mykland could test', () => {
    expect(est.jumps).toBe(jumps);
    const K = 270;
    const tested = (prices.length - 1 - K) * (60 / YEAR_SECONDS);
    expect(est.lambdaPerYear).toBeCloseTo(jumps / tested, 6);
    expect(est.lambdaPerYear).toBeGreaterThan(jumps / ((prices.length - 1) * (60 / YEAR_SECONDS)));
  });

  it('reports the jump mean but prices symmetric jumps by default, keeping their second moment', () => {
    expect(DEFAULT_LIMITS.jumpMeanWeight).toBe(0);
    expect(est.jumpMeanEstimate).toBeGreaterThan(0.009);
    expect(est.jumpMeanEstimate).toBeLessThan(0.011);
    expect(est.jumpMean).toBe(0);
    // All of E[J²] ≈ 0.01² goes into the spread once the mean is dropped.
    expect(est.jumpStd).toBeGreaterThan(0.009);
    const full = estimateJumpDiffusion(prices, 60, fallback, { ...DEFAULT_LIMITS, jumpMeanWeight: 1 });
    expect(full.jumpMean).toBeCloseTo(est.jumpMeanEstimate, 12);
    expect(full.jumpStd).toBeLessThan(0.002); // the same jumps, sized ±0.0005 around their mean
    expect(full.sigma).toBe(est.sigma);
    expect(full.lambdaPerYear).toBe(est.lambdaPerYear);
  });

  it('falls back with too little history', () => {
    const short = estimateJumpDiffusion(prices.slice(0, 20), 60, fallback);
    expect(short).toMatchObject({ ...fallback, returns: 19, jumps: 0 });
    expect(Number.isNaN(short.jumpMeanEstimate)).toBe(true);
  });
});
