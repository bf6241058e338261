/**
 * Several risk processes, one burst of concurrent signals on one market: what they send together
 * never passes the market cap (each signal alone would be sized to the order cap).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { OrderRequestSchema } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { makeSignal } from './testSignal.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/dist/worker.js');
const children: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise((res) => {
          if (c.exitCode !== null) return res(null);
          c.once('exit', res);
          c.kill('SIGTERM');
        }),
    ),
  );
});

function startRisk(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [WORKER, 'risk'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`risk did not start:\n${out.slice(-2000)}`)), 20_000);
    const on = (c: Buffer) => {
      out += c.toString();
      if (out.includes('risk running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

describe('several risk processes', () => {
  it('a burst of 30 concurrent signals against 3 risk processes sends no more than the market cap', async () => {
    const prefix = testPrefix('replicas');
    const env = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: testRedisUrl(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-replicas-')),
      POLYBOT_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      RISK_MAX_ORDER_USD: '10',
      RISK_MAX_MARKET_EXPOSURE_USD: '30',
      RISK_TOXICITY: 'ignore',
    };
    await Promise.all([startRisk(env), startRisk(env), startRisk(env)]);
    const redis = createRedis(testRedisUrl());
    const logger = pino({ level: 'silent' });
    const signals = new Producer('signals', { connection: redis, prefix, logger });
    const orders = new Producer('orders', { connection: redis, prefix, logger });
    try {
      const now = Date.now();
      await Promise.all(Array.from({ length: 30 }, (_, i) => signals.add(makeSignal(now, { id: `sig-burst-UP-${i}` }), `sig-burst-UP-${i}`)));
      const end = Date.now() + 30_000;
      while ((await signals.queue.getJobCountByTypes('completed', 'failed')) < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(await signals.queue.getJobCountByTypes('completed')).toBe(30);
      const jobs = await orders.queue.getJobs(['waiting', 'delayed', 'active', 'completed']);
      const sent = jobs.map((j) => OrderRequestSchema.parse(j.data));
      const notional = sent.reduce((s, o) => s + o.size * o.price, 0);
      process.stderr.write(`[risk replicas] signals=30 orders=${sent.length} notional=$${notional.toFixed(2)} (market cap $30, order cap $10)\n`);
      expect(notional).toBeLessThanOrEqual(30 + 1e-9);
      for (const o of sent) expect(o.size * o.price).toBeLessThanOrEqual(10 + 1e-9);
      expect(sent.length).toBeGreaterThanOrEqual(3); // it traded up to the cap
      expect(notional).toBeGreaterThan(25);
    } finally {
      await signals.close();
      await orders.close();
      await redis.quit();
    }
  }, 60_000);
});
