/**
 * Where an order's time goes inside execution, step by step, and the floors no code change removes.
 *
 * Steps: the real `ExecutionEngine`, `OrderManager` on the worker's SQLite store (`orders.db`) and
 * clob-client-v2 port against a sim venue, one marketable order at a time, each step timed around
 * the call (sign: the client building and EIP-712-signing the order plus our order hash; persist: one
 * store commit, a transaction with synchronous=FULL;
 * post: the client's L2 headers, the HTTP round trip and the venue's own checks; reconcile: the
 * order and trades read after the answer; place: the whole job). The sim's taker delay is off here
 * (`takerDelayMs: 0`): it is the venue's own wait before a marketable order matches (the worker
 * does not hold the job for it: a `delayed` answer is reconciled by the poll), and with it a FAK
 * would be answered before it filled, so the steps after the answer would not be measured.
 *
 * Floors: an EIP-712 signature alone (viem, as the client uses), its verification alone (signer
 * recovery, what the sim venue does for each POST /order), and one durable write (temp file, fsync,
 * rename, fsync of the directory, what every orders.json commit does) of a small file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { recoverTypedDataAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { OrderRequest } from '@polybot/shared';
import { ExecutionEngine, OrderManager, type ClobPort } from '@polybot/execution';
import { openOrderStore, writeJsonAtomic } from '@polybot/execution/store';
import { createClobV2Port, exchangeDomain, ORDER_STRUCT, simWallet } from '@polybot/execution/venue';
import { startSimVenue } from '@polybot/sim-venue';
import { percentiles, type Percentiles } from './stats.js';

export interface ExecSteps {
  orders: number;
  steps: Record<'sign' | 'persist' | 'post' | 'reconcile' | 'place', Percentiles>;
  floors: Record<'eip712Sign' | 'eip712Verify' | 'durableWrite', Percentiles>;
}

// The order as execution signs it: its own struct and exchange domain, so the floor is the bot's.
const ORDER_TYPES = { Order: ORDER_STRUCT } as const;

async function floors(n: number): Promise<ExecSteps['floors']> {
  const account = privateKeyToAccount(generatePrivateKey());
  const zero = `0x${'0'.repeat(64)}` as Hex;
  const typed = (i: number) => ({
    domain: exchangeDomain(false),
    types: ORDER_TYPES,
    primaryType: 'Order' as const,
    message: {
      salt: BigInt(1_000 + i),
      maker: account.address,
      signer: account.address,
      tokenId: 123456789n,
      makerAmount: 2_500_000n,
      takerAmount: 5_000_000n,
      side: 0,
      signatureType: 0,
      timestamp: BigInt(Date.now()),
      metadata: zero,
      builder: zero,
    },
  });
  const sign: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = typed(i);
    let s = performance.now();
    const signature = await account.signTypedData(t);
    sign.push(performance.now() - s);
    s = performance.now();
    const who = await recoverTypedDataAddress({ ...t, signature });
    verify.push(performance.now() - s);
    if (who !== account.address) throw new Error('signature did not verify');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-fsync-'));
  const write: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    writeJsonAtomic(path.join(dir, 'f.json'), { i, order: typed(i).message.salt.toString() });
    write.push(performance.now() - s);
  }
  rmSync(dir, { recursive: true, force: true });
  return { eip712Sign: percentiles(sign), eip712Verify: percentiles(verify), durableWrite: percentiles(write) };
}

/** `n` marketable orders one after another through the engine, each step timed. */
export async function executionSteps(n = 150): Promise<ExecSteps> {
  const venue = await startSimVenue({ port: 0, windowSeconds: 900, assets: ['BTC', 'ETH', 'SOL', 'XRP'], seed: 3, misprice: 0, takerDelayMs: 0 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-exec-'));
  try {
    const logger = pino({ level: 'silent' });
    const key = generatePrivateKey();
    const port = await createClobV2Port({ host: venue.url, privateKey: key, timeoutMs: 10_000, ...(await simWallet(venue.url, key)) });
    const t: Record<string, number[]> = { sign: [], persist: [], post: [], reconcile: [], place: [] };
    const timed =
      <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        const s = performance.now();
        try {
          return await fn(...a);
        } finally {
          t[name]!.push(performance.now() - s);
        }
      };
    let inRecon = false;
    const wrapped: ClobPort = {
      ...port,
      sign: timed('sign', port.sign.bind(port)),
      post: timed('post', port.post.bind(port)),
      // getOrder then the trades: one reconciliation after the answer.
      getOrder: async (id) => {
        inRecon = true;
        const s = performance.now();
        const v = await port.getOrder(id);
        t.reconcile!.push(performance.now() - s);
        return v;
      },
      tradesFor: async (c) => {
        const s = performance.now();
        const v = await port.tradesFor(c);
        if (inRecon) t.reconcile![t.reconcile!.length - 1]! += performance.now() - s;
        inRecon = false;
        return v;
      },
    };
    const store = openOrderStore(path.join(dir, 'orders.db'));
    const manager = new OrderManager(store, logger);
    const commit = manager.commit.bind(manager);
    manager.commit = (nowMs: number) => {
      const s = performance.now();
      commit(nowMs);
      t.persist!.push(performance.now() - s);
    };
    const engine = new ExecutionEngine(manager, wrapped, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 }, logger, async () => false);
    for (let i = 0; i < n; i++) {
      const open = [...venue.state.schedule.markets.values()].filter((m) => !m.closed && m.endMs > Date.now() + 60_000);
      const m = open[i % open.length];
      if (!m) throw new Error('no open sim market');
      const ask = venue.state.exchange.books.get(m.upToken)?.asks[0]?.price;
      if (ask === undefined) throw new Error('no ask in the sim book');
      const r: OrderRequest = {
        id: `bench-${i}`,
        signalId: `bench-${i}`,
        createdAtMs: Date.now(),
        conditionId: m.conditionId,
        asset: m.asset,
        outcome: 'UP',
        tokenId: m.upToken,
        side: 'BUY',
        orderType: 'FAK',
        postOnly: false,
        price: ask,
        size: Math.max(5, Math.ceil(1.5 / ask)),
        windowEndMs: m.endMs,
        tickSize: 0.01,
        minOrderSize: 5,
        negRisk: false,
        feeRate: 0.07,
        sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
      };
      const s = performance.now();
      const res = await engine.place(r);
      t.place!.push(performance.now() - s);
      if (i === 0 && res !== 'filled' && res !== 'partially_filled') throw new Error(`bench order not filled: ${res}`);
    }
    store.close();
    const steps = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, percentiles(v)])) as ExecSteps['steps'];
    return { orders: n, steps, floors: await floors(n) };
  } finally {
    await venue.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
