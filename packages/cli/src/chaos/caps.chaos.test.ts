/**
 * Execution is the last line: order jobs put straight into the `orders` queue, with no strategy and
 * no risk process at all — an order 1,000 times a normal size, one created 15 minutes ago, and a
 * burst of 30 concurrent ones ($240 against caps of $25 a market and $40 in all), in two waves so that
 * both caps bind: ten on one market, then twenty over two others — and
 * the sim venue's own record (/sim/orders) shows nothing beyond execution's caps: no order over the
 * per-order notional, no market over its exposure, no more than the total exposure.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Order, OrderRequest } from '@polybot/shared';
import { readOrders } from '@polybot/execution/store';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { freePort, spawnRedisServer, type SpawnedRedis } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { Stack, waitForHttp } from '../stack.js';

const CAPS = { order: 10, market: 25, total: 40 };
const PRICE = 0.1; // well under the books: every order the venue takes rests, so all of it is exposure
const SIZE = 80; // $8 an order: three fit in a market ($24), five in total ($40)
const prefix = testPrefix('caps');
const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-caps-'));
const lines: string[] = [];
let server: SpawnedRedis;
let redis: Redis;
let stack: Stack;
let orders: Producer<'orders'>;
let venueUrl: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const VenueOrders = z.object({
  orders: z.array(
    z
      .object({ id: z.string(), conditionId: z.string(), price: z.number(), originalSize: z.number(), sizeMatched: z.number(), status: z.string() })
      .passthrough(),
  ),
});
const GammaMarkets = z.array(
  z.object({ conditionId: z.string(), question: z.string(), clobTokenIds: z.string(), endDate: z.string(), eventStartTime: z.string() }).passthrough(),
);
const Book = z.object({ asks: z.array(z.object({ price: z.string() }).passthrough()) }).passthrough();

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${lines.slice(-30).join('\n')}`);
    await sleep(250);
  }
}
const venueOrders = async () => VenueOrders.parse(await (await fetch(`${venueUrl}/sim/orders`)).json()).orders;
const stored = (): Order[] => (existsSync(path.join(dir, 'orders.db')) ? readOrders(path.join(dir, 'orders.db')) : []);

beforeAll(async () => {
  server = await spawnRedisServer();
  redis = createRedis(server.url);
  const port = await freePort();
  venueUrl = `http://127.0.0.1:${port}`;
  stack = new Stack({
    env: {
      REDIS_URL: server.url,
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: dir,
      POLYBOT_VENUE: 'sim',
      SIM_VENUE_PORT: String(port),
      SIM_WINDOW_SECONDS: '900',
      SIM_ASSETS: 'BTC,ETH,SOL',
      SIM_SEED: '7',
      SIM_MISPRICE_PROB: '0',
      LOG_LEVEL: 'info',
      POLYBOT_METRICS_PORT: '0',
      EXEC_MAX_ORDER_USD: String(CAPS.order),
      EXEC_MAX_MARKET_EXPOSURE_USD: String(CAPS.market),
      EXEC_MAX_TOTAL_EXPOSURE_USD: String(CAPS.total),
      EXEC_MAX_ORDER_AGE_MS: '30000',
    },
    logDir: path.join(dir, 'logs'),
    restart: true,
    onLine: (name, line) => lines.push(`${name} ${line}`),
  });
  // The venue and execution only: nothing upstream of the queue checks anything.
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`${venueUrl}/healthz`, 30_000);
  stack.add({ kind: 'execution', index: 0, env: {} });
  orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
  await until('execution running', async () => lines.some((l) => l.startsWith('execution') && l.includes('execution running')), 60_000);
}, 120_000);

afterAll(async () => {
  await orders?.close();
  await stack?.stop(10_000);
  await redis?.quit();
  await server?.stop();
});

interface Market {
  conditionId: string;
  asset: 'BTC' | 'ETH' | 'SOL';
  tokenId: string;
  outcome: 'UP' | 'DOWN';
  endMs: number;
}

function request(id: string, m: Market, over: Partial<OrderRequest> = {}): OrderRequest {
  return {
    id,
    signalId: id,
    createdAtMs: Date.now(),
    conditionId: m.conditionId as `0x${string}`,
    asset: m.asset,
    outcome: m.outcome,
    tokenId: m.tokenId,
    side: 'BUY',
    orderType: 'GTC',
    postOnly: true,
    price: PRICE,
    size: SIZE,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: PRICE * SIZE, cappedBy: null },
    ...over,
  };
}

describe('nothing beyond execution’s caps reaches the venue', () => {
  it('an oversized order, a stale order and a burst of concurrent orders, straight into the queue', async () => {
    // Three windows (one per asset) with time left, and in each an outcome whose asks are well above
    // our bids, so every order rests.
    const markets = await until(
      'three windows with 60 s left and an outcome asked over 0.2',
      async () => {
        const now = Date.now();
        const list = GammaMarkets.parse(await (await fetch(`${venueUrl}/markets?limit=50`)).json()).filter(
          (x) => Date.parse(x.eventStartTime) <= now - 1_000 && Date.parse(x.endDate) - now > 60_000,
        );
        const out: Market[] = [];
        for (const x of list) {
          const tokens = z.tuple([z.string(), z.string()]).parse(JSON.parse(x.clobTokenIds));
          for (const [i, token] of tokens.entries()) {
            const book = Book.parse(await (await fetch(`${venueUrl}/book?token_id=${token}`)).json());
            if (book.asks.length > 0 && book.asks.every((a) => Number(a.price) > 0.2)) {
              const asset = z.enum(['BTC', 'ETH', 'SOL']).parse(x.question.split(' ')[0]);
              out.push({ conditionId: x.conditionId, asset, tokenId: token, outcome: i === 0 ? 'UP' : 'DOWN', endMs: Date.parse(x.endDate) });
              break;
            }
          }
        }
        return out.length >= 3 ? out.slice(0, 3) : null;
      },
      150_000,
    );
    const before = (await venueOrders()).length;
    expect(before).toBe(0);

    // 1,000 times a normal order ($1,149 against a $10 cap), and a $5 order created 15 minutes ago.
    const oversized = request('caps-oversized', markets[0]!, { size: 11_490 });
    const stale = request('caps-stale', markets[1]!, { size: 50, createdAtMs: Date.now() - 15 * 60_000 });
    // Orders of $8 added all at once, as many risk replicas could: ten on one market (three fit its
    // $25), then twenty over the other two (two more fit the $40 in all).
    const first = Array.from({ length: 10 }, (_, i) => request(`caps-burst-a${i}`, markets[0]!));
    const second = Array.from({ length: 20 }, (_, i) => request(`caps-burst-b${i}`, markets[1 + (i % 2)]!));
    const burst = [...first, ...second];
    /** Every job of `ids` decided (placed or refused, and recorded either way). */
    const decided = (ids: string[]) =>
      until(
        `${ids.length} jobs recorded`,
        async () => {
          const s = stored().filter((o) => ids.includes(o.request.id));
          return s.length === ids.length && s.every((o) => o.state !== 'new' && o.state !== 'submitted') ? s : null;
        },
        60_000,
      );
    await Promise.all([oversized, stale, ...first].map((r) => orders.add(r, r.id)));
    await decided([oversized, stale, ...first].map((r) => r.id));
    await Promise.all(second.map((r) => orders.add(r, r.id)));
    const all = await decided([oversized, stale, ...burst].map((r) => r.id));
    await sleep(1_000); // a last poll: nothing more goes out

    const venue = await venueOrders();
    const notional = (v: (typeof venue)[number]) => v.price * v.originalSize;
    const exposure = (v: (typeof venue)[number]) => v.price * (v.status === 'LIVE' ? v.originalSize : v.sizeMatched);
    const perMarket = new Map<string, number>();
    for (const v of venue) perMarket.set(v.conditionId, (perMarket.get(v.conditionId) ?? 0) + exposure(v));
    const total = [...perMarket.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(
      `[chaos] caps                        venue orders=${venue.length} largest=$${Math.max(0, ...venue.map(notional)).toFixed(2)} ` +
        `per market=${[...perMarket.values()].map((v) => `$${v.toFixed(2)}`).join(',')} total=$${total.toFixed(2)} ` +
        `refused=${all.filter((o) => o.state === 'rejected').length}\n`,
    );

    // The venue's own record: no order over the per-order cap, no market over its cap, the total within its cap.
    for (const v of venue) expect(notional(v), v.id).toBeLessThanOrEqual(CAPS.order + 1e-9);
    for (const [cid, usd] of perMarket) expect(usd, cid).toBeLessThanOrEqual(CAPS.market + 1e-9);
    expect(total).toBeLessThanOrEqual(CAPS.total + 1e-9);
    expect(venue.some((v) => v.originalSize === oversized.size)).toBe(false);
    expect(venue.some((v) => v.originalSize === stale.size)).toBe(false);
    // The caps bound, not a lack of orders: as many $8 orders as $40 allows went out, none more.
    expect(venue).toHaveLength(5);
    expect(perMarket.get(markets[0]!.conditionId)).toBeCloseTo(24, 9); // the market cap bound there

    // And execution's own record says why each other one was refused.
    const byId = new Map(all.map((o) => [o.request.id, o]));
    expect(byId.get('caps-oversized')!.state).toBe('rejected');
    expect(byId.get('caps-oversized')!.history.at(-1)!.note).toMatch(/hard limit: order notional \$1149\.00 is over the \$10\.00 maximum per order/);
    expect(byId.get('caps-stale')!.state).toBe('rejected');
    expect(byId.get('caps-stale')!.history.at(-1)!.note).toMatch(/hard limit: order is \d+ ms old, over the 30000 ms maximum/);
    const refused = (rs: OrderRequest[]) => rs.map((r) => byId.get(r.id)!).filter((o) => o.state === 'rejected');
    expect(refused(first)).toHaveLength(7);
    for (const o of refused(first))
      expect(o.history.at(-1)!.note).toMatch(/hard limit: market exposure would be \$32\.00 .* over the \$25\.00 maximum per market/);
    expect(refused(second)).toHaveLength(18);
    for (const o of refused(second)) expect(o.history.at(-1)!.note).toMatch(/hard limit: total exposure would be \$48\.00 .* over the \$40\.00 maximum/);
    const placed = all.filter((o) => o.venueOrderId !== null && o.venueOrderId !== undefined);
    expect(new Set(placed.map((o) => o.venueOrderId))).toEqual(new Set(venue.map((v) => v.id)));
  }, 240_000);
});
