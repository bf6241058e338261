import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takerFeePerShare } from '@polybot/shared';
import { ArbitrageDetector, loneFillRule } from './arbitrageDetector.js';

const fee = { rate: 0.07, exponent: 1 };
const d = new ArbitrageDetector(fee);
const L = (...levels: Array<[number, number]>) => levels.map(([price, size]) => ({ price, size }));

describe('ArbitrageDetector', () => {
  it('finds 0.48 + 0.48 (pair cost 0.99494, quant.md §6) and refuses 0.49 + 0.49 (1.01499)', () => {
    const arb = d.buyBoth(L([0.48, 100]), L([0.48, 100]))!;
    expect(arb.costPerPair).toBeCloseTo(0.99494, 5);
    expect(arb.guaranteedProfit).toBeCloseTo(100 * (1 - 0.96 - 2 * takerFeePerShare(0.48, fee)), 6);
    expect(d.buyBoth(L([0.49, 100]), L([0.49, 100]))).toBeNull();
  });

  it('walks both books and stops at the first unprofitable pair', () => {
    const arb = d.buyBoth(L([0.4, 10], [0.45, 20], [0.6, 100]), L([0.5, 15], [0.52, 100]))!;
    // 0.40+0.50 → 0.9330 (10 pairs), 0.45+0.50 → 0.9848 (5), 0.45+0.52 → 1.0048: stop.
    expect(arb.shares).toBe(15);
    expect(arb.legs[0].limitPrice).toBe(0.45);
    expect(arb.legs[1].limitPrice).toBe(0.5);
    expect(arb.costPerPair).toBeLessThan(1);
  });

  it('respects the minimum size and the $1 marketable minimum', () => {
    expect(d.buyBoth(L([0.4, 4.99]), L([0.4, 100]))).toBeNull();
    expect(d.buyBoth(L([0.05, 10]), L([0.05, 10]))).toBeNull(); // $0.50 a leg
  });

  it('says what to do with a leg that fills alone', () => {
    // Up bid 0.44 right under its ask: selling a lone Up back loses ≈ 0.045; completing with Down
    // at 0.45 loses nothing (the pair is still an arbitrage) → hold. Down's bid is 0.20: sell loses 0.27.
    const a = d.buyBoth(L([0.45, 50]), L([0.45, 50]), L([0.44, 50]), L([0.2, 50]))!;
    expect(a.legs[0].onLoneFill).toBe('hold');
    expect(a.legs[1].onLoneFill).toBe('hold');
    // The other side's ask has run away to 0.60: selling the lone Up back at 0.44 now loses less.
    const paid = 0.45 + takerFeePerShare(0.45, fee);
    expect(loneFillRule(paid, 0.44, 0.6, fee).action).toBe('sell');
    expect(loneFillRule(paid, 0.44, 0.6, fee).lossPerShare).toBeCloseTo(paid - 0.44 + takerFeePerShare(0.44, fee), 12);
    expect(loneFillRule(paid, undefined, undefined, fee).lossPerShare).toBe(Infinity);
  });

  it('reports the reverse case for inventory held', () => {
    const r = d.sellBoth(L([0.55, 10]), L([0.5, 10]))!;
    expect(r.proceedsPerPair).toBeCloseTo(1.05 - takerFeePerShare(0.55, fee) - takerFeePerShare(0.5, fee), 10);
    expect(d.sellBoth(L([0.5, 10]), L([0.5, 10]))).toBeNull();
  });

  it('never reports a loss as an arbitrage (property)', () => {
    const level = fc.record({ price: fc.integer({ min: 1, max: 99 }).map((c) => c / 100), size: fc.integer({ min: 1, max: 500 }) });
    const sorted = (ls: Array<{ price: number; size: number }>) => [...ls].sort((a, b) => a.price - b.price);
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 5 }), fc.array(level, { minLength: 1, maxLength: 5 }), (a, b) => {
        const arb = d.buyBoth(sorted(a), sorted(b));
        if (!arb) return;
        expect(arb.guaranteedProfit).toBeGreaterThan(0);
        const worst =
          arb.legs[0].limitPrice + arb.legs[1].limitPrice + takerFeePerShare(arb.legs[0].limitPrice, fee) + takerFeePerShare(arb.legs[1].limitPrice, fee);
        expect(worst).toBeLessThan(1); // even the last pair taken is profitable
      }),
    );
  });
});
