import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mertonProbAbove, probabilityUp, YEAR_SECONDS } from './jumpDiffusionModel.js';

// Reference values: docs/quant.md §2 (independent Fourier inversion and QuantLib checks).
describe('Merton digital against reference values', () => {
  // (b) Haug grid: S = 100, r = 0.08, v = 0.25, γ split: σ = v√(1−γ), δ = v√(γ/λ), μ_J = −δ²/2.
  const haug: Array<[number, number, number, number, number]> = [
    [90, 0.1, 1, 0.25, 0.929874058233],
    [90, 0.5, 10, 0.75, 0.777032673409],
    [100, 0.1, 1, 0.25, 0.52914239786],
    [100, 0.25, 5, 0.5, 0.544213479342],
    [100, 0.5, 10, 0.75, 0.559521528861],
    [110, 0.1, 10, 0.75, 0.104170405063],
    [110, 0.25, 5, 0.5, 0.240902113553],
    [110, 0.5, 1, 0.25, 0.340216640283],
  ];
  it.each(haug)('Haug grid K=%d T=%d λ=%d γ=%d', (K, T, lambda, gamma, expected) => {
    const v = 0.25;
    const sigma = v * Math.sqrt(1 - gamma);
    const delta = v * Math.sqrt(gamma / lambda);
    const p = mertonProbAbove(Math.log(100 / K), sigma * sigma * T, T, 0.08, lambda, -(delta * delta) / 2, delta);
    expect(p).toBeCloseTo(expected, 10);
  });

  // (c) k ≠ 0: jumps with a non-zero mean, so the compensator matters.
  const kNonZero: Array<[number, number, number, number, number, number, number, number, number]> = [
    [100, 100, 1.0, 0.05, 0.2, 1, -0.1, 0.15, 0.548812568884],
    [100, 90, 0.5, 0.05, 0.2, 3, -0.05, 0.1, 0.732747502635],
    [100, 110, 0.25, 0, 0.3, 5, 0.05, 0.08, 0.25888979431],
  ];
  it.each(kNonZero)('k≠0 S=%d K=%d', (S, K, T, r, sigma, lambda, m, delta, expected) => {
    expect(mertonProbAbove(Math.log(S / K), sigma * sigma * T, T, r, lambda, m, delta)).toBeCloseTo(expected, 10);
  });

  // (d) 15-minute BTC-like cases, martingale convention, point settlement.
  const sets = { BS: [0, 0, 0], A: [100, 0, 0.005], B: [500, -0.001, 0.003], C: [2000, 0, 0.002] } as const;
  const d: Array<[number, number, number, number, number, number]> = [
    [900, 1.0, 0.499467195485, 0.49946267863, 0.500181261468, 0.499456331747],
    [900, 1.001, 0.645372516247, 0.645151917349, 0.645267310896, 0.643774834865],
    [900, 0.998, 0.226373189984, 0.226755100992, 0.227977998033, 0.229044032268],
    [300, 1.001, 0.741297020217, 0.741137019559, 0.74113992257, 0.739632213979],
    [60, 0.998, 0.001846973223, 0.001912386961, 0.002010005119, 0.002493536366],
  ];
  it.each(d)('15-minute case τ=%ds S/K=%d', (secs, sk, bs, a, b, c) => {
    const expected = { BS: bs, A: a, B: b, C: c };
    for (const [name, [lambda, m, delta]] of Object.entries(sets)) {
      const p = probabilityUp({ spot: sk, strike: 1, secondsLeft: secs, sigma: 0.5, lambdaPerYear: lambda, jumpMean: m, jumpStd: delta });
      expect(p, name).toBeCloseTo(expected[name as keyof typeof expected], 10);
    }
  });
});

const params = fc.record({
  sigma: fc.double({ min: 0, max: 3, noNaN: true }),
  lambdaPerYear: fc.double({ min: 0, max: 100_000, noNaN: true }),
  jumpMean: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
  jumpStd: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

describe('model properties', () => {
  it('stays in [0, 1] and is monotone in spot and strike', () => {
    fc.assert(
      fc.property(params, fc.double({ min: 0.5, max: 2, noNaN: true }), fc.integer({ min: 0, max: 900 }), fc.constantFrom(0, 60), (p, s, secs, twap) => {
        const at = (spot: number, strike: number) => probabilityUp({ ...p, spot, strike, secondsLeft: secs, twapSeconds: twap });
        const base = at(s, 1);
        expect(base).toBeGreaterThanOrEqual(0);
        expect(base).toBeLessThanOrEqual(1);
        expect(at(s * 1.01, 1)).toBeGreaterThanOrEqual(base - 1e-12);
        expect(at(s, 1.01)).toBeLessThanOrEqual(base + 1e-12);
      }),
    );
  });

  it('converges to the settled outcome as time runs out, Up on a tie', () => {
    const p = { sigma: 0.6, lambdaPerYear: 1700, jumpMean: 0, jumpStd: 0.005 };
    expect(probabilityUp({ ...p, spot: 100, strike: 100, secondsLeft: 0 })).toBe(1);
    expect(probabilityUp({ ...p, spot: 99.99, strike: 100, secondsLeft: 0 })).toBe(0);
    expect(probabilityUp({ ...p, spot: 100.05, strike: 100, secondsLeft: 0.01 })).toBeGreaterThan(0.999);
    expect(probabilityUp({ ...p, spot: 99.95, strike: 100, secondsLeft: 0.01 })).toBeLessThan(0.001);
  });

  it('is never more uncertain under TWAP settlement than under the point price', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.99, max: 1.01, noNaN: true }), fc.integer({ min: 61, max: 900 }), (s, secs) => {
        const p = { sigma: 0.6, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0, spot: s, strike: 1, secondsLeft: secs };
        const point = probabilityUp(p);
        const twap = probabilityUp({ ...p, twapSeconds: 60 });
        // Less variance pushes the probability away from the ~one-half of an at-the-money digital.
        expect(Math.abs(twap - 0.5)).toBeGreaterThanOrEqual(Math.abs(point - 0.5) - 1e-9);
      }),
    );
  });

  it('handles zero volatility and huge jumps without NaN', () => {
    expect(probabilityUp({ spot: 101, strike: 100, secondsLeft: 600, sigma: 0, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 })).toBe(1);
    const huge = probabilityUp({ spot: 100, strike: 100, secondsLeft: 900, sigma: 0.5, lambdaPerYear: 1e6, jumpMean: 0.5, jumpStd: 1 });
    expect(Number.isNaN(huge)).toBe(false);
    expect(huge).toBeGreaterThanOrEqual(0);
    expect(huge).toBeLessThanOrEqual(1);
    expect(YEAR_SECONDS).toBe(31_536_000);
  });
});
