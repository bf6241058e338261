import { describe, expect, it } from 'vitest';
import type { Market } from '@polybot/shared';
import { calibrateParams, spotBefore, twapAverageSoFar } from './passInputs.js';

const end = 1_000_000;
const market = (settlement: Market['settlement']) => ({ windowEndMs: end, settlement }) as Market;
const fallback = { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0, jumpStd: 0.004 };

describe('pass inputs', () => {
  const recent = [
    { timestampMs: end - 70_000, price: 90 },
    { timestampMs: end - 50_000, price: 100 },
    { timestampMs: end - 30_000, price: 110 },
    { timestampMs: end - 10_000, price: 130 },
  ];

  it('averages the settlement feed over the elapsed part of a 60 s TWAP window only', () => {
    const twap = market({ kind: 'twap', lookbackSeconds: 60 });
    expect(twapAverageSoFar(twap, recent, end - 61_000)).toBeNull(); // before the window
    expect(twapAverageSoFar(twap, recent, end - 40_000)).toBe(100);
    expect(twapAverageSoFar(twap, recent, end - 5_000)).toBeCloseTo((100 + 110 + 130) / 3, 12);
    expect(twapAverageSoFar(market({ kind: 'point' }), recent, end - 5_000)).toBeNull();
  });

  it('takes the last price at least the window old', () => {
    expect(spotBefore(recent, end - 25_000, 5_000)).toBe(110);
    expect(spotBefore(recent, end - 69_000, 5_000)).toBeNull();
  });

  it('falls back until the feed is long enough, then estimates from it', () => {
    expect(calibrateParams(recent, fallback).params).toEqual(fallback);
    // Three hours of a 5 s Gaussian feed (seeded), 0.05 % per step: σ = 0.0005·sqrt(steps per year).
    let seed = 7;
    const uniform = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) + 1) / (2 ** 31 + 1);
    let price = 100;
    const long = Array.from({ length: 2_160 }, (_, i) => {
      if (i) price *= Math.exp(0.0005 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
      return { timestampMs: i * 5_000, price };
    });
    const { params } = calibrateParams(long, fallback);
    const truth = 0.0005 * Math.sqrt((365 * 86_400) / 5);
    expect(Math.abs(params.sigma / truth - 1)).toBeLessThan(0.1);
    expect(params).not.toEqual(fallback);
  });
});
