/**
 * Money for the execution process: the venue account read on a schedule (pUSD after
 * `/balance-allowance/update`, published for risk), execution's own funds check before signing,
 * and the treasury (redemptions and merges through the relayer) with its money.json outbox.
 * An adapter: it wires HTTP (the relayer) and Redis (the published account) to the pure cores.
 */
import path from 'node:path';
import type { RedisClient } from '@polybot/shared/redis';
import type { Logger } from 'pino';
import { TERMINAL_ORDER_STATES, type OrderRequest, type VenueAccount } from '@polybot/shared';
import { putVenueAccount } from '@polybot/shared/status';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { chainAtRead, fundsProblem, venueAccount, type ChainAtRead } from './money/account.js';
import { MoneyStore } from './money/store.js';
import { Treasury, type BalanceReader } from './money/treasury.js';
import type { OrderManager } from './orderManager.js';
import type { ClobPort } from './venue/port.js';
import { createRelayer, type RelayerPort } from './venue/relayer.js';

export interface MoneyOptions {
  venue: 'sim' | 'paper' | 'live';
  port: ClobPort;
  manager: OrderManager;
  dataDir: string;
  logger: Logger;
  redis: RedisClient;
  prefix: string;
  /** The signing key (sim and live); null on paper. */
  key: Hex | null;
  /**
   * Whether the account trades from a deposit wallet (signature type 3), and its address when known
   * (the sim tells it). Only a deposit wallet can redeem and merge through the relayer; an EOA, proxy or
   * Safe account redeems by other means, which polybot does not send.
   */
  depositWallet: { address: string | null } | null;
  relayer: { url: string; apiKey: string | null; apiKeyAddress: string | null } | null;
  timeoutMs: number;
  /** A buy is refused when the pUSD balance was read longer ago than this (EXEC_ACCOUNT_MAX_AGE_MS). */
  accountMaxAgeMs: number;
}

export interface Money {
  treasury: Treasury;
  /** For the engine (EngineConfig.merged / .funds). */
  merged: Treasury['merged'];
  funds: (r: OrderRequest, alsoUsd?: number) => string | null;
  /** Plans and advances redemptions and merges (after each engine poll). */
  step(nowMs: number): Promise<void>;
  /** Re-reads the balance (with an update) and publishes the account, stamped when computed; null without a readable balance. */
  refresh(nowMs: number): Promise<VenueAccount | null>;
  account(): VenueAccount | null;
  /** Why nothing is sent to a relayer (redemptions and merges are then up to a human), or null. */
  relayerProblem: string | null;
}

/** The sim stands in for the Polymarket app where a user creates a Relayer API key (`POST /sim/relayer-keys`). */
async function simRelayerKey(simUrl: string, address: string, timeoutMs: number): Promise<{ apiKey: string; depositWallet: string }> {
  const res = await fetch(`${simUrl.replace(/\/+$/, '')}/sim/relayer-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`sim relayer key: HTTP ${res.status}`);
  const j = (await res.json()) as { apiKey?: unknown; depositWallet?: unknown };
  if (typeof j.apiKey !== 'string' || typeof j.depositWallet !== 'string') throw new Error('sim relayer key: unexpected answer');
  return { apiKey: j.apiKey, depositWallet: j.depositWallet };
}

/**
 * The relayer for a deposit-wallet account, or why there is none (a message for the operator). On the
 * sim the relayer key (and the wallet's address, when not given) come from the sim.
 */
export async function moneyRelayer(
  o: Pick<MoneyOptions, 'venue' | 'key' | 'depositWallet' | 'relayer' | 'timeoutMs'>,
): Promise<{ relayer: RelayerPort; wallet: string } | { relayer: null; why: string }> {
  if (!o.key) return { relayer: null, why: 'paper has no account' };
  if (!o.depositWallet)
    return {
      relayer: null,
      why: 'not a deposit-wallet account (POLYBOT_SIGNATURE_TYPE is not 3): polybot sends redemptions, merges and approvals only through the relayer for deposit wallets',
    };
  if (!o.relayer) return { relayer: null, why: 'no relayer configured' };
  const account = privateKeyToAccount(o.key);
  let wallet = o.depositWallet.address;
  let apiKey = o.relayer.apiKey;
  let apiKeyAddress = o.relayer.apiKeyAddress ?? account.address;
  if (o.venue === 'sim' && !apiKey) {
    const k = await simRelayerKey(o.relayer.url, account.address, o.timeoutMs);
    apiKey = k.apiKey;
    apiKeyAddress = account.address;
    wallet ??= k.depositWallet;
  }
  if (!apiKey)
    return { relayer: null, why: 'no Relayer API key: set POLYBOT_RELAYER_API_KEY and POLYBOT_RELAYER_API_KEY_ADDRESS (made in the Polymarket app)' };
  if (!wallet) return { relayer: null, why: 'the deposit wallet address is unknown: set POLYBOT_FUNDER_ADDRESS' };
  return { relayer: createRelayer({ url: o.relayer.url, account, wallet, apiKey, apiKeyAddress, timeoutMs: o.timeoutMs }), wallet };
}

export async function startMoney(o: MoneyOptions): Promise<Money> {
  const { port, manager, logger } = o;
  const r = await moneyRelayer(o);
  const relayer = r.relayer;
  const wallet = r.relayer ? r.wallet : null;
  if (!r.relayer) logger.warn({ why: r.why }, 'redemptions and merges are not sent; the venue account is still read');
  const balances: BalanceReader | null = port.balanceAllowance ? (asset, refresh) => port.balanceAllowance!(asset, refresh) : null;
  const store = new MoneyStore(path.join(o.dataDir, 'money.json'));
  const treasury = new Treasury(manager, store, relayer, balances, (cid) => port.winner(cid), logger);
  let lastBalanceUsd: number | null = null;
  let atRead: ChainAtRead | undefined;
  let balanceAtMs = 0;
  let last: VenueAccount | null = null;
  const compute = (nowMs: number): VenueAccount | null =>
    lastBalanceUsd === null
      ? null
      : venueAccount({
          wallet: wallet ?? relayer?.owner ?? 'unknown',
          balanceUsd: lastBalanceUsd,
          orders: manager.all(),
          positions: manager.positions(),
          isSettled: (cid) => manager.isSettled(cid),
          actions: store.actions(),
          nowMs,
          ...(atRead ? { atRead } : {}),
        });
  return {
    treasury,
    merged: (cid) => treasury.merged(cid),
    funds(r, alsoUsd = 0) {
      const nowMs = Date.now();
      const a = compute(nowMs);
      return fundsProblem(r, a ? { account: a, balanceAtMs } : null, nowMs, o.accountMaxAgeMs, alsoUsd);
    },
    async step(nowMs) {
      await treasury.plan(nowMs);
      await treasury.step(nowMs);
    },
    async refresh(nowMs) {
      if (!balances) return null;
      // The balance moves when a trade is mined (a second or more after its match, §5.4 item 16),
      // not when execution hears of it: our trades are read just before and just after the balance,
      // so that each fill is known to be in it or not (a 110 s sim run showed ~$20 of fills counted
      // twice when the statuses came from the poll a moment earlier). Markets with a fill not yet on
      // chain or an order still working; a failed read fails the refresh (the account goes stale).
      const markets = new Set<string>();
      for (const ord of manager.all()) {
        const working = !TERMINAL_ORDER_STATES.has(ord.state) && ord.venueOrderId !== null;
        if (working || ord.fills.some((f) => f.status === 'MATCHED' || f.status === 'RETRYING')) markets.add(ord.request.conditionId);
      }
      const read = async () => {
        const m = new Map<string, string>();
        for (const cid of markets) for (const t of await port.tradesFor(cid)) m.set(`${t.orderId}|${t.id}`, t.status);
        return m;
      };
      const before = await read();
      const b = await balances({ kind: 'collateral' }, true);
      const after = await read();
      atRead = chainAtRead(before, after);
      lastBalanceUsd = Number(b.balance) / 1e6;
      balanceAtMs = nowMs;
      // Stamped when it is computed, after the balance came back: it holds every event execution
      // emitted before this instant and none after (risk's reconciliation lines its ledger up on it).
      last = compute(Math.max(nowMs, Date.now()));
      if (last) await putVenueAccount(o.redis, o.prefix, last);
      return last;
    },
    account: () => last,
    relayerProblem: r.relayer ? null : r.why,
  };
}
