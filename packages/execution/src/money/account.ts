/**
 * The venue account in one number for sizing, and the parts it is made of (see `VenueAccountSchema`
 * in @polybot/shared for each field). Pure: the worker reads the balance and passes everything in.
 *
 * Positions are valued at a stated value: shares of markets not yet settled at what they cost (the
 * risk ledger's basis, never an unrealised gain), less what merged pairs cost; settled markets'
 * winning shares not yet redeemed at 1 pUSD each, losing shares at 0.
 */
import { feeOf, takerFee, TERMINAL_ORDER_STATES, type Order, type OrderRequest, type VenueAccount } from '@polybot/shared';
import type { ChainAction } from './store.js';
import type { MarketPosition } from './treasury.js';

const r6 = (v: number) => Number(v.toFixed(6));

export interface AccountInputs {
  wallet: string;
  balanceUsd: number;
  orders: readonly Order[];
  /** From the fills, before any merge (OrderManager.positions()): merges are taken off here, from `actions`. */
  positions: readonly MarketPosition[];
  isSettled: (conditionId: string) => boolean;
  actions: readonly ChainAction[];
  nowMs: number;
  /** Where each of our trades stood when the balance was read (`chainAtRead`); without it, the fills' own statuses say. */
  atRead?: ChainAtRead;
}

/**
 * Our trades around a balance read, keyed `venueOrderId|tradeId`, from the venue's trades read just
 * before and just after it (markets with a fill not yet on chain or an order still working):
 * - `onChain`: mined before the read began: in the balance.
 * - `offChain`: still matched (or failed) after it ended: not in the balance.
 * - `uncertain`: mined while it ran: either.
 * A fill in none of them (not read, or matched since) goes by its own status.
 */
export interface ChainAtRead {
  onChain: ReadonlySet<string>;
  offChain: ReadonlySet<string>;
  uncertain: ReadonlySet<string>;
}

const minedStatus = (s: string | undefined) => s === 'MINED' || s === 'CONFIRMED';

/** Classifies our trades from the venue's statuses before and after a balance read (see `ChainAtRead`). */
export function chainAtRead(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): ChainAtRead {
  const onChain = new Set<string>();
  const offChain = new Set<string>();
  const uncertain = new Set<string>();
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    if (minedStatus(before.get(k))) onChain.add(k);
    else if (!minedStatus(after.get(k))) offChain.add(k);
    else uncertain.add(k);
  }
  return { onChain, offChain, uncertain };
}

/**
 * A redemption or merge whose pUSD is in the balance: seen STATE_MINED (its effects are on chain)
 * or confirmed. Until then its shares are still held (a merge) or still to be paid (a redemption).
 */
export const onChain = (a: ChainAction) => a.state === 'confirmed' || (a.minedAtMs !== null && a.state === 'submitted');

export function venueAccount(i: AccountInputs): VenueAccount {
  let openOrdersUsd = 0;
  let pendingUsd = 0;
  let uncertainUsd = 0;
  const r = i.atRead;
  for (const o of i.orders) {
    if (o.request.side === 'BUY' && !TERMINAL_ORDER_STATES.has(o.state)) openOrdersUsd += Math.max(0, o.request.size - o.filledSize) * o.request.price;
    for (const f of o.fills) {
      if (f.status === 'FAILED') continue; // never moved any money
      const amount = o.request.side === 'BUY' ? f.size * f.price + f.fee : -(f.size * f.price - f.fee);
      const k = `${o.venueOrderId ?? ''}|${f.tradeId}`;
      if (r?.onChain.has(k)) continue; // in the balance, whatever execution has heard since
      if (r?.offChain.has(k) || r?.uncertain.has(k)) {
        pendingUsd += amount; // not in the balance (or maybe not: the cautious side)
        if (r.uncertain.has(k)) uncertainUsd += Math.abs(amount);
        continue;
      }
      // Not seen at the read (another market, or matched since): its own status says. Matched (or
      // being retried) but not yet on chain: the balance does not show it yet.
      if (f.status === 'MATCHED' || f.status === 'RETRYING') pendingUsd += amount;
    }
  }
  let redeemableUsd = 0;
  let redeemedUsd = 0;
  let mergedUsd = 0;
  // Merged pairs leave a market's position at the cost the merge recorded: the risk ledger's arithmetic.
  let mergedCostUsd = 0;
  for (const a of i.actions) {
    if (a.kind === 'redeem') {
      if (onChain(a)) redeemedUsd += a.amountUsd;
      else redeemableUsd += a.amountUsd; // failed ones too: the shares are still held and still pay
    } else if (a.kind === 'merge' && onChain(a)) {
      mergedUsd += a.amountUsd;
      if (a.conditionId !== null && !i.isSettled(a.conditionId)) mergedCostUsd += a.costUsd;
    }
  }
  const positionsUsd = i.positions.filter((p) => !i.isSettled(p.conditionId)).reduce((s, p) => s + p.costUsd, 0) - mergedCostUsd;
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
    ...(r ? { uncertainUsd: r6(uncertainUsd) } : {}),
    atMs: i.nowMs,
  };
}

/** What a BUY takes from the account: price × size, plus the taker fee when it is marketable. */
export function buyCostUsd(r: Pick<OrderRequest, 'side' | 'orderType' | 'size' | 'price' | 'feeRate' | 'feeExponent'>): number {
  if (r.side !== 'BUY') return 0;
  const marketable = r.orderType === 'FOK' || r.orderType === 'FAK';
  return r.size * r.price + (marketable ? takerFee(r.size, r.price, feeOf(r)) : 0);
}

/**
 * Execution's own funds check before signing a BUY: what it costs (`buyCostUsd`) against the
 * account's available pUSD less `alsoUsd` (what other orders of the same batch take, posted
 * together before the account sees any of them). No balance read yet, or one older than
 * `maxAgeMs`, refuses the buy: available cash from a stale balance would count fills already on
 * chain as still unspent. A SELL pays nothing (the venue checks the shares).
 */
export function fundsProblem(
  r: Pick<OrderRequest, 'side' | 'orderType' | 'size' | 'price' | 'feeRate' | 'feeExponent'>,
  a: { account: VenueAccount; balanceAtMs: number } | null,
  nowMs: number,
  maxAgeMs: number,
  alsoUsd = 0,
): string | null {
  if (r.side !== 'BUY') return null;
  if (!a) return 'the pUSD balance has not been read from the venue yet: no buy is signed without it';
  const ageMs = nowMs - a.balanceAtMs;
  if (ageMs > maxAgeMs)
    return `the pUSD balance was last read ${(ageMs / 1000).toFixed(1)} s ago (over ${(maxAgeMs / 1000).toFixed(1)} s, EXEC_ACCOUNT_MAX_AGE_MS): no buy is signed on it`;
  const need = buyCostUsd(r);
  const acc = a.account;
  if (need + alsoUsd <= acc.availableUsd + 1e-6) return null;
  const batch = alsoUsd > 0 ? ` after $${alsoUsd.toFixed(4)} for the other orders of its batch` : '';
  return `needs $${need.toFixed(4)}${batch} but the account has $${acc.availableUsd.toFixed(4)} available (pUSD $${acc.balanceUsd.toFixed(2)} − open orders $${acc.openOrdersUsd.toFixed(2)} − unsettled fills $${acc.pendingUsd.toFixed(2)})`;
}
