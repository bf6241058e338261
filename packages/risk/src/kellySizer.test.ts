import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOnStep, isValidPrice } from '@polybot/shared';
import { DEFAULT_SIZER, KellySizer } from './kellySizer.js';
import { makeSignal } from './testSignal.js';

const now = 1_800_000_000_000;
const none = { market: 0, asset: 0, total: 0 };

describe('KellySizer', () => {
  it('sizes a quarter Kelly of bankroll at the limit price, rounded down', () => {
    const s = makeSignal(now, { kellyFraction: 0.1, limitPrice: 0.33 });
    const r = new KellySizer({
      ...DEFAULT_SIZER,
      maxOrderUsd: 1e9,
      maxBankrollShare: 1,
      maxMarketExposureUsd: 1e9,
      maxAssetExposureUsd: 1e9,
      maxTotalExposureUsd: 1e9,
    }).size(s, 1000, none);
    // 0.25 × 0.1 × 1000 = $25 → 75.75… shares → 75.75
    expect(r.shares).toBe(75.75);
    expect(r.cappedBy).toBeNull();
  });

  it('applies each cap at, just below and just above its threshold', () => {
    const sizer = new KellySizer({ ...DEFAULT_SIZER, maxOrderUsd: 10, maxBankrollShare: 1 });
    const s = makeSignal(now, { kellyFraction: 1 });
    expect(sizer.size(s, 1000, none).notionalUsd).toBe(10);
    expect(sizer.size(s, 1000, none).cappedBy).toBe('max_order_usd');
    const market = (used: number) => sizer.size(s, 1000, { market: used, asset: used, total: used });
    expect(market(DEFAULT_SIZER.maxMarketExposureUsd - 10).notionalUsd).toBe(10); // exactly room for one order
    expect(market(DEFAULT_SIZER.maxMarketExposureUsd - 9.99).notionalUsd).toBeCloseTo(9.99, 6); // just above: the cap binds
    expect(market(DEFAULT_SIZER.maxMarketExposureUsd).shares).toBe(0); // at the cap: nothing
  });

  it('answers zero below the market minimum', () => {
    const sizer = new KellySizer({ ...DEFAULT_SIZER, maxOrderUsd: 2.49 });
    const gtc = makeSignal(now, { kellyFraction: 1, orderType: 'GTC' }); // 4.98 shares < 5
    expect(sizer.size(gtc, 1000, none).shares).toBe(0);
    const fak = makeSignal(now, { kellyFraction: 1, limitPrice: 0.5 });
    expect(new KellySizer({ ...DEFAULT_SIZER, maxOrderUsd: 0.99 }).size(fak, 1000, none).shares).toBe(0); // < $1 marketable
    expect(new KellySizer({ ...DEFAULT_SIZER, maxOrderUsd: 1 }).size(fak, 1000, none).notionalUsd).toBe(1);
  });

  it('never exceeds any cap nor leaves the tick and size grid (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 100_000, noNaN: true }),
        fc.record({
          market: fc.double({ min: 0, max: 300, noNaN: true }),
          asset: fc.double({ min: 0, max: 300, noNaN: true }),
          total: fc.double({ min: 0, max: 300, noNaN: true }),
        }),
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        fc.constantFrom('FAK' as const, 'GTC' as const),
        (cents, kelly, bankroll, exp, depth, orderType) => {
          const price = cents / 100;
          const s = makeSignal(now, { limitPrice: price, kellyFraction: kelly, maxShares: depth, orderType });
          const r = new KellySizer().size(s, bankroll, exp);
          const c = DEFAULT_SIZER;
          expect(isOnStep(r.shares, 0.01)).toBe(true);
          expect(isValidPrice(s.limitPrice, 0.01)).toBe(true);
          if (r.shares === 0) return;
          const usd = r.shares * price;
          expect(usd).toBeLessThanOrEqual(c.maxOrderUsd + 1e-9);
          expect(usd).toBeLessThanOrEqual(c.maxBankrollShare * bankroll + 1e-9);
          expect(exp.market + usd).toBeLessThanOrEqual(Math.max(c.maxMarketExposureUsd, exp.market) + 1e-9);
          expect(exp.asset + usd).toBeLessThanOrEqual(Math.max(c.maxAssetExposureUsd, exp.asset) + 1e-9);
          expect(exp.total + usd).toBeLessThanOrEqual(Math.max(c.maxTotalExposureUsd, exp.total) + 1e-9);
          expect(r.shares).toBeLessThanOrEqual(depth + 1e-9);
          if (orderType === 'GTC') expect(r.shares).toBeGreaterThanOrEqual(5);
          else expect(usd).toBeGreaterThanOrEqual(1 - 1e-9);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
