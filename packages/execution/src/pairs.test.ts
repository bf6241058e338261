/**
 * Arbitrage pairs end to end in the engine: both legs FOK as a unit, the lone leg unwound by the
 * cheaper of sell-back and complete-the-pair at the current book, exactly once across redelivery
 * and restart. Against the in-memory venue and the paper venue (which walks real-shaped books).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PairOrderRequestSchema, takerFee, takerFeePerShare, type BookLevel, type OrderRequest, type PairOrderRequest } from '@polybot/shared';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { OrdersFileSchema } from './orderStore.js';
import { createPaperVenue } from './paper/paperVenue.js';
import { loneLegChoice } from './pairs.js';
import { VenueOutcomeUnknownError } from './venue/port.js';
import { FakeClob } from './testing/fakeClob.js';
import type { ClobPort } from './venue/port.js';

const logger = pino({ level: 'silent' });
const CID = `0x${'a'.repeat(64)}` as const;
const UP = '11';
const DOWN = '22';
const fee = { rate: 0.07, exponent: 1 };

function pair(
  id = 'arb-aaaa-1',
  up = 0.47,
  down = 0.46,
  shares = 20,
  onLoneFill: PairOrderRequest['onLoneFill'] = { UP: 'hold', DOWN: 'hold' },
): PairOrderRequest {
  const leg = (outcome: 'UP' | 'DOWN', price: number): OrderRequest => ({
    id: `${id}-${outcome}`,
    signalId: `${id}-${outcome}`,
    createdAtMs: Date.now(),
    conditionId: CID,
    asset: 'BTC',
    outcome,
    tokenId: outcome === 'UP' ? UP : DOWN,
    side: 'BUY',
    orderType: 'FOK',
    postOnly: false,
    price,
    size: shares,
    windowEndMs: Date.now() + 600_000,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 1_000, kellyFraction: 0, notionalUsd: shares * price, cappedBy: null },
  });
  return PairOrderRequestSchema.parse({
    kind: 'pair',
    id,
    createdAtMs: Date.now(),
    conditionId: CID,
    asset: 'BTC',
    shares,
    worstCostPerPair: up + down + takerFeePerShare(up, fee) + takerFeePerShare(down, fee),
    expectedProfitUsd: 0.5,
    legs: [leg('UP', up), leg('DOWN', down)],
    onLoneFill,
  });
}

type Book = { bids: BookLevel[]; asks: BookLevel[] };
const L = (...levels: Array<[number, number]>) => levels.map(([price, size]) => ({ price, size }));

function setup(venue: ClobPort = new FakeClob(), books = new Map<string, Book>()) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-pairs-'));
  const file = path.join(dir, 'orders.json');
  const make = () => {
    const manager = new OrderManager(file, logger);
    const engine = new ExecutionEngine(
      manager,
      venue,
      { cancelBeforeEndMs: 5_000, settleAfterMs: 0 },
      logger,
      async () => false,
      async (t) => books.get(t) ?? null,
    );
    return { manager, engine };
  };
  return { file, venue, books, make };
}
const onDisk = (file: string) => OrdersFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));

describe('arbitrage pair: both legs fill', () => {
  it('records both legs and the profit the fills locked in, after fees', async () => {
    const { venue, make, file } = setup();
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair complete');
    expect(manager.get('arb-aaaa-1-UP')!.state).toBe('filled');
    expect(manager.get('arb-aaaa-1-DOWN')!.state).toBe('filled');
    // 20 pairs pay 20; they cost 20 × (0.47 + 0.46) plus each leg's fee, floored as on chain.
    const locked = 20 - 20 * 0.93 - takerFee(20, 0.47, fee) - takerFee(20, 0.46, fee);
    expect(locked).toBeGreaterThan(0.6);
    const rec = onDisk(file).pairs[0]!;
    expect(rec.state).toBe('complete');
    expect(rec.lockedProfitUsd).toBeCloseTo(locked, 6);
    expect(onDisk(file).orders.map((o) => o.request.id)).toEqual(['arb-aaaa-1-UP', 'arb-aaaa-1-DOWN']);
    const fills = manager.outbox().filter((e) => e.type === 'fill');
    expect(fills.map((e) => (e.type === 'fill' ? [e.signalId, e.size] : null))).toEqual([
      ['arb-aaaa-1-UP', 20],
      ['arb-aaaa-1-DOWN', 20],
    ]);
    expect((venue as FakeClob).posts).toBe(2);
  });
});

describe('arbitrage pair: a leg killed', () => {
  it('both legs go out in one POST /orders; both killed: abandoned, nothing held', async () => {
    const { venue, make } = setup();
    const fake = venue as FakeClob;
    fake.killTokens.add(UP).add(DOWN);
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair abandoned');
    expect(fake.calls.filter((c) => c !== 'hb')).toEqual(['batch', 'post', 'post']);
    expect(manager.get('arb-aaaa-1-UP')!.state).toBe('canceled');
    expect(manager.get('arb-aaaa-1-DOWN')!.state).toBe('canceled');
    expect(manager.getPair('arb-aaaa-1')!.history.at(-1)!.note).toMatch(/neither leg filled/);
    expect(manager.positions()).toEqual([]);
  });

  it('first leg killed in the batch while the second filled: the lone Down is sold back at its bid', async () => {
    const books = new Map<string, Book>([
      [UP, { bids: L([0.4, 50]), asks: L([0.6, 50]) }],
      [DOWN, { bids: L([0.44, 50]), asks: L([0.47, 50]) }],
    ]);
    const { venue, make } = setup(new FakeClob(), books);
    const fake = venue as FakeClob;
    fake.killTokens.add(UP);
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair unwound');
    expect(fake.calls.filter((c) => c !== 'hb').slice(0, 3)).toEqual(['batch', 'post', 'post']);
    expect(manager.get('arb-aaaa-1-UP')!.state).toBe('canceled');
    expect(manager.get('arb-aaaa-1-DOWN')!.state).toBe('filled');
    expect(manager.get('arb-aaaa-1-unwind')!.request).toMatchObject({ side: 'SELL', outcome: 'DOWN', tokenId: DOWN, price: 0.44, size: 20 });
    expect(manager.getPair('arb-aaaa-1')!.history.map((h) => h.state)).toEqual(['placing', 'lone', 'unwinding', 'unwound']);
  });

  it('a leg refused before signing (execution hard limit): neither leg is posted', async () => {
    const { venue, make } = setup();
    const fake = venue as FakeClob;
    const { engine, manager } = make();
    const p = pair();
    // The Down leg is off the tick grid: refused before signing, so the batch is not sent.
    const bad = PairOrderRequestSchema.parse({ ...p, legs: [p.legs[0], { ...p.legs[1], price: 0.465 }] });
    expect(await engine.placePair(bad)).toBe('pair abandoned');
    expect(fake.posts).toBe(0);
    expect(manager.get('arb-aaaa-1-UP')).toBeUndefined();
    expect(manager.get('arb-aaaa-1-DOWN')!.state).toBe('rejected');
    expect(manager.getPair('arb-aaaa-1')!.history.at(-1)!.note).toMatch(/refused before posting: neither leg sent/);
  });

  it('second leg killed, the other side ran away: sells the lone Up back at the bid (FAK SELL), recorded like any order', async () => {
    const books = new Map<string, Book>([
      [UP, { bids: L([0.44, 50]), asks: L([0.48, 50]) }],
      [DOWN, { bids: L([0.5, 50]), asks: L([0.6, 50]) }],
    ]);
    const { venue, make, file } = setup(new FakeClob(), books);
    (venue as FakeClob).killTokens.add(DOWN);
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair unwound');
    const unwind = manager.get('arb-aaaa-1-unwind')!;
    expect(unwind.request).toMatchObject({ side: 'SELL', outcome: 'UP', tokenId: UP, orderType: 'FAK', price: 0.44, size: 20 });
    expect(unwind.state).toBe('filled');
    const rec = onDisk(file).pairs[0]!;
    // Paid 0.47 + fee; sell nets 0.44 − fee(0.44) → loss ≈ 0.0474; completing at 0.60 would lose ≈ 0.0868.
    const paid = 0.47 + takerFee(20, 0.47, fee) / 20;
    expect(rec.unwind).toMatchObject({ action: 'sell', shares: 20, signalRule: 'hold' });
    expect(rec.unwind!.lossPerShare).toBeCloseTo(paid - (0.44 - takerFeePerShare(0.44, fee)), 9);
    expect(rec.history.map((h) => h.state)).toEqual(['placing', 'lone', 'unwinding', 'unwound']);
    expect(manager.positions().find((p) => p.outcome === 'UP')!.pending).toBe(0); // flat again
    const sellFill = manager.outbox().find((e) => e.type === 'fill' && e.orderId === 'arb-aaaa-1-unwind');
    expect(sellFill).toMatchObject({ side: 'SELL', size: 20, price: 0.44 });
  });

  it('second leg killed, its ask still near: completes the pair by buying Down (hold), since selling Up back loses more', async () => {
    const books = new Map<string, Book>([
      [UP, { bids: L([0.3, 50]), asks: L([0.48, 50]) }],
      [DOWN, { bids: L([0.4, 50]), asks: L([0.48, 10], [0.49, 50]) }],
    ]);
    const { venue, make } = setup(new FakeClob(), books);
    (venue as FakeClob).killTokens.add(DOWN);
    const { engine, manager } = make();
    await engine.placePair(pair());
    (venue as FakeClob).killTokens.clear();
    // The unwind was decided and placed in the same pass; the fake venue kills the FAK too, so it is canceled.
    expect(manager.get('arb-aaaa-1-unwind')!.request).toMatchObject({ side: 'BUY', outcome: 'DOWN', tokenId: DOWN, price: 0.49, size: 20 });
    expect(manager.getPair('arb-aaaa-1')!.unwind!.action).toBe('hold');
    expect(manager.getPair('arb-aaaa-1')!.state).toBe('unwound');
    expect(manager.getPair('arb-aaaa-1')!.history.at(-1)!.note).toMatch(/0 of 20, 20 held to resolution/);
  });

  it('lone leg with no book to price an unwind on waits, then is unwound once a book appears', async () => {
    const books = new Map<string, Book>();
    const { venue, make } = setup(new FakeClob(), books);
    (venue as FakeClob).killTokens.add(DOWN);
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair lone');
    expect(manager.get('arb-aaaa-1-unwind')).toBeUndefined();
    books.set(UP, { bids: L([0.46, 100]), asks: L([0.48, 100]) });
    await engine.poll();
    expect(manager.get('arb-aaaa-1-unwind')!.request).toMatchObject({ side: 'SELL', price: 0.46 });
    expect(manager.getPair('arb-aaaa-1')!.state).toBe('unwound');
  });
});

describe('arbitrage pair: exactly once', () => {
  it('the same pair job twice, and again after a restart, places each leg once', async () => {
    const { venue, make, file } = setup();
    const first = make();
    await first.engine.placePair(pair());
    expect(await first.engine.placePair(pair())).toBe('pair complete');
    expect((venue as FakeClob).posts).toBe(2);
    const second = make(); // restart from orders.json
    await second.engine.poll();
    expect(await second.engine.placePair(pair())).toBe('pair complete');
    expect((venue as FakeClob).posts).toBe(2);
    expect((venue as FakeClob).orders.size).toBe(2);
    expect(onDisk(file).orders).toHaveLength(2);
    expect(onDisk(file).pairs).toHaveLength(1);
  });

  it('a lost answer on the first leg: the venue is asked first, and each leg exists once there', async () => {
    const { venue, make } = setup();
    const fake = venue as FakeClob;
    fake.dropAnswers = 1;
    const { engine } = make();
    expect(await engine.placePair(pair())).toBe('pair complete');
    expect(fake.posts).toBe(2);
    expect([...fake.orders.values()].map((o) => o.request.id)).toEqual(['arb-aaaa-1-UP', 'arb-aaaa-1-DOWN']);
  });

  it('legs that rest are both posted at once; the pair completes once the poll sees both fill', async () => {
    const { venue, make } = setup();
    const fake = venue as FakeClob;
    fake.fillOnPost = false; // accepted, not matched yet
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair placing');
    expect(fake.posts).toBe(2);
    fake.fill(manager.get('arb-aaaa-1-UP')!.venueOrderId!, 20, 'taker');
    await engine.poll();
    expect(manager.getPair('arb-aaaa-1')!.state).toBe('placing'); // Down still in flight
    fake.fill(manager.get('arb-aaaa-1-DOWN')!.venueOrderId!, 20, 'taker');
    await engine.poll();
    expect(manager.getPair('arb-aaaa-1')!.state).toBe('complete');
    expect(fake.posts).toBe(2);
  });

  it('a restart after the unwind was decided but before it was posted re-sends that one order, not a second unwind', async () => {
    const books = new Map<string, Book>([[UP, { bids: L([0.44, 50]), asks: L([0.48, 50]) }]]);
    const fake = new FakeClob();
    const { make, file } = setup(fake, books);
    fake.killTokens.add(DOWN);
    fake.lostPosts = 0;
    const first = make();
    // Every post after the two legs never arrives: the unwind stays in flight.
    const post = fake.post.bind(fake);
    let n = 0;
    fake.post = async (signed, t) => {
      if (++n >= 3) throw new VenueOutcomeUnknownError('timed out');
      return post(signed, t);
    };
    await first.engine.placePair(pair());
    expect(first.manager.get('arb-aaaa-1-unwind')!.state).toBe('submitted');
    expect(fake.orders.has(first.manager.get('arb-aaaa-1-unwind')!.venueOrderId!)).toBe(false);
    fake.post = post;
    const second = make();
    await second.engine.poll(); // re-sends the same signed unwind
    await second.engine.placePair(pair());
    expect([...fake.orders.values()].filter((o) => o.request.id === 'arb-aaaa-1-unwind')).toHaveLength(1);
    expect(second.manager.getPair('arb-aaaa-1')!.state).toBe('unwound');
    expect(onDisk(file).orders.map((o) => o.request.id)).toEqual(['arb-aaaa-1-UP', 'arb-aaaa-1-DOWN', 'arb-aaaa-1-unwind']);
  });
});

describe('arbitrage pair on the paper venue', () => {
  it('the Down book is thinner than the pair by the time it is matched: FOK killed, the lone Up sold back into its bids', async () => {
    const books = new Map<string, Book>([
      [UP, { bids: L([0.46, 12], [0.45, 50]), asks: L([0.47, 50]) }],
      [DOWN, { bids: L([0.4, 50]), asks: L([0.46, 15], [0.9, 50]) }],
    ]);
    const paper = createPaperVenue({
      data: { book: async (t) => books.get(t) ?? null, winner: async () => null },
      file: null,
      takerDelayMs: 0,
      confirmAfterMs: 0,
      balanceUsd: 1_000,
    });
    const { make } = setup(paper, books);
    const { engine, manager } = make();
    expect(await engine.placePair(pair())).toBe('pair unwound');
    expect(manager.get('arb-aaaa-1-UP')!.filledSize).toBe(20);
    expect(manager.get('arb-aaaa-1-DOWN')!.state).toBe('canceled');
    const unwind = manager.get('arb-aaaa-1-unwind')!;
    // Selling 12 at 0.46 and 8 at 0.45 loses ≈ 0.049 a share; completing with 15 Down at 0.46 and 5 at 0.90 ≈ 0.072.
    expect(unwind.request).toMatchObject({ side: 'SELL', price: 0.45, size: 20 });
    const f = (p: number) => takerFeePerShare(p, fee);
    const paid = 0.47 + takerFee(20, 0.47, fee) / 20;
    expect(manager.getPair('arb-aaaa-1')!.unwind).toMatchObject({ action: 'sell', shares: 20 });
    expect(manager.getPair('arb-aaaa-1')!.unwind!.lossPerShare).toBeCloseTo(paid - (12 * (0.46 - f(0.46)) + 8 * (0.45 - f(0.45))) / 20, 9);
    expect(unwind.fills.map((f) => [f.price, f.size])).toEqual([
      [0.46, 12],
      [0.45, 8],
    ]);
  });
});

describe('loneLegChoice', () => {
  const paid = 0.47 + takerFeePerShare(0.47, fee);
  it('sells when the bid loses less than completing, holds otherwise', () => {
    expect(loneLegChoice({ paidPerShare: paid, shares: 20, ownBids: L([0.44, 50]), otherAsks: L([0.6, 50]), feeRate: 0.07 })!.action).toBe('sell');
    const hold = loneLegChoice({ paidPerShare: paid, shares: 20, ownBids: L([0.3, 50]), otherAsks: L([0.48, 50]), feeRate: 0.07 })!;
    expect(hold.action).toBe('hold');
    expect(hold.lossPerShare).toBeCloseTo(paid + 0.48 + takerFeePerShare(0.48, fee) - 1, 12);
  });
  it('walks the book for the size, and drops an action under the $1 minimum or without a book', () => {
    const c = loneLegChoice({ paidPerShare: paid, shares: 20, ownBids: L([0.45, 5], [0.4, 50]), otherAsks: [], feeRate: 0.07 })!;
    expect(c).toMatchObject({ action: 'sell', shares: 20, limitPrice: 0.4, holdLoss: Infinity });
    expect(c.sellLoss).toBeCloseTo(paid - (5 * 0.45 + 15 * 0.4 - 5 * takerFeePerShare(0.45, fee) - 15 * takerFeePerShare(0.4, fee)) / 20, 12);
    expect(loneLegChoice({ paidPerShare: paid, shares: 2, ownBids: L([0.44, 50]), otherAsks: L([0.45, 50]), feeRate: 0.07 })).toBeNull(); // $0.88 / $0.90
    expect(loneLegChoice({ paidPerShare: paid, shares: 20, ownBids: [], otherAsks: [], feeRate: 0.07 })).toBeNull();
  });
});
