/**
 * The dashboard in a real headless browser (Debian's Chromium via playwright-core): queues, live
 * windows and orders appear and update, and Halt on the page stops trading.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { redisKeys } from '@polybot/shared';
import { readBreaker } from '@polybot/shared/breaker';
import { createBreakerControl } from '@polybot/risk/breaker';
import { dayOf, newLedger } from '@polybot/risk';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { ExecutionStatusSchema, statusStore } from '@polybot/shared/status';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { positionsText } from './cli/bot.js';
import { createDashboardServer, type DashboardServer } from './server.js';
import { readStatus } from './statusData.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');
const logger = pino({ level: 'silent' });
let redis: Redis;
let sub: Redis;
let dash: DashboardServer;
let server: Server;
let url: string;
let browser: Browser;
const prefix = testPrefix('dash');
const auth = { user: 'trader', password: 'correct-horse' };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (./polybot test installs it)`);
  redis = createRedis(testRedisUrl());
  sub = createRedis(testRedisUrl());
  dash = createDashboardServer({ redis, prefix, logger, auth, allowedHosts: ['localhost', '127.0.0.1'], readOnly: true, pushMs: 300, maxDailyLossUsd: 100 });
  server = await dash.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await dash?.close();
  await redis?.quit();
  await sub?.quit();
});

const now = Date.now();
const market = (slug: string, decision: string) => ({
  conditionId: `0x${slug.length.toString(16).padStart(64, '0')}`,
  slug,
  asset: 'BTC' as const,
  windowStartMs: now - 30_000,
  windowEndMs: now + 90_000,
  priceToBeat: 97000,
  oraclePrice: 97010,
  oracleTimestampMs: now,
  modelProbabilityUp: 0.58,
  bookMidUp: 0.52,
  edge: 0.03,
  lastSignalId: null,
  decision,
  updatedAtMs: now,
});

describe('dashboard', () => {
  const basic = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  /** A change as the status page sends it: credentials, our Origin, the custom header. */
  const change = (path: string, body: unknown, over: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: path.startsWith('/queues') ? 'PUT' : 'POST',
      headers: { authorization: basic, 'content-type': 'application/json', origin: url, 'x-polybot-request': '1', ...over },
      body: JSON.stringify(body),
    });

  it('asks for credentials on every page, Bull Board included', async () => {
    expect((await fetch(`${url}/`)).status).toBe(401);
    expect((await fetch(`${url}/queues`)).status).toBe(401);
    expect(
      (await fetch(`${url}/api/status`, { headers: { authorization: `Basic ${Buffer.from(`${auth.user}:wrong-password`).toString('base64')}` } })).status,
    ).toBe(401);
    expect((await fetch(`${url}/api/status`, { headers: { authorization: basic } })).status).toBe(200);
  });

  it('answers only to its own host names (DNS rebinding), even with the right credentials', async () => {
    const port = new URL(url).port;
    const asHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/api/status', headers: { host, authorization: basic } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await asHost(`evil.example:${port}`)).toBe(421);
    expect(await asHost(`127.0.0.1.nip.io:${port}`)).toBe(421);
    expect(await asHost(`localhost:${port}`)).toBe(200);
  });

  it('refuses a change without the custom header, from another origin or with no origin, and Bull Board changes when read-only', async () => {
    await createBreakerControl(redis, prefix).halt('test halt');
    expect((await change('/api/resume', {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await change('/api/resume', {}, { origin: url.replace('127.0.0.1', 'localhost') })).status).toBe(403);
    const noOrigin = await fetch(`${url}/api/resume`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json', 'x-polybot-request': '1' },
      body: '{}',
    });
    expect(noOrigin.status).toBe(403);
    expect((await change('/api/resume', {}, { 'x-polybot-request': '' })).status).toBe(403);
    expect((await change('/api/halt', {}, { 'content-type': 'text/plain', 'x-polybot-request': '0' })).status).toBe(403);
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('open'); // none of those resumed
    // A browser asking before a cross-origin change is granted nothing.
    const preflight = await fetch(`${url}/api/resume`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-polybot-request' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect((await change('/api/resume', {})).status).toBe(200);
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('closed');
    // Bull Board: read-only unless configured otherwise, enforced by the server.
    expect((await change('/queues/api/queues/signals/pause', {})).status).toBe(405);
    expect((await change('/queues/api/queues/signals/pause', {}, { origin: 'http://evil.example' })).status).toBe(403);
  });

  it("resumes after a daily-loss trip only with a confirmation, and never while the day's loss is over the limit", async () => {
    const keys = redisKeys(prefix);
    const breaker = createBreakerControl(redis, prefix);
    const ledger = newLedger(1_000);
    ledger.daily[dayOf(Date.now())] = -120;
    await redis.set(keys.riskLedger, JSON.stringify(ledger));
    await breaker.trip('drawdown', 'daily realised loss $120.00 reached the $100 limit');
    let r = await change('/api/resume', { confirm: true });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { reason: string }).reason).toMatch(/\$120\.00 is still at or over the \$100 daily limit/);
    // Risk's own published limit wins over the dashboard's fallback.
    await redis.set(keys.riskLimits, JSON.stringify({ maxDailyLossUsd: 150 }));
    r = await change('/api/resume', {});
    expect(r.status).toBe(409);
    expect(await r.json()).toMatchObject({ ok: false, needsConfirmation: true });
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('open');
    expect((await change('/api/resume', { confirm: 'yes' })).status).toBe(400);
    expect((await change('/api/resume', { confirm: true })).status).toBe(200);
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('closed');
    await redis.del(keys.riskLedger, keys.riskLimits);
  });

  it('shows queues, live windows and orders, updates them, and halts from the page', async () => {
    const store = statusStore(redis, prefix);
    await store.putMarket(market('btc-updown-2m-100', 'no edge yet'));
    const signals = new Producer('signals', { connection: redis, prefix, logger });
    await signals.queue.add('signal', { x: 1 }, { jobId: 'visible-job' });
    const ctx = await browser.newContext({ httpCredentials: { username: auth.user, password: auth.password }, viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    await page.goto(`${url}/`);
    await page.waitForSelector('.market[data-slug="btc-updown-2m-100"]');
    expect(await page.textContent('#markets')).toContain('no edge yet');

    // Updates arrive by themselves.
    await store.putMarket(market('btc-updown-2m-100', 'signal: UP edge 0.031'));
    await store.put('execution', ExecutionStatusSchema, {
      openOrders: [
        {
          id: 'sig-abc-UP-1',
          conditionId: `0x${'1'.repeat(64)}`,
          asset: 'BTC',
          outcome: 'UP',
          side: 'BUY',
          price: 0.52,
          size: 10,
          filledSize: 4,
          state: 'partially_filled',
        },
      ],
      positions: [],
      ordersByState: { partially_filled: 1 },
      updatedAtMs: Date.now(),
    });
    await page.waitForFunction(() => document.querySelector('#markets')?.textContent?.includes('signal: UP edge 0.031'));
    await page.waitForFunction(() => document.querySelector('#orders')?.textContent?.includes('sig-abc-UP-1'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });

    // Halt from the page: the shared breaker opens and execution is told to cancel.
    const messages: string[] = [];
    await sub.subscribe(`${prefix}:control`);
    sub.on('message', (_c: string, m: string) => messages.push(m));
    await page.click('#halt');
    await page.waitForFunction(() => document.querySelector('#breaker')?.textContent?.includes('HALTED'));
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('open');
    await new Promise((r) => setTimeout(r, 200));
    expect(messages.some((m) => JSON.parse(m).type === 'halt')).toBe(true);
    await page.click('#resume');
    await page.waitForFunction(() => document.querySelector('#breaker')?.textContent?.includes('trading'));

    // Bull Board lists every queue, and our job.
    await page.goto(`${url}/queues`);
    await page.waitForSelector('text=signals');
    const board = await page.textContent('body');
    for (const q of ['markets', 'signals', 'orders', 'execution-events']) expect(board).toContain(q);
    await page.screenshot({ path: path.join(ARTIFACTS, 'bull-board.png') });
    await ctx.close();
    await signals.queue.obliterate({ force: true });
    await signals.close();
  });

  it('shows what is redeemable, redeemed and merged, on the page and in `pnpm bot positions`', async () => {
    const at = Date.now();
    await statusStore(redis, prefix).put('execution', ExecutionStatusSchema, {
      openOrders: [],
      positions: [],
      ordersByState: {},
      money: {
        account: {
          wallet: '0x00000000000000000000000000000000000000aa',
          balanceUsd: 41.5,
          openOrdersUsd: 2,
          pendingUsd: 0,
          positionsUsd: 3.2,
          redeemableUsd: 8,
          redeemedUsd: 12,
          mergedUsd: 6,
          bankrollUsd: 50.7,
          availableUsd: 39.5,
          equityUsd: 52.7,
          atMs: at,
        },
        actions: [
          {
            id: `redeem-0x${'2'.repeat(64)}`,
            kind: 'redeem',
            conditionId: `0x${'2'.repeat(64)}`,
            asset: 'BTC',
            shares: 12,
            amountUsd: 12,
            state: 'confirmed',
            transactionId: 'tx-redeem-1',
            transactionHash: `0x${'3'.repeat(64)}`,
            updatedAtMs: at,
          },
          {
            id: `merge-0x${'4'.repeat(64)}-1`,
            kind: 'merge',
            conditionId: `0x${'4'.repeat(64)}`,
            asset: 'ETH',
            shares: 6,
            amountUsd: 6,
            state: 'confirmed',
            transactionId: 'tx-merge-1',
            transactionHash: null,
            updatedAtMs: at,
          },
        ],
      },
      updatedAtMs: at,
    });
    const ctx = await browser.newContext({ httpCredentials: { username: auth.user, password: auth.password } });
    const page = await ctx.newPage();
    await page.goto(`${url}/`);
    await page.waitForFunction(() => document.querySelector('#redeemed')?.textContent === '$12.00');
    expect(await page.textContent('#redeemable')).toBe('$8.00');
    expect(await page.textContent('#merged')).toBe('$6.00');
    expect(await page.textContent('#chain')).toContain('tx-merge-1');
    await ctx.close();
    const text = positionsText(await readStatus(redis, prefix));
    expect(text).toMatch(/redeemable \$8\.00, redeemed \$12\.00, merged \$6\.00/);
    expect(text).toContain('tx-redeem-1');
  });
});
