/**
 * Property test of `sizing.ts` over prices, every tick size the venue uses (0.1 to 0.0001) and
 * sizes: every amount it produces meets the venue's precision rules (docs/polymarket-venue.md §5.2
 * items 5-7, §3 rounding table), never spends more than asked, and the sim venue's own amount
 * checker (sim-venue `rules.ts`, written from the venue's documented behaviour, not from this code)
 * accepts it. A refusal happens only for the venue's minimums.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAmounts } from '@polybot/sim-venue';
import { amountDecimals, orderAmounts, ROUNDING, UNIT } from './sizing.js';

const TICKS = [0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001] as const;
const MIN_SHARES = 5;

/** A tick, a price on its grid within [tick, 1 − tick], a side, an order type and a size. */
const order = fc
  .record({
    tick: fc.constantFrom(...TICKS),
    step: fc.double({ min: 0, max: 1, noNaN: true }),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    orderType: fc.constantFrom('GTC' as const, 'GTD' as const, 'FOK' as const, 'FAK' as const),
    // Sizes as strategies make them: any double from a hundredth to thousands, and round numbers.
    size: fc.oneof(
      fc.double({ min: 0.001, max: 5_000, noNaN: true }),
      fc.integer({ min: 1, max: 500_000 }).map((c) => c / 100),
    ),
  })
  .map(({ tick, step, side, orderType, size }) => {
    const steps = Math.round(1 / tick);
    const k = 1 + Math.floor(step * (steps - 2 + 0.999999));
    const price = Number((k * tick).toFixed(ROUNDING[String(tick)]!.price));
    return { tick, price, side, orderType, size };
  });

const marketable = (t: string) => t === 'FOK' || t === 'FAK';

describe('sizing.ts against the venue precision rules (property)', () => {
  it('every amount meets the rules, never exceeds the request, and the sim venue accepts it', () => {
    fc.assert(
      fc.property(order, (o) => {
        const r = orderAmounts({ side: o.side, orderType: o.orderType, price: o.price, size: o.size, tickSize: o.tick as never, minOrderSize: MIN_SHARES });
        const sharesAsked = Math.floor(o.size * 100 + 1e-7) / 100;
        if (!r.ok) {
          // Refused only below a venue minimum (5 shares for a limit, $1 marketable, a hundredth of a share).
          if (!marketable(o.orderType)) expect(sharesAsked < MIN_SHARES, r.problem).toBe(true);
          else expect(sharesAsked * o.price < 1 + 1e-9 || sharesAsked === 0, r.problem).toBe(true);
          return;
        }
        const a = r.amounts;
        expect(Number.isInteger(a.makerAmount) && Number.isInteger(a.takerAmount)).toBe(true);
        expect(a.makerAmount).toBeGreaterThan(0);
        expect(a.takerAmount).toBeGreaterThan(0);
        expect(a.price).toBe(o.price);
        const usdU = BigInt(a.side === 'BUY' ? a.makerAmount : a.takerAmount);
        const sharesU = BigInt(a.side === 'BUY' ? a.takerAmount : a.makerAmount);
        const priceU = BigInt(Math.round(o.price * UNIT));
        // Never more shares than asked; a BUY never spends more than size × price.
        expect(Number(sharesU) / UNIT).toBeLessThanOrEqual(o.size + 1e-9);
        if (a.side === 'BUY') expect(Number(usdU) / UNIT).toBeLessThanOrEqual(o.size * o.price + 1e-9);
        if (marketable(o.orderType)) {
          // §5.2 item 7: BUY maker (pUSD) ≤ 2 decimals, taker (shares) ≤ 4; SELL maker (shares) ≤ 2, taker (pUSD) ≤ 4.
          expect(amountDecimals(a.makerAmount)).toBeLessThanOrEqual(2);
          expect(amountDecimals(a.takerAmount)).toBeLessThanOrEqual(4);
          // §5.2 item 6: at least $1.
          expect(usdU).toBeGreaterThanOrEqual(1_000_000n);
          // Price-protected: a BUY's implied price never above its limit, a SELL's never below.
          if (a.side === 'BUY') expect(usdU * 1_000_000n <= priceU * sharesU).toBe(true);
          else expect(usdU * 1_000_000n >= priceU * sharesU).toBe(true);
        } else {
          // §5.2 item 7 and §3: shares on 2 decimals, pUSD within the tick's amount decimals, exactly shares × price.
          const dec = ROUNDING[String(o.tick)]!;
          expect(amountDecimals(Number(sharesU))).toBeLessThanOrEqual(dec.size);
          expect(amountDecimals(Number(usdU))).toBeLessThanOrEqual(dec.amount);
          expect(usdU * 1_000_000n).toBe(sharesU * priceU);
          expect(Number(sharesU) / UNIT).toBeGreaterThanOrEqual(MIN_SHARES);
        }
        // The sim venue's checker takes it, for the shares we meant.
        const venue = checkAmounts({ side: a.side, makerAmount: String(a.makerAmount), takerAmount: String(a.takerAmount) }, o.orderType, o.tick, '0xprop');
        expect(venue.ok, venue.ok ? '' : venue.error).toBe(true);
        if (venue.ok) {
          expect(venue.order.size).toBe(Number(sharesU) / UNIT);
          if (!marketable(o.orderType)) expect(venue.order.price).toBe(o.price);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('the worst cases the venue has refused before are sized right', () => {
    // polymarket-venue.md §1: a $9.9984 BUY came from shares on a 0.01 grid; §5.2 item 7: 19.69 @ 0.22 must be 4.3318.
    const buy = orderAmounts({ side: 'BUY', orderType: 'FAK', price: 0.52, size: 19.228, tickSize: 0.01, minOrderSize: 5 });
    expect(buy.ok && amountDecimals(buy.amounts.makerAmount)).toBeLessThanOrEqual(2);
    const limit = orderAmounts({ side: 'BUY', orderType: 'GTC', price: 0.22, size: 19.69, tickSize: 0.01, minOrderSize: 5 });
    expect(limit.ok && limit.amounts.makerAmount).toBe(4_331_800);
  });
});
