/** The breaker is shared through Redis: a trip seen by one risk process blocks all, survives restarts, and resume clears it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createBreakerControl } from './breakerControl.js';
import { newLedger } from './ledger.js';
import { consecutiveLossesRule } from './rules/consecutiveLosses.js';
import { drawdownRule } from './rules/drawdown.js';
import { errorRateRule } from './rules/errorRate.js';
import { makeSignal } from './testSignal.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/dist/worker.js');
const logger = pino({ level: 'silent' });

describe('breaker rules at and around their thresholds', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('drawdown', () => {
    const l = newLedger(1000);
    const rule = drawdownRule(100);
    expect(rule.evaluate(now, { ...l, daily: { '2026-11-24': -99.99 } }).trip).toBe(false);
    expect(rule.evaluate(now, { ...l, daily: { '2026-11-24': -100 } }).trip).toBe(true);
    expect(rule.evaluate(now, { ...l, daily: { '2026-11-23': -500 } }).trip).toBe(false); // yesterday's loss
  });
  it('consecutive losses', () => {
    const rule = consecutiveLossesRule(3);
    expect(rule.evaluate(now, { ...newLedger(1), consecutiveLosses: 2 }).trip).toBe(false);
    expect(rule.evaluate(now, { ...newLedger(1), consecutiveLosses: 3 }).trip).toBe(true);
  });
  it('error rate in a sliding window, and a lost heartbeat at once', () => {
    const rule = errorRateRule(3, 10_000);
    const errs = (n: number, ago: number) => Array.from({ length: n }, () => ({ atMs: now - ago, source: 'venue' }));
    expect(rule.evaluate(now, errs(2, 1_000)).trip).toBe(false);
    expect(rule.evaluate(now, errs(3, 1_000)).trip).toBe(true);
    expect(rule.evaluate(now, errs(3, 10_001)).trip).toBe(false);
    const hb = rule.evaluate(now, [{ atMs: now, source: 'heartbeat' }]);
    expect(hb.trip && hb.kind).toBe('heartbeat');
  });
});

describe('one breaker for every risk process', () => {
  let redis: Redis;
  const prefix = testPrefix('breaker');
  const procs: ChildProcess[] = [];
  const startRisk = () => {
    const p = spawn(process.execPath, [WORKER, 'risk'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: testRedisUrl(),
        POLYBOT_QUEUE_PREFIX: prefix,
        RISK_MAX_ERRORS: '3',
        POLYBOT_METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    procs.push(p);
    return p;
  };
  const stopAll = async () => {
    await Promise.all(procs.splice(0).map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGKILL'))))));
  };
  beforeAll(() => void (redis = createRedis(testRedisUrl())));
  afterAll(async () => {
    await stopAll();
    await redis.quit();
  });

  async function waitFor(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('condition not met in time');
  }

  it('trips from one replica, blocks all, survives a restart, and clears on resume', async () => {
    const ctx = { connection: redis, prefix, logger };
    const events = new Producer('execution-events', ctx);
    const signals = new Producer('signals', ctx);
    const orders = new Producer('orders', ctx);
    const control = createBreakerControl(redis, prefix);
    startRisk();
    startRisk();
    const orderCount = () => orders.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed');
    // A signal sent before a process is listening can age past the gate's 5 s while a loaded machine
    // starts it, and be refused as stale: send only once the replicas are taking signals.
    const listening = (n: number) => waitFor(async () => (await signals.queue.getWorkersCount()) >= n, 30_000);
    await listening(2);

    // A healthy signal becomes an order.
    await signals.add(makeSignal(Date.now(), { id: 'sig-ok-1' }), 'sig-ok-1');
    await waitFor(async () => (await orderCount()) === 1);

    // Errors consumed by whichever replica trip the shared breaker.
    for (let i = 0; i < 3; i++) await events.add({ id: `err-t-${i}`, atMs: Date.now(), type: 'error', source: 'venue', message: 'boom' }, `err-t-${i}`);
    await waitFor(async () => (await control.status()).state.state === 'open');
    const status = await control.status();
    expect(status.trips[0]?.kind).toBe('error_rate');

    for (let i = 0; i < 4; i++) await signals.add(makeSignal(Date.now(), { id: `sig-blocked-${i}` }), `sig-blocked-${i}`);
    await waitFor(async () => (await signals.queue.getJobCountByTypes('waiting', 'active')) === 0);
    expect(await orderCount()).toBe(1);

    // Restart every risk process: the trip is still there.
    await stopAll();
    startRisk();
    await listening(1);
    await signals.add(makeSignal(Date.now(), { id: 'sig-after-restart' }), 'sig-after-restart');
    await waitFor(async () => (await signals.queue.getJobCountByTypes('waiting', 'active')) === 0);
    expect(await orderCount()).toBe(1);
    expect((await control.status()).state.state).toBe('open');

    // A human resumes; trading goes on.
    await control.resume();
    await signals.add(makeSignal(Date.now(), { id: 'sig-ok-2' }), 'sig-ok-2');
    await waitFor(async () => (await orderCount()) === 2);
    await Promise.all([events.close(), signals.close(), orders.close()]);
  }, 90_000);

  it('records only one trip when two replicas trip at once', async () => {
    const p = testPrefix('race');
    const a = createBreakerControl(redis, p);
    const other = createRedis(testRedisUrl());
    const b = createBreakerControl(other, p);
    const results = await Promise.all([a.trip('error_rate', 'a'), b.trip('losses', 'b'), a.halt('c')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await a.status()).trips).toHaveLength(1);
    await other.quit();
  });
});
