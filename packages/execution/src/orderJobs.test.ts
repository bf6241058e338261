/**
 * The outbox bound (EXEC_MAX_OUTBOX, 500 by default): while more execution events than that wait
 * to reach their queue, no new order is placed; a known order is still reconciled; once the
 * backlog drains, orders go out again. Run through the worker's own job handler, on the SQLite store.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { ManualClock } from './clock.js';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { runOrderJob } from './orderJobs.js';
import { openOrderStore } from './sqliteStore.js';
import { FakeClob } from './testing/fakeClob.js';

const logger = pino({ level: 'silent' });
const T0 = 1_900_000_000_000;
const MAX = 500; // the worker's default EXEC_MAX_OUTBOX
const request = (id: string): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: T0,
  conditionId: `0x${'a'.repeat(64)}`,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '11',
  side: 'BUY',
  orderType: 'FAK',
  postOnly: false,
  price: 0.5,
  size: 10,
  windowEndMs: T0 + 3_600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 5, cappedBy: null },
});

describe('the outbox bound', () => {
  it('refuses new orders beyond 500 waiting events, still reconciles known ones, and resumes once the backlog drains', async () => {
    const store = openOrderStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'polybot-outbox-')), 'orders.db'));
    const manager = new OrderManager(store, logger);
    const venue = new FakeClob();
    const clock = new ManualClock(T0);
    const engine = new ExecutionEngine(manager, venue, { cancelBeforeEndMs: 5_000, settleAfterMs: 0, clock }, logger, async () => false);
    const deps = { manager, engine, maxOutbox: MAX, logger };

    // Placed normally, and its events left unshipped (the queue is not taking them).
    expect(await runOrderJob(request('before'), deps)).toBe('filled');
    // Events pile up to exactly the bound: still allowed.
    let n = 0;
    while (manager.outbox().length < MAX) manager.emitError('venue', `undeliverable ${n++}`, T0 + n);
    manager.commit(T0);
    expect(manager.outbox().length).toBe(MAX);
    expect(await runOrderJob(request('at-bound'), deps)).toBe('filled');
    expect(manager.outbox().length).toBeGreaterThan(MAX);
    const posts = venue.posts;

    // Beyond it: refused, not signed, not posted, not recorded — however many arrive.
    for (let i = 0; i < 20; i++) expect(await runOrderJob(request(`over-${i}`), deps)).toMatch(/^refused: outbox backed up \(\d+ events waiting\)$/);
    expect(venue.posts).toBe(posts);
    expect(venue.signedRequests.map((r) => r.id)).toEqual(['before', 'at-bound']);
    expect(manager.get('over-0')).toBeUndefined();
    // A redelivered job of a known order is reconciled, never refused or placed again.
    expect(await runOrderJob(request('before'), deps)).toMatch(/^known order/);
    expect(venue.posts).toBe(posts);

    // The queue takes events again: the outbox drains below the bound and orders go out.
    manager.ackOutbox(
      manager.outbox().map((e) => e.id),
      T0 + 1,
    );
    expect(manager.outbox().length).toBe(0);
    expect(await runOrderJob(request('over-0'), deps)).toBe('filled'); // the refused job, redelivered
    expect(venue.posts).toBe(posts + 1);
    store.close();
  });
});
