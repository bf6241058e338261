/** The engine's decisions against an in-memory venue: exactly once, lost answers, restarts, 429s, fees, settlement. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { takerFee, type OrderRequest } from '@polybot/shared';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { FakeClob } from './testing/fakeClob.js';
import { ManualClock } from './clock.js';

const logger = pino({ level: 'silent' });
const CID = `0x${'b'.repeat(64)}` as const;
const request = (id: string, over: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: 1,
  conditionId: CID,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '77',
  side: 'BUY',
  orderType: 'GTC',
  postOnly: false,
  price: 0.4,
  size: 10,
  windowEndMs: Date.now() + 600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 4, cappedBy: null },
  ...over,
});

function setup(opts: { halted?: () => boolean } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-engine-'));
  const file = path.join(dir, 'orders.json');
  const venue = new FakeClob();
  const make = () => {
    const manager = new OrderManager(file, logger);
    const engine = new ExecutionEngine(
      manager,
      venue,
      { cancelBeforeEndMs: 5_000, settleAfterMs: 0, rateLimitBackoffMs: 5 },
      logger,
      async () => opts.halted?.() ?? false,
    );
    return { manager, engine };
  };
  return { file, venue, make };
}

describe('exactly once', () => {
  it('a lost answer stays in flight, and the redelivered job finds the order instead of placing another', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.dropAnswers = 1;
    expect(await engine.place(request('s1'))).toBe('submitted');
    expect(manager.get('s1')!.state).toBe('submitted'); // never assumed rejected
    expect(await engine.place(request('s1'))).toMatch(/known order/);
    expect(venue.orders.size).toBe(1);
    expect(venue.posts).toBe(1);
    expect(manager.get('s1')!.state).toBe('filled');
  });

  it('a restart between persisting and posting re-sends the same signed order, once', async () => {
    const { venue, make, file } = setup();
    const first = make();
    const r = request('s2');
    const { id, signed } = await venue.sign(r);
    first.manager.create(r, id, signed, Date.now());
    first.manager.commit(Date.now()); // ... and the process dies before the post
    expect(venue.orders.size).toBe(0);

    const second = make(); // restart: load orders.json, reconcile, then take the redelivered job
    await second.engine.poll();
    await second.engine.place(r);
    expect(venue.orders.size).toBe(1);
    expect([...venue.orders.keys()]).toEqual([id]);
    expect(second.manager.get('s2')!.state).toBe('filled');
    expect(JSON.parse(readFileSync(file, 'utf8')).orders).toHaveLength(1);
  });

  it('a restart after the venue accepted but before the answer was recorded finds the order', async () => {
    const { venue, make } = setup();
    const first = make();
    const r = request('s3');
    const { id, signed } = await venue.sign(r);
    first.manager.create(r, id, signed, Date.now());
    first.manager.commit(Date.now());
    await venue.post(signed, 'GTC'); // accepted at the venue; we die before hearing back

    const second = make();
    await second.engine.poll();
    await second.engine.place(r);
    expect(venue.orders.size).toBe(1);
    expect(venue.posts).toBe(1);
    expect(second.manager.get('s3')!.filledSize).toBe(10);
  });

  it('a post that never arrived is not re-sent while halted, and is not given up either', async () => {
    let halted = false;
    const { venue, make } = setup({ halted: () => halted });
    const { engine, manager } = make();
    venue.lostPosts = 1;
    expect(await engine.place(request('s4'))).toBe('submitted');
    halted = true;
    await engine.poll();
    expect(venue.orders.size).toBe(0);
    expect(manager.get('s4')!.state).toBe('submitted');
    halted = false;
    await engine.poll();
    expect(venue.orders.size).toBe(1);
    expect(manager.get('s4')!.state).toBe('filled');
  });

  it('gives up an order the venue never saw only once its market is over', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.lostPosts = 1;
    const r = request('s5', { windowEndMs: Date.now() + 60_000 });
    await engine.place(r);
    await engine.poll(r.windowEndMs - 1_000); // too late to send (a cancel is asked), too early to give up
    expect(manager.get('s5')!.state).toBe('cancel_requested');
    await engine.poll(r.windowEndMs + 200_000);
    expect(manager.get('s5')!.state).toBe('expired');
    expect(venue.orders.size).toBe(0);
  });

  it('backs off on 429 and re-sends the same order', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.rateLimited = 2;
    expect(await engine.place(request('s6'))).toBe('filled');
    expect(venue.posts).toBe(3);
    expect(venue.orders.size).toBe(1);
    expect(manager.get('s6')!.fills).toHaveLength(1);
  });
});

describe('fills, fees and settlement', () => {
  it('charges takers the floored fee and makers nothing', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    await engine.place(request('taker'));
    expect(manager.get('taker')!.fills[0]!.fee).toBe(takerFee(10, 0.4, { rate: 0.07, exponent: 1 }));

    venue.fillOnPost = false;
    expect(await engine.place(request('maker'))).toBe('open');
    venue.fill(manager.get('maker')!.venueOrderId!, 4, 'maker');
    await engine.poll();
    const o = manager.get('maker')!;
    expect(o.state).toBe('partially_filled');
    expect(o.fills[0]!.fee).toBe(0);
  });

  it('undoes a fill whose trade FAILED on chain, and positions count only what is left', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.fillOnPost = false;
    await engine.place(request('f1'));
    const vid = manager.get('f1')!.venueOrderId!;
    const t1 = venue.fill(vid, 4, 'maker');
    venue.fill(vid, 3, 'maker');
    await engine.poll();
    expect(manager.positions()[0]!.pending).toBe(7);
    venue.setTradeStatus(t1, 'FAILED');
    await engine.poll();
    expect(manager.get('f1')!.filledSize).toBe(3);
    expect(manager.positions()[0]!.pending).toBe(3);
    const fills = manager.outbox().filter((e) => e.type === 'fill');
    expect(fills.map((e) => e.id)).toContain('fill-t-1-f1-FAILED');
  });

  it('settles a resolved market once, with PnL after fees, only after every trade is final', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    const end = Date.now() + 60_000;
    await engine.place(request('w1', { windowEndMs: end }));
    venue.winners.set(CID, 'UP');
    await engine.poll(end + 1_000);
    expect(manager.outbox().some((e) => e.type === 'settlement')).toBe(false); // trade still MATCHED
    for (const t of venue.trades) t.status = 'CONFIRMED';
    await engine.poll(end + 2_000);
    await engine.poll(end + 3_000);
    const s = manager.outbox().filter((e) => e.type === 'settlement');
    expect(s).toHaveLength(1);
    const fee = takerFee(10, 0.4, { rate: 0.07, exponent: 1 });
    expect(s[0]).toMatchObject({ winner: 'UP', upShares: 10, payoutUsd: 10 });
    if (s[0]!.type === 'settlement') expect(s[0]!.realisedPnlUsd).toBeCloseTo(10 - 4 - fee, 6);
  });
});

describe('window end and halt', () => {
  it('cancels a resting order just before its window ends, and takes no new one then', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.fillOnPost = false;
    const end = Date.now() + 60_000;
    expect(await engine.place(request('e1', { windowEndMs: end }))).toBe('open');
    await engine.poll(end - 10_000);
    expect(manager.get('e1')!.state).toBe('open');
    await engine.poll(end - 4_000);
    expect(manager.get('e1')!.state).toBe('cancel_requested');
    await engine.poll(end - 3_000);
    expect(manager.get('e1')!.state).toBe('canceled');
    expect(await engine.place(request('e2', { windowEndMs: end }), end - 4_000)).toMatch(/too close/);
    expect(venue.orders.size).toBe(1);
  });

  it('a halt cancels every resting order at the venue', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.fillOnPost = false;
    await engine.place(request('h2'));
    await engine.place(request('h3'));
    await engine.cancelAll('halt: test');
    await engine.poll();
    expect(manager.all().map((o) => o.state)).toEqual(['canceled', 'canceled']);
    expect([...venue.orders.values()].map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
  });
});

describe('one injected clock', () => {
  it('every job reads "now" from the clock it was given: the window end, the records and the settlement', async () => {
    const end = Date.now() + 600_000;
    const clock = new ManualClock(end - 60_000);
    const venue = new FakeClob();
    venue.winners.set(CID, 'UP');
    const manager = new OrderManager(null, logger);
    const engine = new ExecutionEngine(manager, venue, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000, clock }, logger, async () => false);
    expect(await engine.place(request('c1', { windowEndMs: end }))).toBe('filled');
    expect(manager.get('c1')!.history.at(-1)!.atMs).toBe(end - 60_000);
    clock.set(end - 4_000); // inside the last 5 s by the injected clock, whatever the wall clock says
    expect(await engine.place(request('c2', { windowEndMs: end }))).toMatch(/too close to the window end/);
    await engine.poll();
    expect(manager.isSettled(CID)).toBe(false); // not yet ended by the clock
    for (const t of venue.trades) venue.setTradeStatus(t.id, 'CONFIRMED');
    clock.set(end + 2_000);
    await engine.poll();
    expect(manager.isSettled(CID)).toBe(true);
  });
});

describe('the grid', () => {
  it('records a request off the tick grid as rejected, signs and sends nothing, and says why', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    expect(await engine.place(request('g1', { price: 0.555 }))).toBe('rejected');
    expect(venue.signedRequests).toHaveLength(0);
    expect(venue.posts).toBe(0);
    const o = manager.get('g1')!;
    expect(o.history.map((h) => h.to)).toEqual(['new', 'rejected']);
    expect(o.history[1]!.note).toMatch(/tick grid/);
    expect(manager.outbox().some((e) => e.type === 'error' && e.source === 'rejected')).toBe(true);
    expect(await engine.place(request('g2', { size: 3 }))).toBe('rejected'); // resting below the minimum
  });

  it('snaps float drift onto the grid before signing', async () => {
    const { venue, make } = setup();
    const { engine } = make();
    await engine.place(request('g3', { price: 0.1 + 0.2, size: 10.000000000001 }));
    expect(venue.signedRequests[0]!.price).toBe(0.3);
    expect(venue.signedRequests[0]!.size).toBe(10);
  });
});

describe('halt, heartbeat and persistence', () => {
  it('beats before posting a resting order, not before a FAK', async () => {
    const { venue, make } = setup();
    const { engine } = make();
    await engine.place(request('b1', { orderType: 'FAK' }));
    expect(venue.calls).toEqual(['post']);
    await engine.place(request('b2', { orderType: 'GTC' }));
    expect(venue.calls).toEqual(['post', 'hb', 'post']);
  });

  it('a failed heartbeat re-reads the orders the venue cancelled and reports it', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.fillOnPost = false;
    await engine.place(request('h1'));
    venue.heartbeatFails = true;
    await engine.heartbeat();
    expect(manager.get('h1')!.state).toBe('canceled');
    expect(manager.outbox().some((e) => e.type === 'error' && e.source === 'heartbeat')).toBe(true);
  });

  it('stops placing when orders.json cannot be written: nothing reaches the venue unrecorded', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-nowrite-'));
    writeFileSync(path.join(dir, 'blocker'), 'a file where a directory should be');
    const venue = new FakeClob();
    const manager = new OrderManager(path.join(dir, 'blocker', 'orders.json'), logger);
    const engine = new ExecutionEngine(manager, venue, { cancelBeforeEndMs: 5_000, settleAfterMs: 0 }, logger, async () => false);
    await expect(engine.place(request('p1'))).rejects.toMatchObject({ code: 'PERSISTENCE_FAILED' });
    expect(venue.posts).toBe(0);
  });
});

describe('the poll reads each market’s trades once', () => {
  it('a fill and a venue cancel landing after that read are still recorded, not lost behind a final state', async () => {
    const { venue, make } = setup();
    const { engine, manager } = make();
    venue.fillOnPost = false;
    await engine.place(request('r1'));
    await engine.place(request('r2'));
    const hashB = manager.get('r2')!.venueOrderId!;
    // Right after the pass has read the market's trades (for r1), r2 fills 4 and the venue cancels
    // the rest (a lapsed heartbeat, say): r2's status, read later in the pass, is newer than the trades.
    const read = venue.tradesFor.bind(venue);
    let reads = 0;
    venue.tradesFor = async (cid) => {
      const out = await read(cid);
      if (++reads === 1) {
        venue.fill(hashB, 4, 'maker');
        venue.orders.get(hashB)!.status = 'CANCELED';
      }
      return out;
    };
    await engine.poll();
    await engine.poll(); // a later pass must not be the first to hear of it (a final order is not re-read)
    const b = manager.get('r2')!;
    expect(b.state).toBe('canceled');
    expect(b.filledSize).toBe(4);
    expect(b.fills.map((f) => f.size)).toEqual([4]);
    expect(manager.get('r1')!.state).toBe('open');
  });
});
