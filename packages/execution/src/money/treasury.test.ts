import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { OrderManager } from '../orderManager.js';
import { createRelayer, type RelayerPort } from '../venue/relayer.js';
import { venueAccount } from './account.js';
import { MoneyStore } from './store.js';
import { Treasury, type BalanceReader } from './treasury.js';

// The treasury against the sim venue's relayer and chain: merges, redemptions, a revert, and a
// crash on either side of the submit, each leaving exactly one executed transaction.
const logger = pino({ level: 'silent' });
let venue: SimVenue;
beforeAll(async () => {
  venue = await startSimVenue({
    port: 0,
    windowSeconds: 60,
    assets: ['BTC'],
    seed: 21,
    misprice: 0,
    relayerTiming: { executeMs: 50, mineMs: 100, confirmMs: 200 },
  });
});
afterAll(async () => venue?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function account() {
  const owner = privateKeyToAccount(generatePrivateKey());
  const res = await fetch(`${venue.url}/sim/relayer-keys`, { method: 'POST', body: JSON.stringify({ address: owner.address }) });
  const key = (await res.json()) as { apiKey: string; depositWallet: string };
  venue.state.relayer.deploy(owner.address);
  const relayer = createRelayer({ url: venue.url, account: owner, wallet: key.depositWallet, apiKey: key.apiKey, apiKeyAddress: owner.address });
  return { owner, wallet: key.depositWallet, relayer };
}

function market() {
  const now = Date.now();
  return [...venue.state.schedule.markets.values()].find((m) => !m.closed && m.startMs <= now)!;
}

function request(id: string, m: ReturnType<typeof market>, outcome: 'UP' | 'DOWN', price: number, size: number): OrderRequest {
  return {
    id,
    signalId: id,
    createdAtMs: 1,
    conditionId: m.conditionId,
    asset: 'BTC',
    outcome,
    tokenId: outcome === 'UP' ? m.upToken : m.downToken,
    side: 'BUY',
    orderType: 'FOK',
    postOnly: false,
    price,
    size,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0, notionalUsd: price * size, cappedBy: null },
  };
}

/** Fills the bot recorded, and the same shares in the wallet on the sim's chain. */
function holding(wallet: string, m: ReturnType<typeof market>, up: number, down: number) {
  const manager = new OrderManager(null, logger);
  const now = Date.now();
  for (const [outcome, shares, price] of [
    ['UP', up, 0.4],
    ['DOWN', down, 0.5],
  ] as const) {
    if (shares <= 0) continue;
    const id = `o-${outcome}-${Math.random().toString(36).slice(2, 8)}`;
    manager.create(request(id, m, outcome, price, shares), `0x${id}`, {}, now);
    manager.applyFill(id, { tradeId: `t-${id}`, size: shares, price, fee: 0.01, status: 'CONFIRMED', atMs: now }, now);
    venue.state.chain.settleTrade(
      wallet,
      'BUY',
      outcome === 'UP' ? m.upToken : m.downToken,
      BigInt(shares * 1e6),
      BigInt(Math.round(shares * price * 1e6)),
      10_000n,
    );
  }
  return manager;
}

const reader =
  (wallet: string): BalanceReader =>
  async (asset) => ({
    balance: asset.kind === 'collateral' ? venue.state.chain.balance(wallet) : venue.state.chain.tokenBalance(wallet, asset.tokenId),
    allowances: {},
  });

async function run(t: Treasury, until: () => boolean) {
  for (let i = 0; i < 60 && !until(); i++) {
    await t.plan(Date.now());
    await t.step(Date.now());
    await sleep(100);
  }
}

const executed = (wallet: string, id: string) =>
  venue.state.relayer.txs.filter(
    (t) => t.wallet.toLowerCase() === wallet.toLowerCase() && t.metadata.includes(id) && (t.state === 'STATE_MINED' || t.state === 'STATE_CONFIRMED'),
  );

describe('treasury', () => {
  it('merges the complete pairs and keeps the unmatched side as a position; the event carries the cost', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 10, 6);
    const before = venue.state.chain.balance(wallet);
    const store = new MoneyStore(null);
    const t = new Treasury(manager, store, relayer, reader(wallet), async () => null, logger);
    await run(t, () => store.actions().some((a) => a.state === 'confirmed'));
    const a = store.actions()[0]!;
    expect(a).toMatchObject({ kind: 'merge', shares: 6, amountUsd: 6, state: 'confirmed' });
    expect(a.costUsd).toBeCloseTo(6 * 0.4 + 6 * 0.5, 6);
    expect(venue.state.chain.balance(wallet) - before).toBe(6_000_000n);
    expect(venue.state.chain.tokenBalance(wallet, m.upToken)).toBe(4_000_000n);
    expect(venue.state.chain.tokenBalance(wallet, m.downToken)).toBe(0n);
    expect(store.outbox()).toEqual([expect.objectContaining({ type: 'merge', shares: 6, amountUsd: 6, transactionId: a.transactionId })]);
    const left = t.positions();
    expect(left.find((p) => p.outcome === 'UP')!.confirmed).toBe(4);
    expect(left.find((p) => p.outcome === 'DOWN')!.confirmed).toBe(0);
    // Nothing more to merge: a second pass plans nothing.
    await t.plan(Date.now());
    expect(store.actions()).toHaveLength(1);
    expect(executed(wallet, a.id)).toHaveLength(1);
  });

  it('counts a merge from when it is seen mined: the event goes out then, once, and the action confirms later', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 5, 5);
    // The relayer answers STATE_MINED twice before its CONFIRMED (confirmations take a while on Polygon).
    let minedAnswers = 0;
    const slow: RelayerPort = {
      ...relayer,
      transaction: async (id) => {
        const tx = await relayer.transaction(id);
        if (tx && (tx.state === 'STATE_MINED' || tx.state === 'STATE_CONFIRMED') && minedAnswers < 2) {
          minedAnswers++;
          return { ...tx, state: 'STATE_MINED' };
        }
        return tx;
      },
    };
    const store = new MoneyStore(null);
    const t = new Treasury(manager, store, slow, reader(wallet), async () => null, logger);
    await run(t, () => store.actions().some((a) => a.minedAtMs !== null));
    const a = store.actions()[0]!;
    expect(a.state).toBe('submitted');
    expect(store.outbox()).toEqual([expect.objectContaining({ type: 'merge', id: a.id, shares: 5, amountUsd: 5 })]);
    await run(t, () => a.state === 'confirmed');
    expect(a.state).toBe('confirmed');
    expect(a.history.map((h) => h.note).filter((n) => n.startsWith('mined'))).toHaveLength(1);
    expect(store.outbox().filter((e) => e.type === 'merge')).toHaveLength(1);
    expect(executed(wallet, a.id)).toHaveLength(1);
  });

  it('a crash after the relayer accepted, before it was recorded: found by its signature, never sent twice', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 5, 5);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'money-')), 'money.json');
    const crashing: RelayerPort = {
      ...relayer,
      submit: async (b) => {
        await relayer.submit(b);
        throw new Error('SIGKILL after the relayer accepted');
      },
    };
    const first = new Treasury(manager, new MoneyStore(file), crashing, reader(wallet), async () => null, logger);
    await first.plan(Date.now());
    await expect(first.step(Date.now())).rejects.toThrow(/SIGKILL/);
    // A new process reads money.json: the batch is `signed`, its fate unknown.
    const store = new MoneyStore(file);
    expect(store.actions()[0]!.state).toBe('signed');
    const second = new Treasury(manager, store, relayer, reader(wallet), async () => null, logger);
    await run(second, () => store.actions()[0]!.state === 'confirmed');
    expect(
      store
        .actions()[0]!
        .history.map((h) => h.note)
        .join(' | '),
    ).toMatch(/found at the relayer/);
    expect(executed(wallet, store.actions()[0]!.id)).toHaveLength(1);
    expect(venue.state.chain.tokenBalance(wallet, m.upToken)).toBe(0n);
  });

  it('a crash after signing, before the submit: the very same batch is sent once', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 7, 7);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'money-')), 'money.json');
    const dead: RelayerPort = {
      ...relayer,
      submit: () => Promise.reject(new Error('SIGKILL before the submit')),
    };
    const first = new Treasury(manager, new MoneyStore(file), dead, reader(wallet), async () => null, logger);
    await first.plan(Date.now());
    await expect(first.step(Date.now())).rejects.toThrow(/SIGKILL/);
    const store = new MoneyStore(file);
    const signature = (store.actions()[0]!.batch as { signature: string }).signature;
    const second = new Treasury(manager, store, relayer, reader(wallet), async () => null, logger);
    await run(second, () => store.actions()[0]!.state === 'confirmed');
    const txs = executed(wallet, store.actions()[0]!.id);
    expect(txs).toHaveLength(1);
    expect(txs[0]!.signature).toBe(signature);
    expect(venue.state.chain.tokenBalance(wallet, m.downToken)).toBe(0n);
  });

  it('a batch that fails on chain uses no nonce: it is signed again and runs once', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 3, 3);
    await fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ failRelayer: 1 }) });
    const store = new MoneyStore(null);
    const t = new Treasury(manager, store, relayer, reader(wallet), async () => null, logger);
    await run(t, () => store.actions()[0]?.state === 'confirmed');
    const a = store.actions()[0]!;
    expect(a.attempt).toBe(2);
    expect(a.history.some((h) => /STATE_FAILED/.test(h.note))).toBe(true);
    expect(executed(wallet, a.id)).toHaveLength(1);
    expect(venue.state.relayer.txs.filter((x) => x.wallet.toLowerCase() === wallet.toLowerCase() && x.metadata.includes(a.id))).toHaveLength(2);
  });

  it('without a relayer, a redemption due is alerted once for a human, across restarts, and stays redeemable', async () => {
    const { wallet } = await account();
    const m = market();
    const manager = holding(wallet, m, 6, 0);
    manager.markSettled(m.conditionId, {
      id: `set-${m.conditionId}`,
      atMs: Date.now(),
      type: 'settlement',
      conditionId: m.conditionId,
      asset: 'BTC',
      winner: 'UP',
      upShares: 6,
      downShares: 0,
      costUsd: 2.4,
      feesUsd: 0.01,
      payoutUsd: 6,
      realisedPnlUsd: 3.59,
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'money-')), 'money.json');
    const first = new Treasury(manager, new MoneyStore(file), null, reader(wallet), async () => 'UP', logger);
    await first.plan(Date.now());
    await first.step(Date.now());
    await first.step(Date.now());
    const alerts = (st: MoneyStore) => st.outbox().filter((e) => e.type === 'error' && /redeem by hand/.test(e.message));
    expect(alerts(first.store)).toEqual([
      expect.objectContaining({ source: 'venue', message: expect.stringMatching(/redeem by hand: 6 winning UP shares of market 0x[0-9a-f]+ \(\$6\.00\)/) }),
    ]);
    first.store.ackOutbox(
      first.store.outbox().map((e) => e.id),
      Date.now(),
    );
    // A restart reads money.json: the alert is in the action's history, so it is not sent again.
    const again = new Treasury(manager, new MoneyStore(file), null, reader(wallet), async () => 'UP', logger);
    await again.plan(Date.now());
    await again.step(Date.now());
    expect(alerts(again.store)).toHaveLength(0);
    expect(again.store.actions()).toEqual([expect.objectContaining({ kind: 'redeem', state: 'planned', amountUsd: 6 })]);
  });

  it('redeems a settled market once: the winning shares paid, the redemption recorded with its transaction', async () => {
    const { wallet, relayer } = await account();
    const m = market();
    const manager = holding(wallet, m, 8, 0);
    manager.markSettled(m.conditionId, {
      id: `set-${m.conditionId}`,
      atMs: Date.now(),
      type: 'settlement',
      conditionId: m.conditionId,
      asset: 'BTC',
      winner: 'UP',
      upShares: 8,
      downShares: 0,
      costUsd: 3.2,
      feesUsd: 0.01,
      payoutUsd: 8,
      realisedPnlUsd: 4.79,
    });
    venue.state.chain.resolve(m.conditionId, { upToken: m.upToken, downToken: m.downToken, winner: 'Up' });
    const before = venue.state.chain.balance(wallet);
    const store = new MoneyStore(null);
    const t = new Treasury(manager, store, relayer, reader(wallet), async () => 'UP', logger);
    await t.plan(Date.now());
    const acct = venueAccount({
      wallet,
      balanceUsd: Number(before) / 1e6,
      orders: manager.all(),
      positions: t.positions(),
      isSettled: (c) => manager.isSettled(c),
      actions: store.actions(),
      nowMs: Date.now(),
    });
    expect(acct.redeemableUsd).toBe(8);
    expect(acct.positionsUsd).toBe(0);
    await run(t, () => store.actions()[0]?.state === 'confirmed');
    expect(venue.state.chain.balance(wallet) - before).toBe(8_000_000n);
    expect(store.outbox()).toEqual([expect.objectContaining({ type: 'redemption', id: `redeem-${m.conditionId}`, shares: 8, amountUsd: 8 })]);
    await t.plan(Date.now());
    expect(store.actions()).toHaveLength(1);
    const after = venueAccount({
      wallet,
      balanceUsd: Number(venue.state.chain.balance(wallet)) / 1e6,
      orders: manager.all(),
      positions: t.positions(),
      isSettled: (c) => manager.isSettled(c),
      actions: store.actions(),
      nowMs: Date.now(),
    });
    expect(after).toMatchObject({ redeemableUsd: 0, redeemedUsd: 8 });
    expect(after.equityUsd).toBeCloseTo(acct.equityUsd + 0, 6);
  });
});
