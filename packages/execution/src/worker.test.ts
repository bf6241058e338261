/**
 * The execution worker as a real process: corrupt records stop it untouched, live mode refuses to
 * start unconfirmed and never prints its key, and SIGKILLs at random moments lose or duplicate nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { loadOrdersFile } from './orderStore.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/dist/worker.js');
const baseEnv = () => ({ PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info', POLYBOT_METRICS_PORT: '0' });

function runSync(env: Record<string, string>) {
  return spawnSync(process.execPath, [WORKER, 'execution'], { env, encoding: 'utf8', timeout: 30_000 });
}

describe('start-up refusals', () => {
  it('stops on a corrupt orders.json with a clear message and leaves it untouched', () => {
    for (const body of ['{"version": 1, "orders": [', '{"version": 1, "orders": "nope"}']) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-corrupt-'));
      const file = path.join(dir, 'orders.json');
      writeFileSync(file, body);
      const before = statSync(file).mtimeMs;
      const r = runSync({ ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('corrupt'), POLYBOT_CLOB_URL: 'http://127.0.0.1:1' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/orders\.json/);
      expect(r.stderr).toMatch(/left untouched/);
      expect(readFileSync(file, 'utf8')).toBe(body);
      expect(statSync(file).mtimeMs).toBe(before);
    }
  });

  it('refuses live trading without its confirmation, naming POLYBOT_LIVE', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-live-'));
    const r = runSync({ ...baseEnv(), POLYBOT_VENUE: 'live', POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('live') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/POLYBOT_LIVE/);
    expect(existsSync(path.join(dir, 'orders.json'))).toBe(false);
  });

  it('never prints the private key, whatever happens after start', () => {
    const key = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-key-'));
    for (const extra of [{ POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY', POLYBOT_PRIVATE_KEY: key }, { POLYBOT_LIVE: 'yes', POLYBOT_PRIVATE_KEY: key }, { POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY', POLYBOT_PRIVATE_KEY: `0x${key}zz` }]) {
      const r = runSync({ ...baseEnv(), ...extra, POLYBOT_VENUE: 'live', POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('key'), POLYBOT_CLOB_URL: 'http://127.0.0.1:1', EXEC_VENUE_TIMEOUT_MS: '1000' });
      expect(r.status).not.toBe(0);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(out.length).toBeGreaterThan(0);
      expect(out).not.toContain(key);
      expect(out.toLowerCase()).not.toContain(key.slice(0, 24));
    }
  });
});

describe('SIGKILL at random moments', () => {
  let venue: SimVenue;
  let redis: Redis;
  beforeAll(async () => {
    venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC', 'ETH'], seed: 5, misprice: 0 });
    redis = createRedis(testRedisUrl());
  });
  afterAll(async () => {
    await venue?.close();
    await redis?.quit();
  });

  it('finds every order exactly once at the venue and in orders.json, with the same fills', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-kill-'));
    const prefix = testPrefix('kill');
    const env = { ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_CLOB_URL: venue.url, EXEC_LEASE_TTL_MS: '2000', EXEC_LEASE_WAIT_MS: '20000', EXEC_POLL_MS: '300' };
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    const markets = [...venue.state.schedule.markets.values()].filter((m) => !m.closed && m.startMs <= Date.now());
    let child: ChildProcess | null = null;
    const start = () => (child = spawn(process.execPath, [WORKER, 'execution'], { env, stdio: 'ignore' }));
    start();
    let kills = 0;
    let sent = 0;
    const deadline = Date.now() + 25_000;
    while (Date.now() < deadline) {
      for (let i = 0; i < 3; i++) {
        const m = markets[sent % markets.length]!;
        const up = sent % 2 === 0;
        const token = up ? m.upToken : m.downToken;
        const book = venue.state.exchange.books.get(token)!;
        const id = `sig-kill-${sent}`;
        const r: OrderRequest = {
          id, signalId: id, createdAtMs: Date.now(), conditionId: m.conditionId as `0x${string}`, asset: m.asset, outcome: up ? 'UP' : 'DOWN',
          tokenId: token, side: 'BUY', orderType: sent % 3 === 0 ? 'GTC' : 'FAK', postOnly: false, price: book.asks[0]!.price, size: Math.max(5, Math.ceil(1.5 / book.asks[0]!.price)),
          windowEndMs: m.endMs, tickSize: 0.01, minOrderSize: 5, negRisk: false, feeRate: 0.07,
          sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
        };
        await orders.add(r, id);
        if (sent % 4 === 0) await orders.add(r, `${id}-dup`).catch(() => undefined); // a re-sent job under another id
        sent++;
      }
      await new Promise((res) => setTimeout(res, 200 + Math.random() * 1_300));
      child!.kill('SIGKILL');
      kills++;
      await new Promise((res) => child!.once('exit', res));
      start();
    }
    // Let the last process recover and drain.
    const settle = Date.now() + 25_000;
    let local = loadOrdersFile(path.join(dir, 'orders.json')).orders;
    while (Date.now() < settle) {
      await new Promise((res) => setTimeout(res, 1_000));
      local = loadOrdersFile(path.join(dir, 'orders.json')).orders;
      const waiting = await orders.queue.getJobCountByTypes('waiting', 'active', 'delayed');
      if (waiting === 0 && local.every((o) => o.state !== 'submitted')) break;
    }
    child!.kill('SIGTERM');
    await new Promise((res) => child!.once('exit', res));
    await orders.close();

    const venueOrders = ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: Array<{ id: string; sizeMatched: number }> }).orders;
    local = loadOrdersFile(path.join(dir, 'orders.json')).orders;
    const ids = local.map((o) => o.request.id);
    expect(new Set(ids).size).toBe(ids.length); // one record per signal
    const hashes = local.map((o) => o.venueOrderId);
    for (const v of venueOrders) expect(hashes.filter((h) => h === v.id)).toHaveLength(1); // venue → local exactly once
    expect(venueOrders.length).toBeLessThanOrEqual(sent); // never two orders for a signal
    for (const o of local) {
      const v = venueOrders.find((x) => x.id === o.venueOrderId);
      if (!v) {
        expect(['expired', 'rejected', 'canceled']).toContain(o.state); // never reached the venue
        continue;
      }
      expect(o.filledSize).toBeCloseTo(v.sizeMatched, 6);
      expect(o.filledSize).toBeLessThanOrEqual(o.request.size + 1e-9);
    }
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(local.filter((o) => o.filledSize > 0).length).toBeGreaterThan(sent / 3); // the loop really traded
    process.stderr.write(`[kill loop] kills=${kills} signals=${sent} venueOrders=${venueOrders.length} recorded=${local.length}\n`);
  }, 90_000);
});
