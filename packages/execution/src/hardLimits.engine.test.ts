/** The engine enforces its hard limits on the placement path, the re-send path and pair jobs: refused, recorded, alerted, never signed. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PairOrderRequestSchema, type OrderRequest } from '@polybot/shared';
import { ManualClock } from './clock.js';
import { ExecutionEngine } from './executionEngine.js';
import type { HardLimits } from './hardLimits.js';
import { OrderManager } from './orderManager.js';
import { FakeClob } from './testing/fakeClob.js';

const logger = pino({ level: 'silent' });
const T0 = 1_900_000_000_000;
const CID = `0x${'e'.repeat(64)}` as const;
const CID2 = `0x${'f'.repeat(64)}` as const;
const limits: HardLimits = { maxOrderUsd: 10, maxMarketExposureUsd: 25, maxTotalExposureUsd: 40, maxOrderAgeMs: 30_000, clockSkewMs: 2_000 };
const request = (id: string, over: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: T0,
  conditionId: CID,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '77',
  side: 'BUY',
  orderType: 'FAK',
  postOnly: false,
  price: 0.5,
  size: 20,
  windowEndMs: T0 + 3_600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 10, cappedBy: null },
  ...over,
});

function setup(manager = new OrderManager(null, logger), venue = new FakeClob(), clock = new ManualClock(T0)) {
  const engine = new ExecutionEngine(manager, venue, { cancelBeforeEndMs: 5_000, settleAfterMs: 0, clock, limits }, logger, async () => false);
  return { manager, venue, clock, engine };
}
const limitErrors = (m: OrderManager) => m.outbox().filter((e) => e.type === 'error' && e.source === 'limit');

describe('execution hard limits in the engine', () => {
  it('an order 1,000 times the normal size is refused, recorded and alerted, and never signed', async () => {
    const { engine, manager, venue } = setup();
    const res = await engine.place(request('sig-huge', { size: 11_490 }));
    expect(res).toMatch(/^refused: hard limit: order notional \$5745\.00 is over the \$10\.00/);
    expect(venue.signedRequests).toHaveLength(0);
    expect(venue.posts).toBe(0);
    const o = manager.get('sig-huge')!;
    expect(o.state).toBe('rejected');
    expect(o.history.at(-1)!.note).toMatch(/hard limit/);
    expect(limitErrors(manager)).toHaveLength(1);
    expect(manager.outbox().some((e) => e.type === 'order' && e.orderId === 'sig-huge' && e.state === 'rejected')).toBe(true);
    // A redelivered job finds the refusal and signs nothing either.
    expect(await engine.place(request('sig-huge', { size: 11_490 }))).toMatch(/known order \(rejected\)/);
    expect(venue.signedRequests).toHaveLength(0);
  });

  it('an order created 15 minutes earlier is refused; one within the age limit and the skew allowance is placed', async () => {
    const { engine, manager, venue, clock } = setup();
    clock.set(T0 + 15 * 60_000);
    expect(await engine.place(request('sig-old', { createdAtMs: T0 }))).toMatch(/refused: hard limit: order is 900000 ms old/);
    expect(await engine.place(request('sig-future', { createdAtMs: T0 + 15 * 60_000 + 5_000 }))).toMatch(/in the future/);
    expect(await engine.place(request('sig-fresh', { createdAtMs: T0 + 15 * 60_000 - 31_000 }))).toBe('filled');
    expect(venue.signedRequests.map((r) => r.id)).toEqual(['sig-fresh']);
    expect(limitErrors(manager)).toHaveLength(2);
  });

  it('market and total exposure from its own filled and open orders: the order that would pass a cap is refused', async () => {
    const { engine, venue } = setup();
    expect(await engine.place(request('a1'))).toBe('filled'); // $10 on CID
    expect(await engine.place(request('a2'))).toBe('filled'); // $20
    venue.fillOnPost = false;
    expect(await engine.place(request('a3', { orderType: 'GTC', size: 10 }))).toBe('open'); // $25: $5 resting counts
    expect(await engine.place(request('a4', { size: 2 }))).toMatch(/market exposure would be \$26\.00/);
    venue.fillOnPost = true;
    expect(await engine.place(request('b1', { conditionId: CID2 }))).toBe('filled'); // total $35
    expect(await engine.place(request('b2', { conditionId: CID2, size: 12 }))).toMatch(/total exposure would be \$41\.00/);
    expect(await engine.place(request('b3', { conditionId: CID2, size: 10 }))).toBe('filled'); // total $40, the cap
    expect(venue.signedRequests.map((r) => r.id)).toEqual(['a1', 'a2', 'a3', 'b1', 'b3']);
  });

  it('a signed order the venue never saw is not re-sent after a restart once it is too old', async () => {
    const venue = new FakeClob();
    const first = setup(new OrderManager(null, logger), venue);
    const r = request('sig-inflight');
    const { id, signed } = await venue.sign(r);
    first.manager.create(r, id, signed, T0);
    first.manager.commit(T0); // ... and the process dies before the post
    const again = setup(new OrderManager(null, logger, first.manager.snapshot()), venue, new ManualClock(T0 + 40_000));
    await again.engine.poll();
    expect(venue.orders.size).toBe(0);
    expect(venue.posts).toBe(0);
    expect(again.manager.get('sig-inflight')!.state).toBe('submitted'); // still in flight: asked again, given up after the window
    expect(limitErrors(again.manager).map((e) => e.type === 'error' && e.message)).toEqual([
      expect.stringMatching(/not re-sent: hard limit: order is 40000 ms old/),
    ]);
    await again.engine.poll(); // reported once
    expect(limitErrors(again.manager)).toHaveLength(1);
    // Within the age limit the same restart re-sends it (the existing exactly-once path).
    const young = setup(new OrderManager(null, logger, first.manager.snapshot()), venue, new ManualClock(T0 + 20_000));
    await young.engine.poll();
    expect([...venue.orders.keys()]).toEqual([id]);
  });

  it('a pair whose legs together pass the market cap is refused before its first leg is signed', async () => {
    const { engine, manager, venue } = setup();
    const leg = (outcome: 'UP' | 'DOWN', price: number) =>
      request(`arb-1-${outcome}`, { outcome, price, size: 20, orderType: 'FOK', tokenId: outcome === 'UP' ? '11' : '22' });
    const p = PairOrderRequestSchema.parse({
      kind: 'pair',
      id: 'arb-1',
      createdAtMs: T0,
      conditionId: CID,
      asset: 'BTC',
      shares: 20,
      worstCostPerPair: 0.97,
      expectedProfitUsd: 0.2,
      legs: [leg('UP', 0.5), leg('DOWN', 0.45)],
      onLoneFill: { UP: 'hold', DOWN: 'hold' },
    });
    expect(await engine.place(request('pre', { size: 16 }))).toBe('filled'); // $8 held: 8 + 19 > 25
    expect(await engine.placePair(p)).toBe('pair abandoned');
    expect(manager.getPair('arb-1')!.history.at(-1)!.note).toMatch(/both legs \(\$19\.00\) would bring market exposure to \$27\.00/);
    expect(venue.signedRequests.map((r) => r.id)).toEqual(['pre']);
    expect(limitErrors(manager)).toHaveLength(1);
    expect(await engine.placePair(p)).toBe('pair abandoned'); // redelivered: still nothing signed
    expect(venue.signedRequests).toHaveLength(1);
  });
});
