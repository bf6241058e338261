/**
 * What the venue checks in an order's amounts before it books it (docs/polymarket-venue.md §5.2).
 * Amounts are integers in 1e-6 units. Each rule returns the venue's own text (null = fine).
 */
export const LIMIT_MIN_SHARES = 5; // §5.2 item 6 (py-clob-client #301); also `min_order_size` of /book
export const MARKETABLE_MIN_USD = 1; // §5.2 item 6 (nautilus_trader #3874, JKorf/Polymarket.Net #27)

/** Decimals of {price, size, amount} per tick (§3; clob-client-v2 roundingConfig). */
export const TICK_DECIMALS: Record<string, { price: number; size: number; amount: number }> = {
  '0.1': { price: 1, size: 2, amount: 3 },
  '0.01': { price: 2, size: 2, amount: 4 },
  '0.005': { price: 3, size: 2, amount: 5 },
  '0.0025': { price: 4, size: 2, amount: 6 },
  '0.001': { price: 3, size: 2, amount: 5 },
  '0.0001': { price: 4, size: 2, amount: 6 },
};

export function decimalsOfUnits(units: bigint): number {
  let d = 6;
  let u = units;
  while (d > 0 && u % 10n === 0n) {
    u /= 10n;
    d--;
  }
  return d;
}

const fmtUnits = (u: bigint) => {
  const s = (Number(u) / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return s;
};

export interface CheckedOrder {
  /** Shares the order is for. */
  size: number;
  /** The limit price on the tick grid. */
  price: number;
}

/**
 * Checks an order's amounts for its type; returns the booked size and limit price, or the error text.
 * - Limit (GTC/GTD): maker ≤ `amount` decimals for BUY (2 for SELL), taker ≤ 2 (BUY) or `amount`
 *   (SELL) (§5.2 item 7, py-clob-client #305); the price (pUSD / shares) on the tick grid within
 *   [tick, 1 − tick] (§5.2 item 5); the pUSD amount exactly shares × price (JKorf/Polymarket.Net #5,
 *   "submited" spelled as the venue spells it); at least 5 shares (§5.2 item 6).
 * - Marketable (FOK/FAK) BUY: maker (pUSD) ≤ 2 decimals, taker (shares) ≤ 4; SELL: maker (shares)
 *   ≤ 2, taker (pUSD) ≤ 4 (§5.2 item 7); at least $1 (§5.2 item 6). The limit price is the implied
 *   price on the tick grid (clients round the shares so it lands within a hair of a tick, §3).
 */
export function checkAmounts(
  o: { side: 'BUY' | 'SELL'; makerAmount: string; takerAmount: string },
  orderType: 'GTC' | 'GTD' | 'FOK' | 'FAK',
  tick: number,
  id: string,
): { ok: true; order: CheckedOrder } | { ok: false; error: string } {
  const dec = TICK_DECIMALS[String(tick)]!;
  const maker = BigInt(o.makerAmount);
  const taker = BigInt(o.takerAmount);
  if (maker <= 0n || taker <= 0n) return { ok: false, error: 'invalid amounts, maker and taker amounts must be positive' };
  const usd = o.side === 'BUY' ? maker : taker;
  const shares = o.side === 'BUY' ? taker : maker;
  const size = Number(shares) / 1e6;
  const tickU = BigInt(Math.round(tick * 1e6));
  const marketable = orderType === 'FOK' || orderType === 'FAK';
  if (marketable) {
    if (o.side === 'BUY' && (decimalsOfUnits(maker) > 2 || decimalsOfUnits(taker) > 4)) {
      return {
        ok: false,
        error: 'invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals',
      };
    }
    if (o.side === 'SELL' && (decimalsOfUnits(maker) > 2 || decimalsOfUnits(taker) > 4)) {
      return { ok: false, error: 'invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals' };
    }
    // Implied price to the nearest tick.
    const priceU = (((usd * 1_000_000n) / shares + tickU / 2n) / tickU) * tickU;
    if (priceU < tickU || priceU > 1_000_000n - tickU)
      return { ok: false, error: `order ${id} is invalid. Price (${fmtUnits((usd * 1_000_000n) / shares)}) breaks minimum tick size rules: ${tick}` };
    if (Number(usd) / 1e6 < MARKETABLE_MIN_USD) {
      return { ok: false, error: `invalid amount for a marketable ${o.side} order ($${(Number(usd) / 1e6).toFixed(2)}), min size: ${MARKETABLE_MIN_USD}` };
    }
    return { ok: true, order: { size, price: Number(priceU) / 1e6 } };
  }
  const makerMax = o.side === 'BUY' ? dec.amount : dec.size;
  const takerMax = o.side === 'BUY' ? dec.size : dec.amount;
  if (decimalsOfUnits(maker) > makerMax || decimalsOfUnits(taker) > takerMax) {
    return {
      ok: false,
      error: `invalid amounts, the ${o.side === 'BUY' ? 'buy' : 'sell'} orders maker amount supports a max accuracy of ${makerMax} decimals, taker amount a max of ${takerMax} decimals`,
    };
  }
  // The price is pUSD per share; it must be exactly on the grid with the pUSD amount = shares × price.
  const priceU = (usd * 1_000_000n) / shares;
  const exact = (usd * 1_000_000n) % shares === 0n;
  const onGrid = exact && priceU % tickU === 0n && priceU >= tickU && priceU <= 1_000_000n - tickU;
  if (!onGrid) {
    // Round to the nearest tick to name what the amount should have been, as the venue does.
    const nearest = (((usd * 1_000_000n + shares / 2n) / shares + tickU / 2n) / tickU) * tickU;
    const expected = (shares * nearest) / 1_000_000n;
    if (nearest >= tickU && nearest <= 1_000_000n - tickU && expected !== usd && (shares * nearest) % 1_000_000n === 0n) {
      const which = o.side === 'BUY' ? 'maker' : 'taker';
      return {
        ok: false,
        error: `invalid amounts, the ${which} amount for a $${fmtUnits(nearest)} order of size ${fmtUnits(shares)} should be '${fmtUnits(expected)}' but the value submited is '${fmtUnits(usd)}'`,
      };
    }
    return { ok: false, error: `order ${id} is invalid. Price (${fmtUnits(priceU)}) breaks minimum tick size rules: ${tick}` };
  }
  if (size < LIMIT_MIN_SHARES) return { ok: false, error: `order ${id} is invalid. Size (${size}) lower than the minimum: ${LIMIT_MIN_SHARES}` };
  return { ok: true, order: { size, price: Number(priceU) / 1e6 } };
}
