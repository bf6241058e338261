import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillResting, walkBook } from './fillSimulator.js';

const asks = [
  { price: 0.48, size: 3 },
  { price: 0.5, size: 4 },
  { price: 0.53, size: 100 },
];
const feeOf = (shares: number, p: number) => Math.floor((shares * 0.07 * p * (1 - p)) / 1e-5 + 1e-9) * 1e-5;

describe('walkBook', () => {
  it('walks levels up to the limit and leaves the rest', () => {
    const r = walkBook({ side: 'BUY', limitPrice: 0.5, size: 10, orderType: 'GTC', levels: asks, feeRate: 0.07 });
    expect(r.fills.map((f) => [f.price, f.size])).toEqual([
      [0.48, 3],
      [0.5, 4],
    ]);
    expect(r.filledSize).toBe(7);
    expect(r.remaining).toBe(3);
    expect(r.killed).toBe(false);
    expect(r.fills[0]!.fee).toBeCloseTo(feeOf(3, 0.48), 10);
    expect(r.fills[1]!.fee).toBeCloseTo(feeOf(4, 0.5), 10);
  });

  it("charges the market's own fee curve: the January 2026 one was 0.25·(p(1−p))², not 0.25·p(1−p)", () => {
    const r = walkBook({ side: 'BUY', limitPrice: 0.5, size: 100, orderType: 'FAK', levels: [{ price: 0.5, size: 100 }], feeRate: 0.25, feeExponent: 2 });
    // 100 × 0.25 × 0.0625 = 1.5625 pUSD; with exponent 1 it would be 6.25.
    expect(r.fills[0]!.fee).toBeCloseTo(1.5625, 10);
    expect(
      walkBook({ side: 'BUY', limitPrice: 0.5, size: 100, orderType: 'FAK', levels: [{ price: 0.5, size: 100 }], feeRate: 0.25 }).fills[0]!.fee,
    ).toBeCloseTo(6.25, 10);
  });

  it('floors the fee to 1e-5 like the chain', () => {
    const r = walkBook({ side: 'BUY', limitPrice: 0.48, size: 2.08, orderType: 'FAK', levels: asks, feeRate: 0.07 });
    // 2.08 × 0.07 × 0.48 × 0.52 = 0.036341.. → 0.03634
    expect(r.fills[0]!.fee).toBe(0.03634);
  });

  it('kills a FOK that cannot fill completely, and a FAK with nothing to take', () => {
    expect(walkBook({ side: 'BUY', limitPrice: 0.5, size: 10, orderType: 'FOK', levels: asks, feeRate: 0.07 })).toMatchObject({ fills: [], killed: true });
    expect(walkBook({ side: 'BUY', limitPrice: 0.47, size: 10, orderType: 'FAK', levels: asks, feeRate: 0.07 })).toMatchObject({ fills: [], killed: true });
    expect(walkBook({ side: 'BUY', limitPrice: 0.53, size: 10, orderType: 'FOK', levels: asks, feeRate: 0.07 }).filledSize).toBe(10);
  });

  it('walks bids for a SELL down to its limit', () => {
    const bids = [
      { price: 0.47, size: 2 },
      { price: 0.46, size: 5 },
      { price: 0.4, size: 50 },
    ];
    const r = walkBook({ side: 'SELL', limitPrice: 0.46, size: 20, orderType: 'FAK', levels: bids, feeRate: 0.07 });
    expect(r.filledSize).toBe(7);
    expect(r.fills.map((f) => f.price)).toEqual([0.47, 0.46]);
  });

  it('never fills more than asked nor at a price worse than the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 99 }), size: fc.integer({ min: 1, max: 5000 }) }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 500, max: 10000 }),
        (raw, limit, sizeCents) => {
          const levels = raw.map((l) => ({ price: l.price / 100, size: l.size / 100 })).sort((a, b) => a.price - b.price);
          const size = sizeCents / 100;
          const r = walkBook({ side: 'BUY', limitPrice: limit / 100, size, orderType: 'GTC', levels, feeRate: 0.07 });
          const total = r.fills.reduce((s, f) => s + f.size, 0);
          expect(total).toBeCloseTo(r.filledSize, 9);
          expect(r.filledSize + r.remaining).toBeCloseTo(size, 9);
          for (const f of r.fills) {
            expect(f.price).toBeLessThanOrEqual(limit / 100 + 1e-9);
            expect(f.fee).toBeCloseTo(feeOf(f.size, f.price), 9);
          }
        },
      ),
    );
  });
});

describe('fillResting', () => {
  it('fills a resting bid as maker when the asks come down to it, without a fee', () => {
    expect(fillResting({ side: 'BUY', price: 0.45, remaining: 10, levels: asks })).toBeNull();
    expect(fillResting({ side: 'BUY', price: 0.5, remaining: 10, levels: asks })).toEqual({ price: 0.5, size: 7, fee: 0 });
    expect(fillResting({ side: 'BUY', price: 0.53, remaining: 10, levels: asks })).toEqual({ price: 0.53, size: 10, fee: 0 });
  });
});
