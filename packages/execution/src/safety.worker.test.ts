/**
 * The execution worker as a real process, on what keeps it safe when Redis or the volume misbehave:
 * paper refuses a Redis without an append-only file; a halt survives Redis losing it (and a restart);
 * a lock file in the data directory fences a second process, and a stale one is taken over.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type OrderRequest } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { spawnRedisServer } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { openSimMarkets } from './testing/simMarkets.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/dist/worker.js');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'packages/cli/dist/polybot.js');
const baseEnv = () => ({ PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info', POLYBOT_METRICS_PORT: '0' });
const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `polybot-${label}-`));

/** A worker whose whole output is kept; `until` waits for a line matching a pattern. */
function startWorker(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [WORKER, 'execution'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const on = (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) if (w.re.test(out)) w.resolve();
  };
  child.stdout!.on('data', on);
  child.stderr!.on('data', on);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    until(re: RegExp, ms = 20_000): Promise<void> {
      if (re.test(out)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; output:\n${out.slice(-3000)}`)), ms);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

let venue: SimVenue;
let redis: Redis;
beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC'], seed: 23, misprice: 0 });
  redis = createRedis(testRedisUrl());
});
afterAll(async () => {
  await venue?.close();
  await redis?.quit();
});

function marketable(id: string): OrderRequest {
  const m = openSimMarkets(venue, 60_000)[0]!;
  const ask = venue.state.exchange.books.get(m.upToken)!.asks[0]!;
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
    price: Math.min(0.99, Number((ask.price + 0.03).toFixed(2))),
    size: Math.max(5, Math.ceil(1.5 / ask.price)),
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
  };
}
const venueOrderCount = async () => ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: unknown[] }).orders.length;

describe('Redis persistence', () => {
  it('paper and live execution and risk refuse a Redis without AOF with the fix in the message, before touching the data directory', async () => {
    const volatile = await spawnRedisServer();
    try {
      for (const [kind, venue] of [
        ['execution', 'paper'],
        ['risk', 'paper'],
        ['risk', 'live'],
      ] as const) {
        const dir = tmp('paper-aof');
        const r = spawnSync(process.execPath, [WORKER, kind], {
          env: { ...baseEnv(), REDIS_URL: volatile.url, POLYBOT_VENUE: venue, POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('paper-aof') },
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(r.status, `${kind} ${venue}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(
          new RegExp(`polybot ${kind}: ${venue} trading refused: Redis at 127\\.0\\.0\\.1:\\d+: it has no AOF persistence \\(appendonly no\\)`),
        );
        expect(r.stderr).toMatch(/--appendonly yes/);
        expect(existsSync(path.join(dir, 'orders.db'))).toBe(false);
        expect(existsSync(path.join(dir, 'execution.lock'))).toBe(false);
      }
    } finally {
      await volatile.stop();
    }
  }, 60_000);
});

describe('a halt survives Redis losing it', () => {
  it('is recorded in the data directory, re-read at start, and refuses orders until an explicit resume', async () => {
    const prefix = testPrefix('halt-persist');
    const keys = redisKeys(prefix);
    const dir = tmp('halt-persist');
    const env = { ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_CLOB_URL: venue.url, EXEC_POLL_MS: '300' };
    const trippedAtMs = Date.now();
    await redis.set(keys.breaker, JSON.stringify({ state: 'open', kind: 'manual', reason: 'operator halt', trippedAtMs, cooldownUntilMs: null }));

    const a = startWorker(env);
    await a.until(/execution running/);
    expect(JSON.parse(readFileSync(path.join(dir, 'halt.json'), 'utf8'))).toMatchObject({ breaker: { state: 'open', kind: 'manual', trippedAtMs } });
    await a.stop();

    // Redis loses its data (here: the breaker key), then execution restarts.
    await redis.del(keys.breaker);
    const b = startWorker(env);
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    try {
      await b.until(/starting halted/);
      await b.until(/execution running/);
      const before = await venueOrderCount();
      await orders.add(marketable('sig-halted'), 'sig-halted');
      await b.until(/"orderId":"sig-halted".*"result":"refused: circuit breaker is open"/);
      expect(b.output()).toMatch(/Redis shows no halt but execution recorded one/);
      expect(await venueOrderCount()).toBe(before);
      // The dashboard reads execution's status: halted, though the breaker in Redis reads closed.
      const status = async () => (JSON.parse((await redis.get(keys.status('execution'))) ?? '{}') as { halt?: { reason: string } | null }).halt;
      for (let i = 0; i < 40 && !(await status()); i++) await new Promise((r) => setTimeout(r, 100));
      expect((await status())?.reason).toMatch(/manual: operator halt.*Redis does not show it/);
      const bot = (...args: string[]) =>
        spawnSync(process.execPath, [BIN, 'bot', ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_DATA_DIR: dir },
          encoding: 'utf8',
          timeout: 30_000,
        });
      expect(bot('status').stdout).toMatch(/breaker: closed in Redis, but execution is HALTED by its own record: halted \(manual: operator halt\)/);

      // An explicit resume lifts it: the operator's command, as the dashboard's button would.
      const resumedBefore = Date.now();
      const resumed = bot('resume');
      expect(resumed.status, resumed.stderr).toBe(0);
      await b.until(/halt cleared by a resume/);
      const record = JSON.parse(readFileSync(path.join(dir, 'halt.json'), 'utf8')) as { breaker: { state: string; resumedAtMs: number } };
      expect(record.breaker.state).toBe('closed');
      expect(record.breaker.resumedAtMs).toBeGreaterThanOrEqual(resumedBefore);
      for (let i = 0; i < 40 && (await status()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await status()).toBeNull();
      await orders.add(marketable('sig-resumed'), 'sig-resumed');
      await b.until(/"orderId":"sig-resumed".*"result":"(open|filled|submitted)"/);
      expect(await venueOrderCount()).toBe(before + 1);
    } finally {
      await b.stop();
      await orders.close();
    }
  }, 60_000);
});

describe('the data-directory lease', () => {
  it('a second process on the same data directory refuses with who holds it, even on another Redis prefix', async () => {
    const dir = tmp('file-lease');
    const env = { ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_CLOB_URL: venue.url, EXEC_LEASE_TTL_MS: '3000' };
    const a = startWorker({ ...env, POLYBOT_QUEUE_PREFIX: testPrefix('file-lease-a') });
    try {
      await a.until(/execution running/);
      const holder = JSON.parse(readFileSync(path.join(dir, 'execution.lock'), 'utf8')) as { pid: number };
      expect(holder.pid).toBe(a.child.pid);
      // Its own prefix: the Redis lease does not see it. The lock file does.
      const b = startWorker({ ...env, POLYBOT_QUEUE_PREFIX: testPrefix('file-lease-b'), EXEC_LEASE_WAIT_MS: '1500' });
      expect(await b.exited).toBe(2);
      expect(b.output()).toMatch(
        new RegExp(`another execution process \\(pid ${a.child.pid} on [^,]+, since .*\\) holds .*execution\\.lock; only one may use a data directory`),
      );
      expect(b.output()).not.toMatch(/execution running/);
      expect(a.child.exitCode).toBeNull(); // the owner is untouched
    } finally {
      await a.stop();
    }
    expect(existsSync(path.join(dir, 'execution.lock'))).toBe(false); // released on a clean stop
  }, 60_000);

  it('takes over a stale lease: its process gone, or not renewed within its time-to-live', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a pid that just exited
    const cases = [
      { pid: dead, host: os.hostname(), renewedAtMs: Date.now(), why: new RegExp(`its process \\(pid ${dead}\\) is gone`) },
      { pid: 1, host: 'another-machine', renewedAtMs: Date.now() - 60_000, why: /it was last renewed \d+ ms ago/ },
    ];
    for (const c of cases) {
      const dir = tmp('stale-lease');
      const lock = { owner: 'old', pid: c.pid, host: c.host, acquiredAtMs: c.renewedAtMs - 1_000, renewedAtMs: c.renewedAtMs, ttlMs: 10_000 };
      writeFileSync(path.join(dir, 'execution.lock'), JSON.stringify(lock));
      const w = startWorker({
        ...baseEnv(),
        POLYBOT_DATA_DIR: dir,
        POLYBOT_QUEUE_PREFIX: testPrefix('stale-lease'),
        POLYBOT_CLOB_URL: venue.url,
        EXEC_LEASE_WAIT_MS: '0',
      });
      try {
        await w.until(/execution running/);
        expect(w.output()).toMatch(/took over a stale data-directory lease/);
        expect(w.output()).toMatch(c.why);
        expect((JSON.parse(readFileSync(path.join(dir, 'execution.lock'), 'utf8')) as { pid: number }).pid).toBe(w.child.pid);
      } finally {
        await w.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});
