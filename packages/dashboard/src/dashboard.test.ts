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
import { readBreaker } from '@polybot/shared/breaker';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { ExecutionStatusSchema, statusStore } from '@polybot/shared/status';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { createDashboardServer, type DashboardServer } from './server.js';

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
  dash = createDashboardServer({ redis, prefix, logger, auth, readOnly: true, pushMs: 300 });
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
  it('asks for credentials when they are configured', async () => {
    expect((await fetch(`${url}/`)).status).toBe(401);
    expect((await fetch(`${url}/queues`)).status).toBe(401);
    const ok = await fetch(`${url}/api/status`, { headers: { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } });
    expect(ok.status).toBe(200);
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
});
