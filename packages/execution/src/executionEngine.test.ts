/** The engine against the sim venue over HTTP, through the official client, as in production. */
import { pino } from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairOrderRequestSchema, type OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { clobMarketData } from './paper/clobMarketData.js';
import { openSimMarkets } from './testing/simMarkets.js';
import { createClobV2Port } from './venue/clobV2.js';
import { simWallet } from './venue/wallet.js';
import type { ClobPort } from './venue/port.js';

const logger = pino({ level: 'silent' });
let venue: SimVenue;
let port: ClobPort;

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC'], seed: 11, misprice: 0 });
  const key = generatePrivateKey();
  port = await createClobV2Port({ host: venue.url, privateKey: key, timeoutMs: 3_000, ...(await simWallet(venue.url, key)) });
});
afterAll(async () => venue?.close());

function marketableRequest(id: string): OrderRequest {
  const m = openSimMarkets(venue, 60_000)[0]!; // never one about to end (the engine refuses those)
  const book = venue.state.exchange.books.get(m.upToken)!;
  return {
    id,
    signalId: id,
    createdAtMs: Date.now(),
    conditionId: m.conditionId as `0x${string}`,
    asset: 'BTC',
    outcome: 'UP',
    tokenId: m.upToken,
    side: 'BUY',
    orderType: 'FAK',
    postOnly: false,
    // Ten cents of room: the maker requotes during the taker delay, and on a loaded machine the delayed match runs late (3 cents was flaky).
    price: Math.min(0.99, Number((book.asks[0]!.price + 0.1).toFixed(2))),
    size: Math.max(5, Math.ceil(1.5 / book.asks[0]!.price)), // a taker needs ≥ $1, even at a price near 0
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
  };
}

const venueOrders = async () =>
  ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: Array<{ id: string; sizeMatched: number; status: string }> }).orders;
/** Polls (as the worker does) until the order is final: marketable orders wait out the taker delay. */
async function untilFinal(engine: ExecutionEngine, manager: OrderManager, id: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const s = manager.get(id)?.state;
    if (s === 'filled' || s === 'canceled' || s === 'rejected' || s === 'expired') return s;
    await new Promise((r) => setTimeout(r, 100));
    await engine.poll();
  }
  return manager.get(id)?.state ?? 'none';
}
const engineFor = (m: OrderManager) => new ExecutionEngine(m, port, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 }, logger, async () => false);

describe('exactly once at the venue', () => {
  it('places, fills and records an order; a redelivered job never places it again', async () => {
    const manager = new OrderManager(null, logger);
    const engine = engineFor(manager);
    const r = marketableRequest('sig-once');
    expect(['submitted', 'open', 'filled']).toContain(await engine.place(r)); // delayed or live, then matched
    expect(await untilFinal(engine, manager, 'sig-once')).toBe('filled');
    expect(await engine.place(r)).toMatch(/known order/);
    const o = manager.get('sig-once')!;
    const at = (await venueOrders()).filter((v) => v.id === o.venueOrderId);
    expect(at).toHaveLength(1);
    expect(at[0]!.sizeMatched).toBe(o.filledSize);
    expect(o.fills[0]!.fee).toBeGreaterThan(0);
  });

  it('survives a lost answer: the venue accepted, the response was dropped, no second order', async () => {
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ dropAfterAccept: 1 }) });
    const manager = new OrderManager(null, logger);
    const engine = engineFor(manager);
    const r = marketableRequest('sig-lost');
    const before = (await venueOrders()).length;
    expect(await engine.place(r)).toBe('submitted'); // in flight: never assumed rejected
    await engine.poll();
    await engine.place(r); // the job is redelivered
    const o = manager.get('sig-lost')!;
    expect(await untilFinal(engine, manager, 'sig-lost')).toBe('filled');
    const after = await venueOrders();
    expect(after.length).toBe(before + 1);
    expect(after.filter((v) => v.id === o.venueOrderId)).toHaveLength(1);
  });

  it('re-sends the same signed order when the post never reached the venue', async () => {
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ burst500: 1 }) });
    const manager = new OrderManager(null, logger);
    const engine = engineFor(manager);
    const r = marketableRequest('sig-retry');
    expect(await engine.place(r)).toBe('submitted');
    await engine.poll();
    const o = manager.get('sig-retry')!;
    expect(await untilFinal(engine, manager, 'sig-retry')).toBe('filled');
    expect((await venueOrders()).filter((v) => v.id === o.venueOrderId)).toHaveLength(1);
  });

  it('undoes a fill whose trade FAILED on chain at the venue, and agrees with the venue after', async () => {
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ failTrades: 1 }) });
    try {
      const manager = new OrderManager(null, logger);
      const engine = engineFor(manager);
      await engine.place(marketableRequest('sig-fail'));
      const o = manager.get('sig-fail')!;
      for (let i = 0; i < 30 && o.fills.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await engine.poll();
      }
      expect(o.fills.length).toBeGreaterThan(0);
      for (let i = 0; i < 30 && !o.fills.every((f) => f.status === 'FAILED'); i++) {
        await new Promise((r) => setTimeout(r, 200));
        await engine.poll();
      }
      expect(o.fills.every((f) => f.status === 'FAILED')).toBe(true);
      expect(o.filledSize).toBe(0);
      expect(manager.positions()).toEqual([]);
      const at = (await venueOrders()).find((v) => v.id === o.venueOrderId)!;
      expect(at.sizeMatched).toBe(0);
    } finally {
      await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ failTrades: 0 }) });
    }
  });

  it('a missed heartbeat: the venue cancels everything, we re-read it and report it', async () => {
    const manager = new OrderManager(null, logger);
    const engine = engineFor(manager);
    const r = { ...marketableRequest('sig-hb'), orderType: 'GTC' as const, price: 0.02 };
    expect(await engine.place(r)).toBe('open');
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ missHeartbeats: true }) });
    try {
      await engine.heartbeat();
    } finally {
      await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ missHeartbeats: false }) });
    }
    expect(manager.get('sig-hb')!.state).toBe('canceled');
    expect(manager.outbox().some((e) => e.type === 'error' && e.source === 'heartbeat')).toBe(true);
  });

  it('refuses to place while halted', async () => {
    const manager = new OrderManager(null, logger);
    const engine = new ExecutionEngine(manager, port, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 }, logger, async () => true);
    expect(await engine.place(marketableRequest('sig-halted'))).toMatch(/breaker/);
    expect(manager.all()).toHaveLength(0);
  });
});

describe('arbitrage legs in one POST /orders at the venue', () => {
  it('sends both legs in one batch; the venue kills one and fills the other: the lone leg is recorded and unwound at the book', async () => {
    const m = openSimMarkets(venue, 60_000)[0]!;
    const upAsk = venue.state.exchange.books.get(m.upToken)!.asks[0]!.price;
    const downBid = venue.state.exchange.books.get(m.downToken)!.bids[0]!.price;
    const shares = Math.max(5, Math.ceil(1.5 / Math.min(upAsk, downBid)));
    const up = { ...marketableRequest('arb-sim-1-UP'), size: shares };
    // The Down leg bids below its ask: a FOK there cannot fill and is killed (§5.3 item 12).
    const down: OrderRequest = {
      ...up,
      id: 'arb-sim-1-DOWN',
      signalId: 'arb-sim-1-DOWN',
      outcome: 'DOWN',
      tokenId: m.downToken,
      orderType: 'FOK',
      price: downBid,
      sizing: { ...up.sizing, notionalUsd: Number((shares * downBid).toFixed(6)) },
    };
    const pair = PairOrderRequestSchema.parse({
      kind: 'pair',
      id: 'arb-sim-1',
      createdAtMs: Date.now(),
      conditionId: m.conditionId,
      asset: 'BTC',
      shares,
      worstCostPerPair: 0.9,
      expectedProfitUsd: 0.1,
      legs: [{ ...up, orderType: 'FOK' }, down],
      onLoneFill: { UP: 'sell', DOWN: 'sell' },
    });
    let batches = 0;
    let singles = 0;
    const counted: ClobPort = {
      ...port,
      postMany: (o) => (batches++, port.postMany(o)),
      post: (s, t, p) => (singles++, port.post(s, t, p)),
    };
    const manager = new OrderManager(null, logger);
    const books = clobMarketData(venue.url);
    const engine = new ExecutionEngine(
      manager,
      counted,
      { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 },
      logger,
      async () => false,
      (t) => books.book(t),
    );
    await engine.placePair(pair);
    expect(batches).toBe(1);
    expect(singles).toBe(0);
    const ids = [manager.get('arb-sim-1-UP')!.venueOrderId, manager.get('arb-sim-1-DOWN')!.venueOrderId];
    expect((await venueOrders()).filter((v) => ids.includes(v.id))).toHaveLength(2); // both reached the venue
    for (let i = 0; i < 100 && !['unwound', 'held'].includes(manager.getPair('arb-sim-1')!.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      await engine.poll();
    }
    expect(manager.get('arb-sim-1-UP')!.state).toBe('filled');
    expect(manager.get('arb-sim-1-DOWN')!.state).toBe('canceled');
    const rec = manager.getPair('arb-sim-1')!;
    expect(rec.history.map((h) => h.state)).toContain('lone');
    expect(['unwound', 'held']).toContain(rec.state);
    if (rec.state === 'unwound') {
      // Sold back at the Up bid, or completed by buying Down at its ask: whichever lost less at the book.
      const u = manager.get('arb-sim-1-unwind')!.request;
      expect(u.orderType).toBe('FAK');
      expect([`${u.side} ${u.outcome}`]).toEqual([rec.unwind!.action === 'sell' ? 'SELL UP' : 'BUY DOWN']);
    }
    expect(singles).toBeLessThanOrEqual(1); // the unwind, alone
  });
});
