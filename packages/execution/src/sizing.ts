/**
 * Order amounts on the venue's precision rules, in integer 1e-6 units (pure; paper and live use
 * the same code, so an order paper fills is one the venue would accept).
 *
 * Rules (docs/polymarket-venue.md §5.2 items 6-7, §3 rounding table):
 * - limit (GTC/GTD): shares on 2 decimals, at least the market minimum (5); the amounts are
 *   exactly shares × price (BUY: maker = pUSD, taker = shares; SELL the reverse);
 * - marketable (FOK/FAK) BUY: maker (pUSD) at most 2 decimals, taker (shares) at most 4, at least $1;
 * - marketable SELL: maker (shares) at most 2 decimals, taker (pUSD) at most 4, at least $1.
 * Marketable amounts are price-protected: their implied price is never worse than the limit.
 */
import type { OrderRequest } from '@polybot/shared';

export const UNIT = 1_000_000;
/** Decimals of {price, size, amount} per tick (§3; clob-client-v2 roundingConfig). */
export const ROUNDING: Record<string, { price: number; size: number; amount: number }> = {
  '0.1': { price: 1, size: 2, amount: 3 },
  '0.01': { price: 2, size: 2, amount: 4 },
  '0.005': { price: 3, size: 2, amount: 5 },
  '0.0025': { price: 4, size: 2, amount: 6 },
  '0.001': { price: 3, size: 2, amount: 5 },
  '0.0001': { price: 4, size: 2, amount: 6 },
};
/** The $1 minimum of a marketable order (§5.2 item 6). */
export const MIN_MARKETABLE_USD = 1;

export interface OrderAmounts {
  side: 'BUY' | 'SELL';
  /** 1e-6 units. */
  makerAmount: number;
  takerAmount: number;
  /** Shares the order is for (what the venue can fill), and the pUSD it moves at the limit. */
  shares: number;
  notionalUsd: number;
  /** The limit price on the tick grid. */
  price: number;
}

export type SizingResult = { ok: true; amounts: OrderAmounts } | { ok: false; problem: string };

type SizingInput = Pick<OrderRequest, 'side' | 'orderType' | 'price' | 'size' | 'tickSize' | 'minOrderSize'>;

const isMarketable = (t: OrderRequest['orderType']) => t === 'FOK' || t === 'FAK';

/** The amounts of an order, or why it cannot be sent as it stands. */
export function orderAmounts(r: SizingInput): SizingResult {
  const tickU = Math.round(r.tickSize * UNIT);
  const priceU = Math.round(r.price * UNIT);
  if (!ROUNDING[String(r.tickSize)]) return { ok: false, problem: `tick size ${r.tickSize} is not one the venue uses` };
  if (priceU % tickU !== 0 || priceU < tickU || priceU > UNIT - tickU)
    return { ok: false, problem: `price ${r.price} is not on the ${r.tickSize} tick grid within [tick, 1 − tick]` };
  // Shares on the 0.01 grid, never more than asked.
  const sharesC = Math.floor(r.size * 100 + 1e-7);
  if (sharesC <= 0) return { ok: false, problem: `size ${r.size} is below one hundredth of a share` };
  const price = priceU / UNIT;
  if (!isMarketable(r.orderType)) {
    const shares = sharesC / 100;
    if (shares < r.minOrderSize - 1e-9) return { ok: false, problem: `size ${shares} is below the market minimum ${r.minOrderSize}` };
    const sharesU = sharesC * 10_000;
    // sharesC·1e4 × priceU / 1e6 = sharesC × priceU / 100, an integer since priceU is a multiple of 100 (tick ≥ 0.0001).
    const usdU = (sharesC * priceU) / 100;
    const amounts = r.side === 'BUY' ? { makerAmount: usdU, takerAmount: sharesU } : { makerAmount: sharesU, takerAmount: usdU };
    return { ok: true, amounts: { side: r.side, ...amounts, shares, notionalUsd: usdU / UNIT, price } };
  }
  if (r.side === 'BUY') {
    // pUSD to spend, floored to the cent; shares it buys at the limit, rounded up to 1e-4 so the
    // implied price (maker / taker) is never above the limit.
    const usdC = Math.floor((sharesC * priceU) / 1e6 + 1e-9);
    if (usdC < MIN_MARKETABLE_USD * 100)
      return {
        ok: false,
        problem: `a marketable BUY needs at least $${MIN_MARKETABLE_USD}: ${sharesC / 100} shares at ${price} is $${((sharesC * priceU) / 1e8).toFixed(4)}`,
      };
    const sharesE4 = Math.ceil((usdC * 1e8) / priceU - 1e-9) / 1; // 1e-4 shares
    const makerAmount = usdC * 10_000;
    const takerAmount = sharesE4 * 100;
    return { ok: true, amounts: { side: 'BUY', makerAmount, takerAmount, shares: sharesE4 / 10_000, notionalUsd: usdC / 100, price } };
  }
  // SELL: shares on 2 decimals; pUSD to receive, rounded up to 1e-4 so the implied price is never below the limit.
  const usdE4 = Math.ceil((sharesC * priceU) / 1e4 - 1e-9);
  if (usdE4 < MIN_MARKETABLE_USD * 10_000)
    return {
      ok: false,
      problem: `a marketable SELL needs at least $${MIN_MARKETABLE_USD}: ${sharesC / 100} shares at ${price} is $${(usdE4 / 1e4).toFixed(4)}`,
    };
  return {
    ok: true,
    amounts: { side: 'SELL', makerAmount: sharesC * 10_000, takerAmount: usdE4 * 100, shares: sharesC / 100, notionalUsd: usdE4 / 1e4, price },
  };
}

/** Decimals a 1e-6-unit amount actually uses (0..6). */
export function amountDecimals(units: number): number {
  let d = 6;
  let u = units;
  while (d > 0 && u % 10 === 0) {
    u /= 10;
    d--;
  }
  return d;
}
