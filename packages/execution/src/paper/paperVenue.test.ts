/** Paper trading end to end through the engine: same orders.json, same events, fills from the real-book simulator. */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { takerFee, type BookLevel, type OrderRequest } from '@polybot/shared';
import { ExecutionEngine } from '../executionEngine.js';
import { OrderManager } from '../orderManager.js';
import { OrdersFileSchema } from '../orderStore.js';
import { parseBook, parseWinner } from './clobMarketData.js';
import { createPaperVenue, type MarketData } from './paperVenue.js';

const logger = pino({ level: 'silent' });
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../../fixtures/polymarket/clob/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const CID = `0x${'c'.repeat(64)}` as const;
const req = (id: string, over: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: 1,
  conditionId: CID,
  asset: 'ETH',
  outcome: 'UP',
  tokenId: '42',
  side: 'BUY',
  orderType: 'FAK',
  postOnly: false,
  price: 0.5,
  size: 10,
  windowEndMs: Date.now() + 600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 5, cappedBy: null },
  ...over,
});

function market(asks: BookLevel[]) {
  const data: MarketData & { asks: BookLevel[]; reads: number; winnerIs: 'UP' | 'DOWN' | null } = {
    asks,
    reads: 0,
    winnerIs: null,
    async book() {
      data.reads++;
      return { bids: [{ price: 0.3, size: 100 }], asks: data.asks };
    },
    async winner() {
      return data.winnerIs;
    },
  };
  return data;
}

function setup(asks: BookLevel[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-paper-'));
  const data = market(asks);
  const make = () => {
    const venue = createPaperVenue({ data, file: path.join(dir, 'paper-venue.json'), takerDelayMs: 1, confirmAfterMs: 0, balanceUsd: 100 });
    const manager = new OrderManager(path.join(dir, 'orders.json'), logger);
    const engine = new ExecutionEngine(manager, venue, { cancelBeforeEndMs: 5_000, settleAfterMs: 0 }, logger, async () => false);
    return { venue, manager, engine };
  };
  return { dir, data, make };
}

describe('paper venue', () => {
  it('fills a FAK by walking the book, charges the taker fee, cancels the rest, and records it like any venue', async () => {
    const { dir, make } = setup([
      { price: 0.45, size: 4 },
      { price: 0.5, size: 3 },
      { price: 0.6, size: 50 },
    ]);
    const { engine, manager } = make();
    expect(await engine.place(req('p1'))).toBe('canceled');
    const o = manager.get('p1')!;
    expect(o.filledSize).toBe(7);
    expect(o.fills.map((f) => [f.price, f.size, f.fee])).toEqual([
      [0.45, 4, takerFee(4, 0.45, { rate: 0.07, exponent: 1 })],
      [0.5, 3, takerFee(3, 0.5, { rate: 0.07, exponent: 1 })],
    ]);
    expect(o.history.map((h) => h.to)).toEqual(['new', 'submitted', 'partially_filled', 'canceled']);
    expect(OrdersFileSchema.safeParse(JSON.parse(readFileSync(path.join(dir, 'orders.json'), 'utf8'))).success).toBe(true);
  });

  it('kills a FOK it cannot fill as a cancel, not an error', async () => {
    const { make } = setup([{ price: 0.45, size: 4 }]);
    const { engine, manager } = make();
    expect(await engine.place(req('p2', { orderType: 'FOK' }))).toBe('canceled');
    expect(manager.get('p2')!.fills).toEqual([]);
  });

  it('rests a GTC and fills it as maker, without fee, when the book comes to it; a restart sees the same venue', async () => {
    const { data, make } = setup([{ price: 0.55, size: 40 }]);
    const first = make();
    expect(await first.engine.place(req('p3', { orderType: 'GTC' }))).toBe('open');
    data.asks = [
      { price: 0.49, size: 6 },
      { price: 0.55, size: 40 },
    ];
    const second = make(); // restart: both records reload from disk
    await second.engine.poll();
    const o = second.manager.get('p3')!;
    expect(o.state).toBe('partially_filled');
    expect(o.fills).toMatchObject([{ size: 6, price: 0.5, fee: 0 }]);
    await second.engine.place(req('p3', { orderType: 'GTC' })); // redelivered: nothing new
    expect(second.manager.all()).toHaveLength(1);
  });

  it('settles at resolution with PnL after fees', async () => {
    const end = Date.now() + 60_000;
    const { data, make } = setup([{ price: 0.4, size: 100 }]);
    const { engine, manager } = make();
    await engine.place(req('p4', { windowEndMs: end, price: 0.4 }));
    data.winnerIs = 'DOWN';
    await engine.poll(end + 1_000);
    await engine.poll(end + 2_000);
    const s = manager.outbox().find((e) => e.type === 'settlement');
    expect(s).toMatchObject({ winner: 'DOWN', upShares: 10, payoutUsd: 0 });
    if (s?.type === 'settlement') expect(s.realisedPnlUsd).toBeCloseTo(-4 - takerFee(10, 0.4, { rate: 0.07, exponent: 1 }), 6);
  });
});

describe('public CLOB parsing (recorded payloads)', () => {
  it('orders a recorded book best first on both sides', () => {
    const b = parseBook(fixture('clob_book_2024.json'))!;
    expect(b.bids[0]!.price).toBe(0.1);
    expect(b.asks[0]!.price).toBe(0.14);
    for (let i = 1; i < b.bids.length; i++) expect(b.bids[i]!.price).toBeLessThan(b.bids[i - 1]!.price);
    expect(parseBook({ ...fixture('clob_book_2024.json'), bids: [{ price: '1.2', size: '5' }] })).toBeNull();
  });

  it('reads the winner of a resolved market, and nothing before it closes', () => {
    const m = fixture('clob_market_resolved_2026-04.json');
    const updown = { ...m, tokens: (m.tokens as Array<Record<string, unknown>>).map((t, i) => ({ ...t, outcome: i === 0 ? 'Up' : 'Down' })) };
    expect(parseWinner(updown)).toBe('UP');
    expect(parseWinner({ ...updown, closed: false })).toBeNull();
    expect(parseWinner(m)).toBeNull(); // Yes/No is not an Up/Down market
  });
});
