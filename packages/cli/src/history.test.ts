/**
 * Trade history, the real way: the execution worker (compiled, as in production) places orders on
 * the sim venue, records their fills and settles their markets in its `orders.db`; then
 * `polybot trades` and `polybot daily` read that store. The numbers are checked against the
 * venue's own trades and winners, not against what the store says. Both sides of one market are
 * bought, so execution also merges pairs into pUSD: that PnL must be in the daily table too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openOrderHistory } from '@polybot/execution/store';
import { openSimMarkets } from '@polybot/execution/testing/simMarkets';
import type { OrderRequest } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const BIN = path.resolve(HERE, '../dist/polybot.js');
const WORKER = path.resolve(HERE, '../dist/worker.js');

const VenueOrdersSchema = z.object({
  orders: z.array(
    z.object({
      id: z.string(),
      conditionId: z.string(),
      outcome: z.string(),
      fills: z.array(z.object({ tradeId: z.string(), price: z.number(), size: z.number(), fee: z.number(), status: z.string() })),
    }),
  ),
});
const TradeSchema = z.object({
  orderId: z.string(),
  tradeId: z.string(),
  market: z.string(),
  asset: z.string(),
  price: z.number(),
  shares: z.number(),
  feeUsd: z.number(),
  status: z.string(),
  day: z.string(),
});
const DailySchema = z.object({
  day: z.string(),
  trades: z.number(),
  feesUsd: z.number(),
  pnlUsd: z.number(),
  settled: z.number(),
  wins: z.number(),
  hitRate: z.number().nullable(),
  cumulativePnlUsd: z.number(),
});

let venue: SimVenue;
let redis: Redis;
let child: ChildProcess | null = null;
let output = '';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-history-e2e-'));
const prefix = testPrefix('history-e2e');

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 60, assets: ['BTC', 'ETH'], seed: 23, misprice: 0 });
  redis = createRedis(testRedisUrl());
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  await redis?.quit();
  await venue?.close();
});

function polybot(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', POLYBOT_DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, `polybot ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (child?.exitCode !== null) throw new Error(`the execution worker exited while waiting for ${what}:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; worker output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('trade history from a run of the execution worker', () => {
  it('polybot trades and daily show the fills, merges and settlements execution wrote to orders.db', async () => {
    // The account: a deployed deposit wallet with its relayer key, so execution merges pairs
    // through the sim venue's relayer (as the Polymarket app sets an account up).
    const key = generatePrivateKey();
    const owner = privateKeyToAccount(key);
    writeFileSync(path.join(dataDir, 'sim-key.json'), JSON.stringify({ note: 'throwaway key for the sim venue only', privateKey: key }), { mode: 0o600 });
    const RelayerKeySchema = z.object({ apiKey: z.string(), depositWallet: z.string() });
    const k = RelayerKeySchema.parse(
      await (await fetch(`${venue.url}/sim/relayer-keys`, { method: 'POST', body: JSON.stringify({ address: owner.address }) })).json(),
    );
    await fetch(`${venue.url}/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', RELAYER_API_KEY: k.apiKey, RELAYER_API_KEY_ADDRESS: owner.address },
      body: JSON.stringify({ type: 'WALLET-CREATE', from: owner.address, to: '0x00000000000Fb5C9ADea0298D729A0CB3823Cc07' }),
    });
    const DeployedSchema = z.object({ deployed: z.boolean() });
    for (let i = 0; !DeployedSchema.parse(await (await fetch(`${venue.url}/deployed?address=${k.depositWallet}&type=WALLET`)).json()).deployed; i++) {
      if (i > 60) throw new Error('the sim deposit wallet was not deployed within 15 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    child = spawn(process.execPath, [WORKER, 'execution'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: testRedisUrl(),
        LOG_LEVEL: 'info',
        POLYBOT_METRICS_PORT: '0',
        POLYBOT_DATA_DIR: dataDir,
        POLYBOT_QUEUE_PREFIX: prefix,
        POLYBOT_CLOB_URL: venue.url,
        EXEC_POLL_MS: '300',
        EXEC_SETTLE_AFTER_MS: '0',
        EXEC_CANCEL_BEFORE_END_MS: '2000',
        EXEC_ACCOUNT_MS: '1000',
        POLYBOT_SIGNATURE_TYPE: '3',
        POLYBOT_FUNDER_ADDRESS: k.depositWallet,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await until('start-up', 30_000, () => (/execution running/.test(output) ? true : undefined));

    // In the window that ends soonest with time to fill (≥ 12 s left): Up and Down on BTC (execution
    // merges the pairs into pUSD, realising their PnL before resolution), Down only on ETH.
    const markets = openSimMarkets(venue, 12_000);
    const btc = markets.find((m) => m.asset === 'BTC')!;
    const eth = markets.find((m) => m.asset === 'ETH')!;
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    const sent: OrderRequest[] = [];
    try {
      for (const [i, [m, up]] of (
        [
          [btc, true],
          [btc, false],
          [eth, false],
        ] as const
      ).entries()) {
        const token = up ? m.upToken : m.downToken;
        const ask = venue.state.exchange.books.get(token)!.asks[0]!.price;
        const r: OrderRequest = {
          id: `sig-history-${i}`,
          signalId: `sig-history-${i}`,
          createdAtMs: Date.now(),
          conditionId: m.conditionId as `0x${string}`,
          asset: m.asset,
          outcome: up ? 'UP' : 'DOWN',
          tokenId: token,
          side: 'BUY',
          orderType: 'FAK',
          postOnly: false,
          price: Math.min(0.99, Number((ask + 0.05).toFixed(2))), // room for the maker's requotes before the taker delay ends
          size: Math.max(5, Math.ceil(1.5 / ask)),
          windowEndMs: m.endMs,
          tickSize: 0.01,
          minOrderSize: 5,
          negRisk: false,
          feeRate: 0.07,
          sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
        };
        await orders.add(r, r.id);
        sent.push(r);
      }
    } finally {
      await orders.close();
    }

    // Wait for the windows to end and execution to settle every market it holds a share of.
    const store = path.join(dataDir, 'orders.db');
    const endMs = Math.max(...markets.map((m) => m.endMs));
    const booked = await until('settlement of every filled market', endMs - Date.now() + 45_000, () => {
      if (!existsSync(store)) return undefined;
      const h = openOrderHistory(store);
      try {
        const recorded = h.orders();
        if (recorded.length < sent.length || recorded.some((o) => !['filled', 'canceled', 'rejected', 'expired'].includes(o.state))) return undefined;
        const held = new Set(recorded.filter((o) => o.filledSize > 0).map((o) => o.request.conditionId));
        const s = h.settlements();
        return held.size > 0 && [...held].every((c) => s.some((e) => e.conditionId === c)) ? { settlements: s, merges: h.merges() } : undefined;
      } finally {
        h.close();
      }
    });
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    const settled = booked.settlements;

    // What the venue says happened: its trades on our orders and each market's winner.
    const ours = new Set(sent.map((r) => r.conditionId as string));
    const venueOrders = VenueOrdersSchema.parse(await (await fetch(`${venue.url}/sim/orders`)).json()).orders.filter((o) => ours.has(o.conditionId));
    const venueTrades = venueOrders.flatMap((o) =>
      o.fills.filter((f) => f.status !== 'FAILED').map((f) => ({ ...f, conditionId: o.conditionId, outcome: o.outcome.toUpperCase() })),
    );
    expect(venueTrades.length).toBeGreaterThan(0);
    // Both sides of BTC filled: the pairs were merged, and the merge is in the history. Cash back
    // from a market is its winner's shares whether they were merged in pairs or paid at resolution,
    // so the expected PnL below is the same either way, and is met only if the merge is counted.
    const btcSides = new Set(venueOrders.filter((o) => o.conditionId === btc.conditionId && o.fills.some((f) => f.status !== 'FAILED')).map((o) => o.id));
    expect(btcSides.size, 'both BTC orders filled').toBe(2);
    expect(
      booked.merges.map((e) => e.conditionId),
      output
        .split('\n')
        .filter((l) => /money|merge|relayer/i.test(l))
        .join('\n'),
    ).toContain(btc.conditionId);

    const trades = z.array(TradeSchema).parse(JSON.parse(polybot(['trades', '--json'])));
    expect(trades.map((t) => [t.tradeId, t.market, t.price, t.shares, t.feeUsd, t.status]).sort()).toEqual(
      venueTrades.map((f) => [f.tradeId, f.conditionId, f.price, f.size, f.fee, 'CONFIRMED']).sort(),
    );
    const btcTrades = z.array(TradeSchema).parse(JSON.parse(polybot(['trades', '--json', '--market', 'BTC'])));
    expect(btcTrades.map((t) => t.tradeId).sort()).toEqual(
      trades
        .filter((t) => t.asset === 'BTC')
        .map((t) => t.tradeId)
        .sort(),
    );

    // Per UTC day: the realised PnL of each market is its winner's shares − cost − fees, at the venue.
    const expected = new Map<string, { trades: number; fees: number; pnl: number; settled: number; wins: number }>();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const row = (d: string) => expected.get(d) ?? expected.set(d, { trades: 0, fees: 0, pnl: 0, settled: 0, wins: 0 }).get(d)!;
    for (const t of trades) {
      row(t.day).trades += 1;
      row(t.day).fees += t.feeUsd;
    }
    for (const s of settled) {
      const m = venue.state.schedule.markets.get(s.conditionId)!;
      const winner = m.winner === 'Up' ? 'UP' : 'DOWN';
      const fills = venueTrades.filter((f) => f.conditionId === s.conditionId);
      const winning = fills.filter((f) => f.outcome === winner).reduce((a, f) => a + f.size, 0);
      const pnl = winning - fills.reduce((a, f) => a + f.size * f.price + f.fee, 0);
      expect(s.winner).toBe(winner);
      // A market's PnL is booked at its merges and at its settlement, each on its own UTC day.
      const mergePnl = booked.merges.filter((e) => e.conditionId === s.conditionId).map((e) => [e.atMs, e.amountUsd - e.costUsd - e.feesUsd] as const);
      for (const [at, p] of mergePnl) row(day(at)).pnl += p;
      const atSettlement = pnl - mergePnl.reduce((a, [, p]) => a + p, 0);
      expect(s.realisedPnlUsd).toBeCloseTo(atSettlement, 6);
      const d = row(day(s.atMs));
      d.pnl += atSettlement;
      d.settled += 1;
      if (atSettlement > 1e-9) d.wins += 1;
    }
    const daily = z.array(DailySchema).parse(JSON.parse(polybot(['daily', '--json'])));
    expect(daily.map((d) => d.day)).toEqual([...expected.keys()].sort());
    for (const d of daily) {
      const e = expected.get(d.day)!;
      expect(d.trades).toBe(e.trades);
      expect(d.feesUsd).toBeCloseTo(e.fees, 6);
      expect(d.pnlUsd).toBeCloseTo(e.pnl, 6);
      expect(d.settled).toBe(e.settled);
      expect(d.wins).toBe(e.wins);
      expect(d.hitRate).toBeCloseTo(e.wins / e.settled, 6);
    }
    expect(daily.at(-1)!.cumulativePnlUsd).toBeCloseTo(
      [...expected.values()].reduce((a, e) => a + e.pnl, 0),
      6,
    );
    const csv = polybot(['daily', '--csv']).trim().split('\n');
    expect(csv[0]).toBe('day,trades,volumeUsd,feesUsd,pnlUsd,settled,wins,hitRate,cumulativePnlUsd');
    expect(csv).toHaveLength(daily.length + 1);
  }, 150_000);
});
