import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceilToStep, decimalsOf, floorToStep, isOnStep, isValidPrice, roundToStep, takerFee, takerFeePerShare, effectiveCost } from './money.js';

const crypto = { rate: 0.07, exponent: 1 };

describe('grid arithmetic', () => {
  it('floors and ceils onto the grid without float drift', () => {
    expect(floorToStep(0.579999999, 0.01)).toBe(0.57);
    expect(floorToStep(0.58, 0.01)).toBe(0.58); // 0.58/0.01 = 57.99999… must not floor to 0.57
    expect(ceilToStep(0.571, 0.01)).toBe(0.58);
    expect(ceilToStep(0.29, 0.01)).toBe(0.29);
    expect(floorToStep(12.3456, 0.01)).toBe(12.34);
    expect(floorToStep(0.0149, 0.001)).toBe(0.014);
  });

  it('keeps every floored value on the grid and never above the input', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), fc.constantFrom(0.1, 0.01, 0.001, 0.0001), (v, step) => {
        const f = floorToStep(v, step);
        expect(isOnStep(f, step)).toBe(true);
        expect(f).toBeLessThanOrEqual(v + 1e-9);
        expect(v - f).toBeLessThan(step + 1e-9);
      }),
    );
  });

  it('accepts prices only inside [tick, 1 - tick] on the grid', () => {
    expect(isValidPrice(0.01, 0.01)).toBe(true);
    expect(isValidPrice(0.99, 0.01)).toBe(true);
    expect(isValidPrice(1, 0.01)).toBe(false);
    expect(isValidPrice(0, 0.01)).toBe(false);
    expect(isValidPrice(0.505, 0.01)).toBe(false);
    expect(isValidPrice(0.505, 0.001)).toBe(true);
  });
});

describe('V2 taker fee', () => {
  it('matches the quant reference table (rate 0.07)', () => {
    expect(takerFeePerShare(0.1, crypto)).toBeCloseTo(0.0063, 10);
    expect(takerFeePerShare(0.5, crypto)).toBeCloseTo(0.0175, 10);
    expect(effectiveCost(0.3, crypto)).toBeCloseTo(0.3147, 10);
  });

  it('floors to 1e-5 as on chain (BUY 2.083334 @ 0.48 → 0.036400)', () => {
    expect(takerFee(2.083334, 0.48, crypto)).toBe(0.0364);
  });

  it('lands on exactly the double that the decimal string would give (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.constantFrom(1, 0.1, 0.01, 0.001, 0.0001, 0.05, 0.25),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (units, step, frac) => {
          const d = decimalsOf(step);
          const expected = Number((units * step).toFixed(d));
          expect(floorToStep((units + frac * 0.999) * step, step)).toBe(expected === 0 ? 0 : expected);
          expect(roundToStep(units * step, step)).toBe(expected);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
