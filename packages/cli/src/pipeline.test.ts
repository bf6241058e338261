/**
 * The backtest and the live pipeline make the same decisions on the same inputs: signals the
 * backtest made on real bars, sent through the real risk worker process (over Redis and BullMQ,
 * configured as the backtest configures its risk cores), come out as orders of the same size and
 * price, given the ledger the backtest had at that moment. Times are shifted to now as a block
 * (every age and the time to expiry unchanged), since the live gate reads the wall clock.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderRequestSchema, redisKeys, type TradeSignal } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { minuteCloses } from '@polybot/strategy';
import { DEFAULT_BACKTEST, coresFor, runBacktest } from '@polybot/backtest';
import { loadHistory } from '@polybot/backtest';
import { Stack } from './stack.js';

const FTX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz');
const prefix = testPrefix('pipeline');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-pipeline-'));
const cfg = { ...DEFAULT_BACKTEST, recordInputs: true };
const { gateConfig: g, sizerConfig: z } = coresFor(cfg);
let redis: Redis;
let stack: Stack;

beforeAll(async () => {
  redis = createRedis(testRedisUrl());
  // The risk worker, configured through its environment exactly as the backtest's risk cores.
  const riskEnv = {
    RISK_BANKROLL_USD: String(cfg.bankrollUsd),
    RISK_KELLY_FRACTION: String(z.kellyFraction),
    RISK_MAX_ORDER_USD: String(z.maxOrderUsd),
    RISK_MAX_MARKET_EXPOSURE_USD: String(z.maxMarketExposureUsd),
    RISK_MAX_ASSET_EXPOSURE_USD: String(z.maxAssetExposureUsd),
    RISK_MAX_TOTAL_EXPOSURE_USD: String(z.maxTotalExposureUsd),
    RISK_MAX_BANKROLL_SHARE: String(z.maxBankrollShare),
    RISK_MAX_ORACLE_AGE_MS: String(g.maxOracleAgeMs),
    RISK_MAX_SIGNAL_AGE_MS: String(g.maxSignalAgeMs),
    RISK_MAX_BOOK_AGE_MS: String(g.maxBookAgeMs),
    RISK_MAX_SPREAD: String(g.maxSpread),
    RISK_MIN_SECONDS_TO_EXPIRY: String(g.minSecondsToExpiry),
    RISK_TOXICITY: g.toxicity,
  };
  stack = new Stack({
    env: { REDIS_URL: testRedisUrl(), POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_DATA_DIR: dir, POLYBOT_METRICS_PORT: '0' },
    logDir: path.join(dir, 'logs'),
    restart: false,
  });
  stack.add({ kind: 'risk', index: 0, env: riskEnv });
});
afterAll(async () => {
  await stack?.stop(10_000);
  await redis?.quit();
});

/** The same signal with every time moved by `d` ms. */
function shifted(s: TradeSignal, d: number): TradeSignal {
  return {
    ...s,
    createdAtMs: s.createdAtMs + d,
    ...(s.tickAtMs !== undefined ? { tickAtMs: s.tickAtMs + d } : {}),
    market: { ...s.market, windowStartMs: s.market.windowStartMs + d, windowEndMs: s.market.windowEndMs + d },
    evidence: { ...s.evidence, bookTimestampMs: s.evidence.bookTimestampMs + d, oracleTimestampMs: s.evidence.oracleTimestampMs + d },
  };
}

describe('backtest ↔ live risk worker', () => {
  it('sizes every sampled signal as the backtest did, to the share', async () => {
    const { startMs, closes } = minuteCloses(loadHistory(FTX).slice(0, 3 * 1440));
    const r = runBacktest(closes, startMs, cfg);
    const open = r.decisions.filter((d) => !d.inputs!.breakerOpen);
    // Spread over the run, so the ledgers differ (bankroll, exposure, caps binding or not).
    const sample = Array.from({ length: 20 }, (_, k) => open[Math.floor((k * open.length) / 20)]!);
    expect(new Set(sample.map((d) => d.signal.id)).size).toBe(20);
    const signals = new Producer('signals', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    const keys = redisKeys(prefix);
    const seen: Array<{ id: string; backtest: number; live: number }> = [];
    try {
      for (const d of sample) {
        await redis.set(keys.riskLedger, JSON.stringify(d.inputs!.ledger));
        // The backtest's ledger already holds what was sent before: drop the live reservations of earlier orders.
        await redis.del(keys.riskReservations);
        const s = shifted(d.signal, Date.now() - d.signal.createdAtMs);
        await signals.add(s, s.id);
        const end = Date.now() + 20_000;
        let job = await orders.queue.getJob(s.id);
        while (!job && Date.now() < end) {
          await new Promise((res) => setTimeout(res, 50));
          job = await orders.queue.getJob(s.id);
        }
        if (!job) throw new Error(`the risk worker sent no order for ${s.id} (see ${dir}/logs)`);
        const order = OrderRequestSchema.parse(job.data);
        expect(order.price).toBe(d.signal.limitPrice);
        expect(order.tokenId).toBe(d.signal.tokenId);
        seen.push({ id: s.id, backtest: d.shares, live: order.size });
      }
    } finally {
      await signals.close();
      await orders.close();
    }
    expect(seen.map((x) => x.live)).toEqual(seen.map((x) => x.backtest));
    // Not a trivial agreement: the sizes differ across the sample (different caps and bankrolls).
    expect(new Set(seen.map((x) => x.live)).size).toBeGreaterThan(1);
  }, 90_000);
});
