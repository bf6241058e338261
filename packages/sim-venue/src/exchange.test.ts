/**
 * The matching engine on its own: resting orders that cross the maker's new quotes share its
 * levels, and an emptied level is no trade.
 */
import { describe, expect, it } from 'vitest';
import { Exchange, type SimOrder } from './exchange.js';
import { MarketSchedule } from './markets.js';
import { PriceProcess } from './prices.js';
import { Rng } from './random.js';

function setup(nowMs: number) {
  const rng = new Rng(7);
  const prices = new Map([['BTC' as const, new PriceProcess('BTC', new Rng(99), nowMs)]]);
  const schedule = new MarketSchedule({ windowSeconds: 600, twap: true, twapSeconds: 60, priceToBeatDelayMs: 0 }, prices, rng);
  schedule.tick(nowMs);
  const exchange = new Exchange({ feeRate: 0.07, tick: 0.01, misprice: 0, takerDelayMs: 0, failTradeProb: 0 }, schedule, rng);
  exchange.refreshQuotes(nowMs);
  const m = [...schedule.markets.values()].find((x) => !x.closed && x.startMs <= nowMs)!;
  return { exchange, m };
}

function restingBuy(id: string, m: { conditionId: string; upToken: string }, price: number, size: number, nowMs: number): SimOrder {
  return {
    id,
    owner: 'owner',
    maker: '0x0',
    tokenId: m.upToken,
    conditionId: m.conditionId,
    outcome: 'Up',
    side: 'BUY',
    price,
    originalSize: size,
    sizeMatched: 0,
    status: 'LIVE',
    orderType: 'GTC',
    expirationS: 0,
    createdAtMs: nowMs,
    matchAtMs: null,
    trades: [],
  };
}

describe('resting orders filled by new quotes', () => {
  it('never reports a zero-size trade when an earlier resting order emptied the level', () => {
    const now = Date.now();
    const { exchange, m } = setup(now);
    // The first order sweeps every ask level the maker will quote; the second rests behind it.
    const first = restingBuy('first', m, 0.99, 100_000, now);
    const second = restingBuy('second', m, 0.99, 5, now);
    exchange.orders.set(first.id, first);
    exchange.orders.set(second.id, second);
    exchange.refreshQuotes(now + 1_000);

    expect(first.trades.length).toBeGreaterThan(0); // the quotes crossed it
    for (const t of [...first.trades, ...second.trades]) expect(t.size).toBeGreaterThan(0);
    // Nothing was left for the second order: no trade at all, still resting, nothing matched.
    expect(second.trades).toEqual([]);
    expect(second.sizeMatched).toBe(0);
    expect(second.status).toBe('LIVE');
    // What the first order matched is exactly what its trades say.
    expect(first.sizeMatched).toBeCloseTo(
      first.trades.reduce((s, t) => s + t.size, 0),
      9,
    );
    expect(exchange.books.get(m.upToken)!.asks.every((l) => l.size === 0)).toBe(true);
  });
});
