/**
 * Alerts reach a webhook and Telegram (local fakes) without taking any job away from risk; each
 * event type has its own switch; the daily summary carries that UTC day's PnL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { freePort } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createBreakerControl } from '@polybot/risk/breaker';
import { redisKeys, type ExecutionEvent } from '@polybot/shared';
import { readTradeHistory } from '../historySource.js';
import { writeHistoryFixture } from '../testing/historyFixture.js';
import { alertForControl, alertForEvent, dailySummaryFrom, startAlerts, summaryForDay, type AlertSwitches } from './alerts.js';

const logger = pino({ level: 'silent' });
const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../cli/dist/worker.js');
const received: Array<{ path: string; body: Record<string, unknown> }> = [];
let server: http.Server;
let base: string;
let redis: Redis;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  redis = createRedis(testRedisUrl());
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await redis.quit();
});

const CID = `0x${'9'.repeat(64)}` as const;
const FILL: ExecutionEvent = {
  id: 'fill-1',
  atMs: 1,
  type: 'fill',
  orderId: 'o',
  signalId: 's',
  conditionId: CID,
  asset: 'BTC',
  outcome: 'UP',
  tradeId: 't',
  status: 'MATCHED',
  size: 5,
  price: 0.5,
  fee: 0.01,
};
const SETTLEMENT: ExecutionEvent = {
  id: 'set-1',
  atMs: 1,
  type: 'settlement',
  conditionId: CID,
  asset: 'ETH',
  winner: 'UP',
  upShares: 10,
  downShares: 0,
  costUsd: 5,
  feesUsd: 0.1,
  payoutUsd: 10,
  realisedPnlUsd: 4.9,
};

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('no alert arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('alerts', () => {
  it("alerts on an order refused at execution's hard limits and on an event set aside by the outbox", () => {
    expect(
      alertForEvent({
        id: 'e1',
        atMs: 1,
        type: 'error',
        source: 'limit',
        message: 'sig-1: hard limit: order notional $5745.00 is over the $10.00 maximum per order',
      })?.text,
    ).toMatch(/hard limits.*\$5745\.00/);
    expect(alertForEvent({ id: 'e2', atMs: 1, type: 'error', source: 'outbox', message: 'event ord-x failed its schema' })?.text).toMatch(/set aside/);
    expect(alertForEvent({ id: 'e3', atMs: 1, type: 'error', source: 'venue', message: 'post: unknown' })).toBeNull();
  });

  it('files each event under its switch: fills, trips, errors, settlements', () => {
    const fill = (status: 'MATCHED' | 'CONFIRMED' | 'RETRYING' | 'FAILED') => alertForEvent({ ...FILL, status, id: `f-${status}` });
    expect(fill('MATCHED')).toEqual({ kind: 'fills', text: expect.stringMatching(/BTC bought 5 UP @ \$0\.50, fee \$0\.0100 \(order o, trade t, MATCHED\)/) });
    expect(fill('CONFIRMED')?.kind).toBe('fills');
    expect(fill('RETRYING')).toBeNull();
    expect(fill('FAILED')).toEqual({ kind: 'errors', text: expect.stringMatching(/trade t of order o FAILED on chain/) });
    expect(alertForEvent(SETTLEMENT)?.kind).toBe('settlements');
    expect(alertForEvent({ id: 'hb', atMs: 1, type: 'error', source: 'heartbeat', message: 'x' })?.kind).toBe('errors');
    expect(alertForControl({ type: 'halt', kind: 'manual', reason: 'r', atMs: 1 }).kind).toBe('trips');
    expect(alertForControl({ type: 'resume', atMs: 1 }).kind).toBe('trips');
  });

  it("sums up a UTC day with that day's PnL, not the running total", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-summary-'));
    writeHistoryFixture(dir); // 2026-12-01: +4.90; 2026-12-02: −0.20 (running total 4.70)
    const h = readTradeHistory(dir);
    expect(summaryForDay(h, '2026-12-01')).toMatch(
      /^📊 2026-12-01 \(UTC\): PnL \$4\.90, fees \$0\.10, 1 trade, 1 settled \(hit rate 100\.0 %\); running total \$4\.90$/,
    );
    expect(summaryForDay(h, '2026-12-02')).toMatch(
      /^📊 2026-12-02 \(UTC\): PnL \$-0\.20, fees \$0\.20, 2 trades, 2 settled \(hit rate 50\.0 %\); running total \$4\.70$/,
    );
    expect(summaryForDay(h, '2026-12-03')).toBe('📊 2026-12-03 (UTC): PnL $0.00, no trade and nothing settled; running total $4.70');
    expect(summaryForDay(h, '2026-11-30')).toBe('📊 2026-11-30 (UTC): PnL $0.00, no trade and nothing settled; running total $0.00');
  });

  it('sends settlements, rejections, lost heartbeats and halts to the webhook and Telegram', async () => {
    const prefix = testPrefix('alerts');
    const token = '123456:secret-bot-token';
    const stop = await startAlerts({
      redisUrl: testRedisUrl(),
      redis,
      prefix,
      logger,
      targets: { webhookUrl: `${base}/hook`, telegram: { token, chatId: '42', baseUrl: base } },
    });
    const ctx = { connection: redis, prefix, logger };
    const seenByRisk: string[] = [];
    const risk = createConsumer('execution-events', async (e) => void seenByRisk.push(e.id), ctx);
    const events = new Producer('execution-events', ctx);
    const cid = `0x${'9'.repeat(64)}`;
    await events.add(
      {
        id: 'set-1',
        atMs: Date.now(),
        type: 'settlement',
        conditionId: cid,
        asset: 'ETH',
        winner: 'UP',
        upShares: 10,
        downShares: 0,
        costUsd: 5,
        feesUsd: 0.1,
        payoutUsd: 10,
        realisedPnlUsd: 4.9,
      },
      'set-1',
    );
    await events.add(
      {
        id: 'rej-1',
        atMs: Date.now(),
        type: 'order',
        orderId: 'sig-x',
        signalId: 'sig-x',
        conditionId: cid,
        asset: 'BTC',
        state: 'rejected',
        reason: 'INVALID_ORDER_MIN_SIZE',
      },
      'rej-1',
    );
    await events.add({ id: 'hb-1', atMs: Date.now(), type: 'error', source: 'heartbeat', message: 'timeout' }, 'hb-1');
    await events.add(
      {
        id: 'fill-1',
        atMs: Date.now(),
        type: 'fill',
        orderId: 'o',
        signalId: 's',
        conditionId: cid,
        asset: 'BTC',
        outcome: 'UP',
        tradeId: 't',
        status: 'MATCHED',
        size: 5,
        price: 0.5,
        fee: 0.01,
      },
      'fill-1',
    );
    await createBreakerControl(redis, prefix).halt('drawdown test');

    const hooks = () => received.filter((r) => r.path === '/hook').map((r) => String(r.body.text));
    await until(() => hooks().length >= 4);
    const texts = hooks().join('\n');
    expect(texts).toMatch(/ETH window settled UP.*PnL \$4\.90/);
    expect(texts).toMatch(/rejected by the venue: INVALID_ORDER_MIN_SIZE/);
    expect(texts).toMatch(/heartbeat lost/);
    expect(texts).toMatch(/halted \(manual\): drawdown test/);
    expect(texts).not.toMatch(/fill/); // fills are not alerts
    for (const r of received.filter((x) => x.path === '/hook')) expect(r.body.content).toBe(r.body.text); // Slack and Discord
    await until(() => received.filter((r) => r.path === `/bot${token}/sendMessage`).length >= 4);
    expect(received.find((r) => r.path.startsWith('/bot'))!.body.chat_id).toBe('42');
    // Risk still got every event: alerts never took a job.
    expect(seenByRisk.sort()).toEqual(['fill-1', 'hb-1', 'rej-1', 'set-1']);
    await stop();
    await risk.close();
    await events.close();
  });

  it('sends each event type only when its switch is on; the daily summary at the UTC day boundary, with that day’s PnL', async () => {
    const prefix = testPrefix('alert-switches');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-alert-day-'));
    writeHistoryFixture(dir); // 2026-12-01: +4.90; 2026-12-02: −0.20 (running total 4.70)
    let clock = Date.parse('2026-12-01T23:59:50Z');
    const listen = (hook: string, switches: AlertSwitches) =>
      startAlerts({
        redisUrl: testRedisUrl(),
        redis,
        prefix,
        logger,
        targets: { webhookUrl: `${base}/${hook}` },
        switches,
        dailySummary: dailySummaryFrom(dir),
        now: () => clock,
        dailyCheckMs: 50,
      });
    // Two listeners with opposite switches, and one with every switch on to know when all has arrived.
    const stops = [
      await listen('a', { fills: true, trips: false, errors: true, settlements: false, daily: true }),
      await listen('b', { fills: false, trips: true, errors: false, settlements: true, daily: false }),
      await listen('all', { fills: true, trips: true, errors: true, settlements: true, daily: true }),
    ];
    const ctx = { connection: redis, prefix, logger };
    const risk = createConsumer('execution-events', async () => undefined, ctx);
    const events = new Producer('execution-events', ctx);
    const texts = (hook: string) => received.filter((r) => r.path === `/${hook}`).map((r) => String(r.body.text));
    try {
      for (const e of [
        FILL,
        { ...FILL, id: 'fill-1-confirmed', status: 'CONFIRMED' }, // the same trade: no second alert
        { ...FILL, id: 'fill-2-failed', tradeId: 't2', status: 'FAILED' },
        SETTLEMENT,
        { id: 'hb-1', atMs: 1, type: 'error', source: 'heartbeat', message: 'timeout' },
      ] as ExecutionEvent[])
        await events.add(e, e.id);
      await createBreakerControl(redis, prefix).halt('switch test');
      clock = Date.parse('2026-12-02T00:00:05Z');
      await until(() => texts('all').some((t) => t.startsWith('📊 2026-12-01')));
      clock = Date.parse('2026-12-03T00:00:05Z');
      await until(() => texts('all').length >= 7 && texts('a').length >= 5 && texts('b').length >= 2);
      await new Promise((r) => setTimeout(r, 500)); // anything else would have come by now
      const a = texts('a');
      const b = texts('b');
      expect(texts('all')).toHaveLength(7);
      expect(a).toHaveLength(5);
      expect(a.filter((t) => /BTC bought 5 UP/.test(t))).toHaveLength(1);
      expect(a.some((t) => /trade t2 of order o FAILED on chain/.test(t))).toBe(true);
      expect(a.some((t) => /heartbeat lost/.test(t))).toBe(true);
      expect(a.filter((t) => t.startsWith('📊'))).toEqual([
        '📊 2026-12-01 (UTC): PnL $4.90, fees $0.10, 1 trade, 1 settled (hit rate 100.0 %); running total $4.90',
        '📊 2026-12-02 (UTC): PnL $-0.20, fees $0.20, 2 trades, 2 settled (hit rate 50.0 %); running total $4.70',
      ]);
      expect(a.join('\n')).not.toMatch(/settled UP|halted/);
      expect(b).toHaveLength(2);
      expect(b.some((t) => /ETH window settled UP.*PnL \$4\.90/.test(t))).toBe(true);
      expect(b.some((t) => /halted \(manual\): switch test/.test(t))).toBe(true);
      expect(b.join('\n')).not.toMatch(/bought|FAILED|heartbeat|📊/);
    } finally {
      for (const stop of stops) await stop();
      await risk.close();
      await events.close();
    }
  });

  it('sums up the day that ended while the dashboard was down when it starts, once', async () => {
    const prefix = testPrefix('alert-catch-up');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-alert-catch-up-'));
    writeHistoryFixture(dir);
    const key = redisKeys(prefix).alertsDailySummaryDay;
    await redis.set(key, '2026-12-01'); // the last summary sent, then down over 2026-12-02's end
    const start = () =>
      startAlerts({
        redisUrl: testRedisUrl(),
        redis,
        prefix,
        logger,
        targets: { webhookUrl: `${base}/catch-up` },
        dailySummary: dailySummaryFrom(dir),
        now: () => Date.parse('2026-12-03T08:00:00Z'),
        dailyCheckMs: 50,
      });
    const texts = () => received.filter((r) => r.path === '/catch-up').map((r) => String(r.body.text));
    await (
      await start()
    )();
    await until(() => texts().length >= 1);
    expect(texts()).toEqual(['📊 2026-12-02 (UTC): PnL $-0.20, fees $0.20, 2 trades, 2 settled (hit rate 50.0 %); running total $4.70']);
    for (let i = 0; i < 40 && (await redis.get(key)) !== '2026-12-02'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await redis.get(key)).toBe('2026-12-02');
    await (
      await start()
    )(); // started again the same day: already sent
    await new Promise((r) => setTimeout(r, 300));
    expect(texts()).toHaveLength(1);
  });

  it('the dashboard worker takes its switches from the config: trips off sends no halt, errors on sends the lost heartbeat; a bad value exits 2', async () => {
    const prefix = testPrefix('alert-worker');
    const env = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: testRedisUrl(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-alert-worker-')),
      POLYBOT_METRICS_PORT: '0',
      POLYBOT_DASHBOARD_USER: 'polybot',
      POLYBOT_DASHBOARD_PASSWORD: 'alert-worker-password',
      POLYBOT_ALERT_WEBHOOK_URL: `${base}/worker`,
      LOG_LEVEL: 'info',
    };
    const bad = spawnSync(process.execPath, [WORKER, 'dashboard'], {
      env: { ...env, POLYBOT_DASHBOARD_PORT: String(await freePort()), POLYBOT_ALERT_FILLS: 'yes' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/POLYBOT_ALERT_FILLS/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace

    const child = spawn(process.execPath, [WORKER, 'dashboard'], {
      env: { ...env, POLYBOT_DASHBOARD_PORT: String(await freePort()), POLYBOT_ALERT_TRIPS: 'false', POLYBOT_ALERT_ERRORS: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const ctx = { connection: redis, prefix, logger };
    const risk = createConsumer('execution-events', async () => undefined, ctx);
    const events = new Producer('execution-events', ctx);
    const texts = () => received.filter((r) => r.path === '/worker').map((r) => String(r.body.text));
    try {
      await until(() => /dashboard listening/.test(output), 30_000).catch(() => {
        throw new Error(`the dashboard worker did not start:\n${output.slice(-2000)}`);
      });
      await createBreakerControl(redis, prefix).halt('worker switch test');
      await events.add({ id: 'hb-w', atMs: Date.now(), type: 'error', source: 'heartbeat', message: 'timeout' }, 'hb-w');
      await until(() => texts().length >= 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(texts()).toEqual([expect.stringMatching(/venue heartbeat lost/)]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await risk.close();
      await events.close();
    }
  }, 60_000);
});
