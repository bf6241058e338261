/**
 * The venue account in one number for sizing, and the parts it is made of (see `VenueAccountSchema`
 * in @polybot/shared for each field). Pure: the worker reads the balance and passes everything in.
 *
 * Positions are valued at a stated value: shares of markets not yet settled at what they cost (the
 * risk ledger's basis, never an unrealised gain); settled markets' winning shares not yet redeemed
 * at 1 pUSD each, losing shares at 0.
 */
import { feeOf, takerFee, TERMINAL_ORDER_STATES, type Order, type OrderRequest, type VenueAccount } from '@polybot/shared';
import type { ChainAction } from './store.js';
import type { MarketPosition } from './treasury.js';

const r6 = (v: number) => Number(v.toFixed(6));

export interface AccountInputs {
  wallet: string;
  balanceUsd: number;
  orders: readonly Order[];
  /** Net of confirmed merges (Treasury.positions()). */
  positions: readonly MarketPosition[];
  isSettled: (conditionId: string) => boolean;
  actions: readonly ChainAction[];
  nowMs: number;
}

export function venueAccount(i: AccountInputs): VenueAccount {
  let openOrdersUsd = 0;
  let pendingUsd = 0;
  for (const o of i.orders) {
    if (o.request.side === 'BUY' && !TERMINAL_ORDER_STATES.has(o.state)) openOrdersUsd += Math.max(0, o.request.size - o.filledSize) * o.request.price;
    for (const f of o.fills) {
      // Matched (or being retried) but not yet on chain: the balance does not show it yet.
      if (f.status !== 'MATCHED' && f.status !== 'RETRYING') continue;
      pendingUsd += o.request.side === 'BUY' ? f.size * f.price + f.fee : -(f.size * f.price - f.fee);
    }
  }
  const positionsUsd = i.positions.filter((p) => !i.isSettled(p.conditionId)).reduce((s, p) => s + p.costUsd, 0);
  let redeemableUsd = 0;
  let redeemedUsd = 0;
  let mergedUsd = 0;
  for (const a of i.actions) {
    if (a.kind === 'redeem') {
      if (a.state === 'confirmed') redeemedUsd += a.amountUsd;
      else redeemableUsd += a.amountUsd; // failed ones too: the shares are still held and still pay
    } else if (a.kind === 'merge' && a.state === 'confirmed') mergedUsd += a.amountUsd;
  }
  const availableUsd = i.balanceUsd - openOrdersUsd - pendingUsd;
  const bankrollUsd = availableUsd + positionsUsd + redeemableUsd;
  return {
    wallet: i.wallet,
    balanceUsd: r6(i.balanceUsd),
    openOrdersUsd: r6(openOrdersUsd),
    pendingUsd: r6(pendingUsd),
    positionsUsd: r6(positionsUsd),
    redeemableUsd: r6(redeemableUsd),
    redeemedUsd: r6(redeemedUsd),
    mergedUsd: r6(mergedUsd),
    bankrollUsd: r6(bankrollUsd),
    availableUsd: r6(availableUsd),
    equityUsd: r6(bankrollUsd + openOrdersUsd),
    atMs: i.nowMs,
  };
}

/**
 * Execution's own funds check before signing a BUY: what it costs (price × size, plus the taker fee
 * for a marketable order) against the account's available pUSD. No balance read yet, or one older
 * than `maxAgeMs`, refuses the buy: available cash from a stale balance would count fills already
 * on chain as still unspent. A SELL pays nothing (the venue checks the shares).
 */
export function fundsProblem(
  r: Pick<OrderRequest, 'side' | 'orderType' | 'size' | 'price' | 'feeRate' | 'feeExponent'>,
  a: { account: VenueAccount; balanceAtMs: number } | null,
  nowMs: number,
  maxAgeMs: number,
): string | null {
  if (r.side !== 'BUY') return null;
  if (!a) return 'the pUSD balance has not been read from the venue yet: no buy is signed without it';
  const ageMs = nowMs - a.balanceAtMs;
  if (ageMs > maxAgeMs)
    return `the pUSD balance was last read ${(ageMs / 1000).toFixed(1)} s ago (over ${(maxAgeMs / 1000).toFixed(1)} s, EXEC_ACCOUNT_MAX_AGE_MS): no buy is signed on it`;
  const marketable = r.orderType === 'FOK' || r.orderType === 'FAK';
  const need = r.size * r.price + (marketable ? takerFee(r.size, r.price, feeOf(r)) : 0);
  const acc = a.account;
  if (need <= acc.availableUsd + 1e-6) return null;
  return `needs $${need.toFixed(4)} but the account has $${acc.availableUsd.toFixed(4)} available (pUSD $${acc.balanceUsd.toFixed(2)} − open orders $${acc.openOrdersUsd.toFixed(2)} − unsettled fills $${acc.pendingUsd.toFixed(2)})`;
}
