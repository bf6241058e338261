/** The ledger store against a real Redis: reservations never pass a cap together, updates never lost. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type ExecutionEvent } from '@polybot/shared';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { applyEvent, exposureOf } from './ledger.js';
import { createLedgerStore, withReservations, type LedgerStore } from './ledgerStore.js';

const CID = `0x${'c'.repeat(64)}` as const;
const CID2 = `0x${'d'.repeat(64)}` as const;
const caps = { maxMarketExposureUsd: 50, maxAssetExposureUsd: 80, maxTotalExposureUsd: 100 };
const conns: Redis[] = [];
const stores: LedgerStore[] = [];

function replica(prefix: string): LedgerStore {
  const redis = createRedis(testRedisUrl());
  conns.push(redis);
  const k = redisKeys(prefix);
  const s = createLedgerStore({ redis, ledgerKey: k.riskLedger, reservationsKey: k.riskReservations, initialBankrollUsd: 1_000 });
  stores.push(s);
  return s;
}

let admin: Redis;
beforeAll(() => {
  admin = createRedis(testRedisUrl());
});
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const c of conns) await c.quit();
  await admin.quit();
});

const fill = (i: number, conditionId = CID): ExecutionEvent => ({
  id: `fill-${i}`,
  atMs: 1,
  type: 'fill',
  orderId: `o-${i}`,
  signalId: `o-${i}`,
  conditionId,
  asset: 'BTC',
  outcome: 'UP',
  tradeId: `t-${i}`,
  status: 'MATCHED',
  size: 2,
  price: 0.5,
  fee: 0,
});

describe('exposure reservations', () => {
  it('a burst of concurrent reservations from four replicas never passes the market cap together', async () => {
    const prefix = testPrefix('reserve');
    const replicas = [replica(prefix), replica(prefix), replica(prefix), replica(prefix)];
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        replicas[i % 4]!.reserve([{ id: `o-${i}`, conditionId: CID, asset: 'BTC', usd: 10, expiresAtMs: now + 60_000 }], caps, now),
      ),
    );
    expect(results.filter((r) => r === 'OK')).toHaveLength(5); // 5 × $10 = the $50 market cap
    expect(results.filter((r) => r === 'market_exposure')).toHaveLength(35);
    const held = await replicas[0]!.reservations(now);
    expect(held.reduce((s, r) => s + r.usd, 0)).toBe(50);
  });

  it('counts the ledger exposure, the asset and total caps, reserves both legs of a pair or neither, and releases', async () => {
    const prefix = testPrefix('reserve2');
    const s = replica(prefix);
    const now = Date.now();
    for (let i = 0; i < 10; i++) await s.update((l) => applyEvent(l, fill(i))); // $10 filled on CID
    const m = (n: string) => `0x${n.repeat(64)}`;
    const r = (id: string, usd: number, conditionId: string = CID) => ({
      id,
      conditionId,
      asset: conditionId === CID ? ('BTC' as const) : ('ETH' as const),
      usd,
      expiresAtMs: now + 60_000,
    });
    expect(await s.reserve([r('a', 40.01)], caps, now)).toBe('market_exposure'); // 10 filled + 40.01 > 50
    expect(await s.reserve([r('a', 40)], caps, now)).toBe('OK'); // the market cap exactly
    expect(await s.reserve([r('a', 1)], caps, now)).toBe('duplicate');
    expect(await s.reserve([r('b', 30, m('1'))], caps, now)).toBe('OK'); // total 80
    expect(await s.reserve([r('c', 30, m('2'))], caps, now)).toBe('total_exposure'); // total 110 > 100
    expect(await s.reserve([r('c', 20, m('2'))], caps, now)).toBe('OK'); // total 100; ETH 50
    // Both legs of a pair, or neither: the second leg passes the market cap, so the first is not kept.
    expect(await s.release('a')).toBe(true); // total 60
    expect(await s.reserve([r('e', 10, m('3')), r('f', 21, m('1'))], caps, now)).toBe('market_exposure');
    expect(await s.reserve([r('d', 31, m('4'))], caps, now)).toBe('asset_exposure'); // ETH 81 > 80
    expect((await s.reservations(now)).map((x) => x.usd).sort()).toEqual([20, 30]);
    await s.release('b');
    await s.release('c');
    expect(await s.reserve([r('a2', 40)], caps, now)).toBe('OK');
    // The sizer sees reservations as exposure already paid for: same bankroll, more exposure.
    const view = withReservations(await s.read(), await s.reservations(now));
    expect(exposureOf(view, CID, 'BTC').market).toBeCloseTo(50, 9);
    expect(view.cashUsd + Object.values(view.exposure).reduce((t, e) => t + e.costUsd, 0)).toBeCloseTo(1_000, 9);
    // Released when the order is final, when its market settles, or when it expires.
    expect(await s.release('a2')).toBe(true);
    expect(await s.reserve([r('g', 5, CID2), r('h', 5, CID2)], caps, now)).toBe('OK');
    expect(await s.releaseMarket(CID2)).toBe(2);
    expect(await s.reserve([{ ...r('i', 30), expiresAtMs: now + 10 }], caps, now)).toBe('OK');
    expect(await s.reserve([r('j', 30)], caps, now + 11)).toBe('OK'); // i expired: 10 + 30 fits again
    expect((await s.reservations(now + 11)).map((x) => x.usd)).toEqual([30]);
  });

  it('updates from several replicas, with reads on the same connections in between, lose nothing', async () => {
    const prefix = testPrefix('ledger-watch');
    const a = replica(prefix);
    const b = replica(prefix);
    const jobs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      jobs.push((i % 2 ? a : b).update((l) => applyEvent(l, fill(i))));
      jobs.push(a.read(), b.read(), a.reservations(Date.now()));
    }
    await Promise.all(jobs);
    const l = await a.read();
    expect(Object.keys(l.trades)).toHaveLength(60);
    expect(l.exposure[CID]!.costUsd).toBeCloseTo(60, 9);
    expect(l.cashUsd).toBeCloseTo(940, 9);
    expect(await admin.exists(redisKeys(prefix).riskLedger)).toBe(1);
  });
});
