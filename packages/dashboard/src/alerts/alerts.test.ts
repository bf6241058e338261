/** Alerts reach a webhook and Telegram (local fakes) without taking any job away from risk. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createBreakerControl } from '@polybot/risk/breaker';
import { alertForEvent, startAlerts } from './alerts.js';

const logger = pino({ level: 'silent' });
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
      }),
    ).toMatch(/hard limits.*\$5745\.00/);
    expect(alertForEvent({ id: 'e2', atMs: 1, type: 'error', source: 'outbox', message: 'event ord-x failed its schema' })).toMatch(/set aside/);
    expect(alertForEvent({ id: 'e3', atMs: 1, type: 'error', source: 'venue', message: 'post: unknown' })).toBeNull();
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
});
