import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { createRelayer } from '../venue/relayer.js';
import { describeMissing } from './allowances.js';
import { approveMissing, checkTradingAllowances, readApprovals } from './approve.js';
import type { BalanceReader } from './treasury.js';

// Approvals against the sim venue: named when missing, granted in one relayer batch when asked.
let venue: SimVenue;
beforeAll(async () => {
  venue = await startSimVenue({
    port: 0,
    windowSeconds: 60,
    assets: ['BTC'],
    seed: 31,
    misprice: 0,
    relayerTiming: { executeMs: 50, mineMs: 100, confirmMs: 200 },
  });
});
afterAll(async () => venue?.close());

describe('trading approvals', () => {
  it('names each missing approval, grants them all in one batch, and then finds none missing', async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const key = (await (await fetch(`${venue.url}/sim/relayer-keys`, { method: 'POST', body: JSON.stringify({ address: owner.address }) })).json()) as {
      apiKey: string;
      depositWallet: string;
    };
    venue.state.relayer.deploy(owner.address);
    const wallet = key.depositWallet;
    await fetch(`${venue.url}/sim/accounts/${wallet}`, { method: 'POST', body: JSON.stringify({ revokeApprovals: true }) });
    // The CLOB's own answer shape (`{balance, allowances}` in base units), as the port parses it.
    const read: BalanceReader = async (asset, refresh) => {
      const a = asset.kind === 'collateral' ? 'COLLATERAL' : asset.tokenId;
      if (refresh) venue.state.balances.refresh(wallet, a);
      const ans = venue.state.balances.answer(wallet, a);
      return { balance: BigInt(ans.balance), allowances: Object.fromEntries(Object.entries(ans.allowances).map(([k, v]) => [k, BigInt(v)])) };
    };
    const token = [...venue.state.schedule.markets.values()][0]!.upToken;
    const before = await readApprovals(read, token);
    expect(before.missing.map((a) => a.name)).toEqual([
      'exchange pUSD',
      'neg-risk exchange pUSD',
      'exchange tokens',
      'neg-risk exchange tokens',
      'collateral adapter tokens',
    ]);
    expect(describeMissing(before)[0]).toMatch(
      /missing pUSD allowance for exchange pUSD \(0xE111180000d2663C0091e4f400237545B87B996B\), needed for buying on the CTF exchange: run `pnpm bot approve`/,
    );
    // The verdict preflight and the live start use: not ok, one line per missing approval.
    const check = await checkTradingAllowances(read, token);
    expect(check.ok).toBe(false);
    expect(check.missing).toHaveLength(5);
    expect(check.missing[0]).toBe(describeMissing(before)[0]);
    expect(check.unreported).toEqual([]);
    expect(check.balanceUsd).toBeGreaterThan(0);
    // Without a token the venue cannot report the outcome-token approvals: listed, not failed.
    const noToken = await checkTradingAllowances(read, null);
    expect(noToken.report.unreported.map((a) => a.name)).toEqual(['exchange tokens', 'neg-risk exchange tokens', 'collateral adapter tokens']);
    expect(noToken.unreported[0]).toMatch(/not reported by the venue/);
    expect(noToken.missing).toHaveLength(2);
    const relayer = createRelayer({ url: venue.url, account: owner, wallet, apiKey: key.apiKey, apiKeyAddress: owner.address });
    const out = await approveMissing(relayer, before, { pollMs: 100 });
    expect(out.kind).toBe('confirmed');
    expect(venue.state.relayer.txs.filter((t) => t.wallet.toLowerCase() === wallet.toLowerCase() && t.state === 'STATE_CONFIRMED')).toHaveLength(1);
    const after = await readApprovals(read, token);
    expect(after.missing).toEqual([]);
    expect(after.ok).toHaveLength(5);
    expect(await approveMissing(relayer, after)).toEqual({ kind: 'nothing_to_do' });
    expect(await checkTradingAllowances(read, token)).toMatchObject({ ok: true, missing: [], unreported: [] });
  });
});
