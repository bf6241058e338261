/**
 * Money end to end, with SIGKILLs: the sim venue, execution and risk as separate processes on a
 * deposit-wallet account holding $20. Buys take pUSD out; the complete Up+Down pairs are merged back
 * into pUSD at once and the winning shares are redeemed after resolution, each through the relayer;
 * execution is SIGKILLed while the merge and while the redemption are in flight, and neither is lost
 * nor repeated. An order for more than the account holds is refused before it is signed, and the
 * ledger agrees with the venue throughout (no reconciliation trip) until $5 the bot does not know
 * of lands in the wallet, which trips it.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OrderSchema, type OrderRequest } from '@polybot/shared';
import { readOrders } from '@polybot/execution/store';
import { readBreaker } from '@polybot/shared/breaker';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { freePort, spawnRedisServer, type SpawnedRedis } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { pino } from 'pino';
import { Stack, waitForHttp } from '../stack.js';

const prefix = testPrefix('money');
let stack: Stack;
let venueUrl: string;
let dataDir: string;
let wallet: string;
let redis: Redis;
let server: SpawnedRedis;
let orders: Producer<'orders'>;
const lines: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const get = async (p: string) => (await fetch(`${venueUrl}${p}`)).json() as Promise<any>;
const pusd = async () => Number((await get(`/sim/accounts/${wallet}`)).pusd);

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${lines.slice(-30).join('\n')}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-money-'));
  const key = generatePrivateKey();
  const owner = privateKeyToAccount(key);
  writeFileSync(path.join(dataDir, 'sim-key.json'), JSON.stringify({ note: 'throwaway key for the sim venue only', privateKey: key }), { mode: 0o600 });
  const port = await freePort();
  venueUrl = `http://127.0.0.1:${port}`;
  server = await spawnRedisServer();
  redis = createRedis(server.url);
  stack = new Stack({
    env: {
      REDIS_URL: server.url,
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: dataDir,
      POLYBOT_VENUE: 'sim',
      SIM_VENUE_PORT: String(port),
      SIM_WINDOW_SECONDS: '60',
      SIM_SEED: '5',
      SIM_MISPRICE_PROB: '0',
      SIM_START_BALANCE_USD: '20',
      LOG_LEVEL: 'info',
      POLYBOT_METRICS_PORT: '0',
    },
    logDir: path.join(dataDir, 'logs'),
    restart: true,
    onLine: (name, line) => lines.push(`${name} ${line}`),
  });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`${venueUrl}/healthz`, 20_000);
  // The account: a deployed deposit wallet with its relayer key (what the Polymarket app sets up).
  const k = (await (await fetch(`${venueUrl}/sim/relayer-keys`, { method: 'POST', body: JSON.stringify({ address: owner.address }) })).json()) as {
    apiKey: string;
    depositWallet: string;
  };
  wallet = k.depositWallet;
  await fetch(`${venueUrl}/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', RELAYER_API_KEY: k.apiKey, RELAYER_API_KEY_ADDRESS: owner.address },
    body: JSON.stringify({ type: 'WALLET-CREATE', from: owner.address, to: '0x00000000000Fb5C9ADea0298D729A0CB3823Cc07' }),
  });
  await until('the deposit wallet deployed', async () => (await get(`/deployed?address=${wallet}&type=WALLET`)).deployed === true, 15_000);
  const common = { POLYBOT_SIGNATURE_TYPE: '3', POLYBOT_FUNDER_ADDRESS: wallet, RISK_BANKROLL_USD: '20' };
  stack.add({ kind: 'risk', index: 0, env: { ...common, RISK_RECONCILE_MS: '3000', RISK_MAX_ORACLE_AGE_MS: '60000' } });
  stack.add({
    kind: 'execution',
    index: 0,
    env: {
      ...common,
      EXEC_SETTLE_AFTER_MS: '1000',
      EXEC_ACCOUNT_MS: '1000',
      EXEC_MAX_ORDER_USD: '1000',
      EXEC_MAX_MARKET_EXPOSURE_USD: '1000',
      EXEC_MAX_TOTAL_EXPOSURE_USD: '1000',
    },
  });
  orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
  await until('execution running', async () => lines.some((l) => l.startsWith('execution') && l.includes('execution running')), 60_000);
}, 120_000);

afterAll(async () => {
  await orders?.close();
  await stack?.stop(10_000);
  await redis?.quit();
  await server?.stop();
});

function request(
  id: string,
  m: { conditionId: string; upToken: string; downToken: string; endMs: number },
  outcome: 'UP' | 'DOWN',
  price: number,
  size: number,
): OrderRequest {
  return {
    id,
    signalId: id,
    createdAtMs: Date.now(),
    conditionId: m.conditionId as `0x${string}`,
    asset: 'BTC',
    outcome,
    tokenId: outcome === 'UP' ? m.upToken : m.downToken,
    side: 'BUY',
    orderType: 'FAK',
    postOnly: false,
    price,
    size,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 20, kellyFraction: 0, notionalUsd: price * size, cappedBy: null },
  };
}

const MoneyFile = z
  .object({
    actions: z.array(
      z
        .object({ id: z.string(), kind: z.string(), state: z.string(), shares: z.number(), amountUsd: z.number(), transactionId: z.string().nullable() })
        .passthrough(),
    ),
  })
  .passthrough();
const money = () => {
  const f = path.join(dataDir, 'money.json');
  return existsSync(f) ? MoneyFile.parse(JSON.parse(readFileSync(f, 'utf8'))).actions : [];
};
const executed = async (actionId: string) =>
  ((await get('/sim/relayer')).transactions as Array<{ metadata: string; state: string; wallet: string }>).filter(
    (t) => t.metadata.includes(actionId) && (t.state === 'STATE_MINED' || t.state === 'STATE_CONFIRMED'),
  );

describe('money end to end', () => {
  it('buys spend pUSD, merges and redemptions bring it back once each through SIGKILLs, and nothing trades beyond the account', async () => {
    const ask = async (token: string) => {
      const b = (await get(`/book?token_id=${token}`)) as { asks: Array<{ price: string }> };
      return Number(b.asks.at(-1)!.price);
    };
    // A BTC window with time left to buy, merge, and push the price before it ends, whose books are
    // near even: a one-sided window (Up at 0.05) would make "100 Up" cost $5, which the $20 account
    // can pay (on main this scenario once failed exactly so: the "too big" order was filled), and a
    // side asked above 0.92 could not be bought at the 0.95 cap.
    const m = await until(
      'a BTC window with 40 s left and both asks between 0.25 and 0.75',
      async () => {
        const list = (await get('/markets?limit=50')) as Array<{ conditionId: string; clobTokenIds: string; endDate: string; eventStartTime: string }>;
        const now = Date.now();
        const hit = list.find((x) => Date.parse(x.eventStartTime) <= now - 1_000 && Date.parse(x.endDate) - now > 40_000);
        if (!hit) return null;
        const [upToken, downToken] = JSON.parse(hit.clobTokenIds) as [string, string];
        const asks = [await ask(upToken), await ask(downToken)];
        if (asks.some((a) => a < 0.25 || a > 0.75)) return null;
        return { conditionId: hit.conditionId, upToken, downToken, endMs: Date.parse(hit.endDate) };
      },
      150_000,
    );
    const start = await pusd();
    expect(start).toBe(20);
    // Limits 15 cents through the asks, so that the FAKs meet the maker's requotes during the taker
    // delay (a 60 s window's book moves cents a second); they fill at the asks, not at the limits.
    const [askUp, askDown] = [await ask(m.upToken), await ask(m.downToken)];
    const up = Math.min(0.95, Math.round(askUp * 100 + 15) / 100);
    const down = Math.min(0.95, Math.round(askDown * 100 + 15) / 100);
    // More than the account holds at any price from the ask up ($30 or more against $20): refused by
    // execution before it is signed.
    const tooBigShares = Math.ceil(30 / askUp);
    expect(tooBigShares * askUp).toBeGreaterThan(start);
    await orders.add(request('too-big', m, 'UP', up, tooBigShares), 'too-big');
    await orders.add(request('buy-up', m, 'UP', up, 8), 'buy-up');
    await orders.add(request('buy-down', m, 'DOWN', down, 5), 'buy-down');

    // The buys reach the chain: pUSD falls by what they cost.
    const afterBuys = await until('the buys on chain', async () => ((await pusd()) < start - 5 ? pusd() : null), 30_000);
    const venueOrders = (await get('/sim/orders')).orders as Array<{ id: string; side: string; price: number; sizeMatched: number }>;
    expect(venueOrders.length).toBe(2); // the oversized one never reached the venue
    const tooBig = z
      .array(OrderSchema)
      .parse(readOrders(path.join(dataDir, 'orders.db')))
      .find((o) => o.request.id === 'too-big');
    expect(tooBig?.state).toBe('rejected');
    expect(tooBig?.history.at(-1)?.note).toMatch(/available/);

    // The 5 complete pairs are merged; execution is SIGKILLed while the merge is in flight.
    await until('a merge submitted', async () => lines.some((l) => l.startsWith('execution') && l.includes('merge submitted to the relayer')), 30_000);
    stack.kill('execution');
    const merge = await until('the merge confirmed after the restart', async () => money().find((a) => a.kind === 'merge' && a.state === 'confirmed'), 40_000);
    expect(merge.shares).toBe(5);
    expect(await executed(merge.id)).toHaveLength(1);
    const afterMerge = await until('pUSD up by the merge', async () => ((await pusd()) >= afterBuys + 5 - 1e-9 ? pusd() : null), 10_000);
    expect(afterMerge).toBeCloseTo(afterBuys + 5, 6);

    // Up wins (the price far above the strike into the close); the 3 unmatched Up shares are redeemed.
    await fetch(`${venueUrl}/sim/oracle/BTC/jump`, { method: 'POST', body: JSON.stringify({ pct: 30 }) });
    await until('a redemption submitted', async () => lines.some((l) => l.startsWith('execution') && l.includes('redeem submitted to the relayer')), 90_000);
    stack.kill('execution');
    const redeem = await until(
      'the redemption confirmed after the restart',
      async () => money().find((a) => a.kind === 'redeem' && a.state === 'confirmed'),
      40_000,
    );
    expect(redeem.shares).toBe(3);
    expect(await executed(redeem.id)).toHaveLength(1);
    expect(await pusd()).toBeCloseTo(afterMerge + 3, 6);
    // Exactly one of each in money.json, and the venue holds no more tokens of the market.
    expect(money().filter((a) => a.kind === 'merge')).toHaveLength(1);
    expect(money().filter((a) => a.kind === 'redeem')).toHaveLength(1);
    expect(Object.keys((await get(`/sim/accounts/${wallet}`)).tokens)).toEqual([]);
    // Both kills landed and the supervisor restarted execution each time.
    expect(stack.procs.find((p) => p.name === 'execution')!.restarts).toBeGreaterThanOrEqual(2);
    // The ledger agreed with the venue all along.
    expect((await readBreaker(redis, prefix, Date.now())).state).toBe('closed');
    // And a real difference trips it: $5 lands in the wallet that the bot knows nothing of (a deposit).
    await fetch(`${venueUrl}/sim/accounts/${wallet}`, { method: 'POST', body: JSON.stringify({ balanceUsd: (await pusd()) + 5 }) });
    const tripped = await until(
      'the reconciliation trip',
      async () => {
        const b = await readBreaker(redis, prefix, Date.now());
        return b.state === 'open' ? b : null;
      },
      30_000,
    );
    expect(tripped.state === 'open' && tripped.kind).toBe('reconciliation');
    expect(tripped.state === 'open' && tripped.reason).toMatch(/disagree by \$-5\.00/);
  }, 300_000);
});
