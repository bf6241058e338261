import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrade } from './clobV2.js';

const fixture = JSON.parse(readFileSync(new URL('../../../../fixtures/polymarket/clob/clob_data_trade_2024.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

describe('parseTrade (recorded /data/trades payload)', () => {
  it('reads a taker trade as a fill of the taker order, fee left to the market rate', () => {
    expect(parseTrade(fixture)).toEqual([
      { id: fixture.id, orderId: fixture.taker_order_id, size: 5, price: 0.489, role: 'taker', fee: null, status: 'CONFIRMED', atMs: 1726043102000 },
    ]);
  });

  it('reads our maker side from maker_orders, at the maker price, without a fee', () => {
    const maker = { ...fixture, trader_side: 'MAKER' };
    const makers = fixture.maker_orders as Array<Record<string, unknown>>;
    expect(parseTrade(maker)).toEqual([
      { id: fixture.id, orderId: makers[0]!.order_id, size: 5, price: 0.489, role: 'maker', fee: 0, status: 'CONFIRMED', atMs: 1726043102000 },
    ]);
  });

  it('drops a payload that breaks the schema instead of guessing', () => {
    expect(parseTrade({ ...fixture, size: 'five' })).toEqual([]);
    expect(parseTrade({ ...fixture, id: undefined })).toEqual([]);
  });
});
