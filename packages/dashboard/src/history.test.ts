/**
 * Trade history: the pure tables on a known order store, the /api endpoints (JSON and CSV), and
 * the status page's daily table and equity chart in Debian's Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { dailyOf, equityOf, toCsv, tradesOf } from './history.js';
import { readTradeHistory } from './historySource.js';
import { createDashboardServer, type DashboardServer } from './server.js';
import { DAY1, DAY2, writeHistoryFixture } from './testing/historyFixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-history-'));
writeHistoryFixture(dir);
const auth = { user: 'polybot', password: 'history-test-password' };
let redis: Redis;
let dash: DashboardServer;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  redis = createRedis(testRedisUrl());
  dash = createDashboardServer({
    redis,
    prefix: testPrefix('history'),
    logger: pino({ level: 'silent' }),
    auth,
    allowedHosts: ['127.0.0.1'],
    readOnly: true,
    dataDir: dir,
  });
  server = await dash.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (./polybot test installs it)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => server?.close(() => r()));
  await dash?.close();
  await redis?.quit();
});

const get = (p: string) => fetch(`${base}${p}`, { headers: { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } });

describe('trade history', () => {
  it('lists every standing fill and sums each UTC day: trades, fees, PnL of what settled, hit rate', () => {
    const h = readTradeHistory(dir);
    const trades = tradesOf(h);
    expect(trades.map((t) => t.orderId)).toEqual(['o1', 'o2', 'o3']); // the FAILED fill is not a trade
    expect(tradesOf(h, { market: 'btc' }).map((t) => t.orderId)).toEqual(['o1', 'o3']);
    expect(tradesOf(h, { sinceMs: DAY2 }).map((t) => t.orderId)).toEqual(['o2', 'o3']);
    const days = dailyOf(h);
    expect(days).toEqual([
      { day: '2026-12-01', trades: 1, volumeUsd: 5, feesUsd: 0.1, pnlUsd: 4.9, settled: 1, wins: 1, hitRate: 1, cumulativePnlUsd: 4.9 },
      { day: '2026-12-02', trades: 2, volumeUsd: 10, feesUsd: 0.2, pnlUsd: -0.2, settled: 2, wins: 1, hitRate: 0.5, cumulativePnlUsd: 4.7 },
    ]);
    expect(equityOf(h).map(([, v]) => v)).toEqual([4.9, 0.8, 4.7]);
    expect(toCsv([{ a: 'x,y', b: 'say "hi"', c: null }])).toBe('a,b,c\n"x,y","say ""hi""",\n');
    expect(DAY1).toBeLessThan(DAY2);
  });

  it('counts the PnL of pairs merged into pUSD on the day of the merge, as risk books it', () => {
    const h = readTradeHistory(dir);
    const merged = {
      ...h,
      merges: [
        {
          atMs: DAY1 + 3_600_000,
          market: `0x${'e'.repeat(64)}`,
          asset: 'ETH' as const,
          shares: 5,
          amountUsd: 5,
          costUsd: 4.6,
          feesUsd: 0.1,
          realisedPnlUsd: 0.3,
        },
      ],
    };
    expect(dailyOf(merged).map((d) => [d.day, d.pnlUsd, d.settled, d.wins, d.cumulativePnlUsd])).toEqual([
      ['2026-12-01', 5.2, 1, 1, 5.2],
      ['2026-12-02', -0.2, 2, 1, 5],
    ]);
    expect(equityOf(merged).map(([, v]) => v)).toEqual([4.9, 5.2, 1.1, 5]); // the merge an hour after the first settlement
    expect(dailyOf(merged, { market: 'BTC' }).map((d) => d.pnlUsd)).toEqual([4.9, 3.9]);
  });

  it('serves them under /api as JSON and CSV, behind the dashboard’s authentication', async () => {
    expect((await fetch(`${base}/api/daily`)).status).toBe(401);
    const daily = (await (await get('/api/daily')).json()) as Array<{ day: string; pnlUsd: number }>;
    expect(daily.map((d) => [d.day, d.pnlUsd])).toEqual([
      ['2026-12-01', 4.9],
      ['2026-12-02', -0.2],
    ]);
    const csv = await get('/api/trades?format=csv&market=ETH');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toMatch(/^time,atMs,day,orderId/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/,o2,/);
    expect((await get('/api/trades?since=notadate')).status).toBe(400);
    expect(((await (await get('/api/equity')).json()) as unknown[]).length).toBe(3);
  });

  it('shows the daily table and an equity chart with axes on the status page', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, httpCredentials: { username: auth.user, password: auth.password } });
    await page.goto(`${base}/`);
    await page.waitForSelector('#daily tbody tr[data-day]', { timeout: 20_000 });
    const rows = await page.$$eval('#daily tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim())));
    expect(rows).toEqual([
      ['2026-12-02', '2', '$10.00', '$0.20', '$-0.20', '2', '50.0 %', '$4.70'],
      ['2026-12-01', '1', '$5.00', '$0.10', '$4.90', '1', '100.0 %', '$4.90'],
    ]);
    expect(await page.$$eval('#equity-chart line.axis', (l) => l.length)).toBe(2);
    const yTicks = await page.$$eval('#equity-chart text.ytick', (t) => t.map((x) => x.textContent));
    expect(yTicks).toHaveLength(5);
    expect(yTicks.every((t) => /^\$-?\d+\.\d\d$/.test(t ?? ''))).toBe(true);
    expect(await page.$$eval('#equity-chart text.xtick', (t) => t.length)).toBe(4);
    expect(await page.$eval('#equity-chart polyline', (p) => p.getAttribute('points')?.split(' ').length)).toBe(3);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-daily.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
