/** The SQLite order store: one transaction per commit, history queryable, migration, corrupt and unwritable stores, the outbox quarantine. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ExecutionEvent, OrderRequest } from '@polybot/shared';
import { OrderManager } from './orderManager.js';
import { openOrderHistory, openOrderStore, readOrders } from './sqliteStore.js';

const logger = pino({ level: 'silent' });
const A = `0x${'d'.repeat(64)}` as const;
const B = `0x${'e'.repeat(64)}` as const;
const req = (id: string, over: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: 1,
  conditionId: A,
  asset: 'SOL',
  outcome: 'DOWN',
  tokenId: '9',
  side: 'BUY',
  orderType: 'GTC',
  postOnly: false,
  price: 0.33,
  size: 12,
  windowEndMs: 2_000_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 4, cappedBy: null },
  ...over,
});
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'polybot-sqlite-'));
const settlement = (cid: `0x${string}`, atMs: number, pnl: number): Extract<ExecutionEvent, { type: 'settlement' }> => ({
  id: `set-${cid}`,
  atMs,
  type: 'settlement',
  conditionId: cid,
  asset: 'SOL',
  winner: pnl > 0 ? 'DOWN' : 'UP',
  upShares: 0,
  downShares: 12,
  costUsd: 3.96,
  feesUsd: 0.1,
  payoutUsd: pnl > 0 ? 12 : 0,
  realisedPnlUsd: pnl,
});

describe('SQLite order store', () => {
  it('writes each commit as one transaction in WAL mode, and a restart reads back the same records', () => {
    const file = path.join(tmp(), 'orders.db');
    const m = new OrderManager(openOrderStore(file), logger);
    m.create(req('a'), '0xaa', { s: 1 }, 10);
    m.commit(10);
    m.transition('a', 'accept', 11);
    m.applyFill('a', { tradeId: 't1', size: 5, price: 0.33, fee: 0, status: 'MATCHED', atMs: 12 }, 12);
    m.commit(12);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const again = new OrderManager(openOrderStore(file), logger);
    const o = again.get('a')!;
    expect(o.filledSize).toBe(5);
    expect(o.history.map((h) => [h.from, h.to, h.atMs])).toEqual([
      [null, 'new', 10],
      ['new', 'submitted', 10],
      ['submitted', 'open', 11],
      ['open', 'partially_filled', 12],
    ]);
    expect(again.signedOrder('a')).toEqual({ s: 1 }); // the same signed order can be re-sent after a restart
    expect(again.outbox().map((e) => e.id)).toEqual(m.outbox().map((e) => e.id));
  });

  it('keeps settled history queryable by time and market, and lets it leave memory after its window', () => {
    const file = path.join(tmp(), 'orders.db');
    const store = openOrderStore(file, { retainMs: 60_000 });
    const m = new OrderManager(store, logger);
    for (const [id, cid, at] of [
      ['o1', A, 100],
      ['o2', B, 200],
      ['o3', A, 300],
    ] as const) {
      m.create(req(id, { conditionId: cid, orderType: 'FAK' }), `0x${id}`, { s: id }, at);
      m.applyFill(id, { tradeId: `t-${id}`, size: 12, price: 0.33, fee: 0.1, status: 'CONFIRMED', atMs: at + 1 }, at + 1);
    }
    m.ackOutbox(
      m.outbox().map((e) => e.id),
      400,
    );
    const h = openOrderHistory(file);
    expect(h.orders().map((o) => o.request.id)).toEqual(['o1', 'o2', 'o3']);
    expect(h.fills({ sinceMs: 150 }).map((f) => f.tradeId)).toEqual(['t-o2', 't-o3']);
    expect(h.fills({ conditionId: A }).map((f) => [f.orderId, f.size, f.price, f.status])).toEqual([
      ['o1', 12, 0.33, 'CONFIRMED'],
      ['o3', 12, 0.33, 'CONFIRMED'],
    ]);
    expect(h.orders({ conditionId: B }).map((o) => o.state)).toEqual(['filled']);
    expect(h.outboxSize()).toBe(0);
    // A day (here a minute) after their window, final orders leave memory; the store still has them.
    m.commit(2_000_000 + 600_001 + 60_000);
    expect(m.all()).toHaveLength(0);
    expect(m.get('o2')!.state).toBe('filled'); // a redelivered job still finds it
    expect(new OrderManager(openOrderStore(file), logger).all()).toHaveLength(0); // and a restart does not load it
    expect(h.orders().map((o) => o.request.id)).toEqual(['o1', 'o2', 'o3']);
    h.close();
  });

  it('a long run leaves only the live markets in memory: orders, settled marks and shipped events leave; a settled mark is still known from disk', () => {
    const dir = tmp();
    const file = path.join(dir, 'orders.db');
    const store = openOrderStore(file, { retainMs: 60_000 });
    const m = new OrderManager(store, logger);
    const cid = (w: number) => `0x${w.toString(16).padStart(64, '0')}` as `0x${string}`;
    const windows = 30;
    let now: number;
    for (let w = 1; w <= windows; w++) {
      const endMs = 2_000_000 + w * 900_000;
      now = endMs - 100_000;
      m.create(req(`o${w}`, { conditionId: cid(w), windowEndMs: endMs }), `0x${w}`, { s: w }, now);
      m.commit(now);
      m.applyFill(`o${w}`, { tradeId: `t${w}`, size: 12, price: 0.33, fee: 0, status: 'CONFIRMED', atMs: now }, now);
      m.commit(now);
      now = endMs + 1_000;
      m.markSettled(cid(w), settlement(cid(w), now, 1));
      m.commit(now);
      m.ackOutbox(
        m.outbox().map((e) => e.id),
        now,
      );
    }
    // Frozen orders leave 10 min after their window (with retainMs 1 min): only the last window's is held.
    expect(m.all().map((o) => o.request.id)).toEqual([`o${windows}`]);
    expect(m.snapshot().settled).toEqual([cid(windows)]);
    expect(store.held()).toEqual({ orders: 1, pairs: 0, settled: 1, outbox: 0 });
    // Settled long ago and out of memory: still settled (the store's mark), never settled twice.
    expect(m.isSettled(cid(1))).toBe(true);
    expect(m.isSettled(cid(windows))).toBe(true);
    expect(m.isSettled(B)).toBe(false);
    // An order that left memory is still found (from the store's history), as it was.
    expect(m.get('o1')?.state).toBe('filled');
    expect(m.get(`o${windows}`)).toBe(m.all()[0]);
    expect(readOrders(file)).toHaveLength(windows);
    store.close();
    // A restart loads only the marks of markets with an order in play, and still knows the others.
    const store2 = openOrderStore(file, { retainMs: 60_000 });
    const m2 = new OrderManager(store2, logger);
    expect(m2.snapshot().settled).toEqual([cid(windows)]);
    expect(store2.held()).toEqual({ orders: 1, pairs: 0, settled: 1, outbox: 0 });
    expect(m2.isSettled(cid(2))).toBe(true);
    expect(m2.isSettled(B)).toBe(false);
    store2.close();
  });

  it('a commit serialises only the orders changed since the last one, and a restart reads back every change (random sequence)', () => {
    const file = path.join(tmp(), 'orders.db');
    const store = openOrderStore(file);
    const save = store.save.bind(store);
    let written = -1;
    store.save = (...args: Parameters<typeof save>) => {
      const r = save(...args);
      written = r.ordersWritten;
      return r;
    };
    const m = new OrderManager(store, logger);
    let seed = 7;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) % n;
    let t = 100;
    for (let i = 0; i < 60; i++) m.create(req(`r${i}`, { conditionId: i % 2 ? A : B }), `0x${i}`, { s: i }, t);
    m.commit(t);
    expect(written).toBe(60);
    m.commit(++t);
    expect(written).toBe(0); // nothing changed: nothing serialised, nothing written
    m.transition('r5', 'accept', ++t);
    m.commit(t);
    expect(written).toBe(1);
    for (let step = 0; step < 400; step++) {
      const id = `r${rnd(60)}`;
      const o = m.get(id)!;
      t++;
      switch (rnd(5)) {
        case 0:
          if (o.state === 'submitted') m.transition(id, 'accept', t);
          break;
        case 1:
        case 2:
          if (!['canceled', 'rejected', 'expired', 'filled'].includes(o.state))
            m.applyFill(id, { tradeId: `t${rnd(4)}-${id}`, size: 1 + rnd(6), price: 0.33, fee: 0.01, status: 'MATCHED', atMs: t }, t);
          break;
        case 3: {
          const f = o.fills[rnd(Math.max(1, o.fills.length))];
          if (f) m.applyFill(id, { ...f, status: rnd(4) === 0 ? 'FAILED' : 'CONFIRMED' }, t);
          break;
        }
        case 4:
          if (o.state === 'open' || o.state === 'partially_filled') m.transition(id, 'cancel', t, 'by hand');
          break;
      }
      if (rnd(3) === 0) m.commit(t);
    }
    m.commit(t + 1);
    const inMemory = JSON.stringify(m.snapshot().orders);
    store.close();
    const again = new OrderManager(openOrderStore(file), logger);
    expect(JSON.stringify(again.snapshot().orders)).toBe(inMemory);
    expect(readOrders(file).map((o) => JSON.stringify(o))).toEqual(m.snapshot().orders.map((o) => JSON.stringify(o)));
  });

  it('migrates an orders.json on first start, in one transaction, and renames it', () => {
    const dir = tmp();
    const legacy = new OrderManager(path.join(dir, 'orders.json'), logger);
    legacy.create(req('old-1'), '0x01', { s: 1 }, 5);
    legacy.createRejected(req('old-2'), 'off grid', 6);
    legacy.markSettled(B, settlement(B, 7, -4.06));
    legacy.commit(7);
    const m = new OrderManager(openOrderStore(path.join(dir, 'orders.db')), logger);
    expect(m.all().map((o) => [o.request.id, o.state])).toEqual([
      ['old-1', 'submitted'],
      ['old-2', 'rejected'],
    ]);
    expect(m.signedOrder('old-1')).toEqual({ s: 1 });
    expect(m.isSettled(B)).toBe(true);
    expect(m.outbox().length).toBe(legacy.outbox().length);
    expect(existsSync(path.join(dir, 'orders.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'orders.json.migrated'))).toBe(true);
    expect(readOrders(path.join(dir, 'orders.db'))).toHaveLength(2);
    const h = openOrderHistory(path.join(dir, 'orders.db'));
    expect(h.settlements()).toEqual([settlement(B, 7, -4.06)]); // its settlement history came along
    h.close();
  });

  it('keeps each settlement event in the same transaction as its settled mark, as history outside memory', () => {
    const file = path.join(tmp(), 'orders.db');
    const m = new OrderManager(openOrderStore(file, { busyTimeoutMs: 50 }), logger);
    m.create(req('s1', { orderType: 'FAK' }), '0x1', {}, 1);
    m.applyFill('s1', { tradeId: 't1', size: 12, price: 0.33, fee: 0.1, status: 'CONFIRMED', atMs: 2 }, 2);
    m.commit(2);
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE'); // the write fails: neither the mark nor the event may be on disk
    m.markSettled(A, settlement(A, 2_003_000, 7.94));
    expect(() => m.commit(2_003_000)).toThrow(/could not write .*orders\.db: database is locked/);
    other.exec('ROLLBACK');
    other.close();
    let h = openOrderHistory(file);
    expect(h.settlements()).toEqual([]);
    h.close();
    expect(new OrderManager(openOrderStore(file), logger).isSettled(A)).toBe(false);
    m.commit(2_003_001); // the same commit, once the disk takes it: mark and event together
    expect(m.snapshot().settlements).toEqual([]); // not kept in memory
    m.markSettled(B, settlement(B, 2_004_000, -4.06));
    m.commit(2_004_000);
    m.ackOutbox(
      m.outbox().map((e) => e.id),
      2_005_000,
    ); // shipped: gone from the outbox, still in history
    h = openOrderHistory(file);
    expect(h.outboxSize()).toBe(0);
    expect(h.settlements().map((e) => [e.conditionId, e.realisedPnlUsd])).toEqual([
      [A, 7.94],
      [B, -4.06],
    ]);
    expect(h.settlements({ sinceMs: 2_003_500 }).map((e) => e.conditionId)).toEqual([B]);
    expect(h.settlements({ conditionId: A }).map((e) => e.atMs)).toEqual([2_003_000]);
    h.close();
    const again = new OrderManager(openOrderStore(file), logger);
    expect(again.isSettled(A) && again.isSettled(B)).toBe(true);
    expect(again.snapshot().settlements).toEqual([]);
    const db = new Database(file);
    db.prepare(`UPDATE settlements SET json = '{"type":"settlement"}' WHERE condition_id = ?`).run(A);
    db.close();
    h = openOrderHistory(file);
    expect(() => h.settlements()).toThrow(/settlement set-0xd+ breaks the schema/);
    h.close();
  });

  it('records merge events as history once each, in one transaction, and reads them back parsed', () => {
    const file = path.join(tmp(), 'orders.db');
    const store = openOrderStore(file);
    new OrderManager(store, logger).commit(1);
    const merge = (id: string, atMs: number, amountUsd: number): ExecutionEvent => ({
      id,
      atMs,
      type: 'merge',
      conditionId: A,
      asset: 'SOL',
      shares: amountUsd,
      amountUsd,
      costUsd: amountUsd * 0.93,
      feesUsd: 0.05,
      transactionId: `tx-${id}`,
      transactionHash: `0x${id}`,
    });
    const events = [merge('merge-a-1', 500, 5), { id: 'red-1', atMs: 501, type: 'redemption' } as unknown as ExecutionEvent, merge('merge-a-2', 900, 10)];
    expect(store.recordMerges(events)).toBe(2); // the redemption (and anything not a valid merge) is left out
    expect(store.recordMerges(events)).toBe(2); // shipped again after a crash: still one row each
    const h = openOrderHistory(file);
    expect(h.merges().map((e) => [e.id, e.atMs, e.amountUsd])).toEqual([
      ['merge-a-1', 500, 5],
      ['merge-a-2', 900, 10],
    ]);
    expect(h.merges({ sinceMs: 600 }).map((e) => e.id)).toEqual(['merge-a-2']);
    h.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT realised_pnl_usd AS pnl FROM merges ORDER BY at_ms').all()).toEqual([{ pnl: 0.3 }, { pnl: 0.65 }]);
    db.close();
    store.close();
  });

  it('a store from before the settlements table gets the settlements still in its outbox and in its migrated orders.json', () => {
    const dir = tmp();
    const file = path.join(dir, 'orders.db');
    // An orders.json migrated by the store of before: its settlements list was not carried over.
    const legacy = new OrderManager(path.join(dir, 'orders.json'), logger);
    legacy.markSettled(A, settlement(A, 100, 7.94));
    legacy.ackOutbox([`set-${A}`], 101);
    legacy.commit(101);
    const m = new OrderManager(openOrderStore(file), logger);
    m.markSettled(B, settlement(B, 200, -4.06)); // settled and not yet shipped
    m.commit(200);
    const old = new Database(file);
    old.exec(`DROP TABLE settlements; DELETE FROM meta WHERE key = 'settlementsBackfilled'; UPDATE meta SET value = '1' WHERE key = 'schema'`);
    old.close();
    let h = openOrderHistory(file); // read before execution reopens it: the outbox's are there already
    expect(h.settlements().map((e) => e.conditionId)).toEqual([B]);
    h.close();
    new OrderManager(openOrderStore(file), logger).commit(300);
    h = openOrderHistory(file);
    expect(h.settlements().map((e) => [e.conditionId, e.realisedPnlUsd])).toEqual([
      [A, 7.94],
      [B, -4.06],
    ]);
    h.close();
  });

  it('a corrupt store, or a row that breaks the schema, stops with a clear message and is never written', () => {
    const dir = tmp();
    const file = path.join(dir, 'orders.db');
    writeFileSync(file, 'this is not a database at all, just text that happens to be here');
    const before = readFileSync(file);
    expect(() => openOrderStore(file)).toThrow(/orders\.db cannot be read as the order store .*left untouched/);
    expect(readFileSync(file).equals(before)).toBe(true);
    const good = path.join(tmp(), 'orders.db');
    const m = new OrderManager(openOrderStore(good), logger);
    m.create(req('x'), '0x1', {}, 1);
    m.commit(1);
    const db = new Database(good);
    db.prepare(`UPDATE orders SET json = '{"request":{}}' WHERE id = 'x'`).run();
    db.close();
    expect(() => new OrderManager(openOrderStore(good), logger)).toThrow(/order x breaks the schema/);
  });

  it('an unwritable store throws PERSISTENCE_FAILED, writes nothing of that commit, and keeps what was committed before', () => {
    const dir = tmp();
    const file = path.join(dir, 'orders.db');
    const m = new OrderManager(openOrderStore(file, { busyTimeoutMs: 50 }), logger);
    m.create(req('kept'), '0x1', {}, 1);
    m.commit(1);
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE'); // stands for a disk that refuses the write
    m.create(req('lost'), '0x2', {}, 2);
    m.transition('kept', 'accept', 2);
    expect(() => m.commit(2)).toThrow(/could not write .*orders\.db: database is locked/);
    other.exec('ROLLBACK');
    other.close();
    const h = openOrderHistory(file);
    expect(h.orders().map((o) => [o.request.id, o.state])).toEqual([['kept', 'submitted']]); // the whole commit or nothing
    h.close();
    m.commit(3); // once the disk takes writes again, the same commit goes through whole
    expect(readOrders(file).map((o) => [o.request.id, o.state])).toEqual([
      ['kept', 'open'],
      ['lost', 'submitted'],
    ]);
  });

  it('an outbox event that fails its schema is set aside in quarantine and alerted; the others still ship', () => {
    const file = path.join(tmp(), 'orders.db');
    const m = new OrderManager(openOrderStore(file), logger);
    m.create(req('ok'), '0x1', {}, 1);
    (m.outbox() as ExecutionEvent[]).push({ id: 'bad-1', atMs: 1, type: 'fill' } as unknown as ExecutionEvent);
    m.commit(1);
    expect(m.setAsideInvalidEvents(2)).toBe(1);
    expect(m.outbox().map((e) => e.id)).not.toContain('bad-1');
    expect(m.outbox().some((e) => e.type === 'order' && e.orderId === 'ok')).toBe(true);
    const alert = m.outbox().find((e) => e.type === 'error' && e.source === 'outbox');
    expect(alert && alert.type === 'error' && alert.message).toMatch(/event bad-1 failed its schema and was set aside/);
    const h = openOrderHistory(file);
    expect(h.quarantined().map((q) => q.id)).toEqual(['bad-1']);
    h.close();
    expect(new OrderManager(openOrderStore(file), logger).outbox().map((e) => e.id)).not.toContain('bad-1'); // for good
  });
});
