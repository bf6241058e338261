/**
 * Bankroll and exposure from execution events only (fills, failed trades, settlements, fees).
 * Applying the same event twice changes nothing: delivery is at least once.
 */
import { z } from 'zod';
import type { Asset, ExecutionEvent } from '@polybot/shared';

export const LedgerSchema = z.object({
  version: z.literal(1),
  startingBankrollUsd: z.number(),
  cashUsd: z.number(),
  realisedPnlUsd: z.number(),
  feesUsd: z.number(),
  /** Cost of open positions per market, and the market's asset. */
  exposure: z.record(z.string(), z.object({ asset: z.string(), costUsd: z.number() })),
  /** Trade ids counted (and those undone after FAILED) of markets not yet settled, keyed `conditionId|tradeId`. */
  trades: z.record(z.string(), z.enum(['counted', 'undone'])),
  settled: z.array(z.string()),
  consecutiveLosses: z.number().int(),
  /** Realised PnL per UTC day (YYYY-MM-DD), the last 31 days. */
  daily: z.record(z.string(), z.number()),
  equity: z.array(z.tuple([z.number(), z.number()])),
  /** Merge events applied (ids, bounded): a re-delivered one changes nothing. */
  merges: z.array(z.string()).default([]),
  /**
   * What recent events changed the bankroll by, as [event atMs, change] (bounded): the venue
   * reconciliation takes off those stamped after the account it compares with, which the account
   * cannot hold yet (execution stamps its events and the account on one clock).
   */
  recent: z.array(z.tuple([z.number(), z.number()])).default([]),
});
export type Ledger = z.infer<typeof LedgerSchema>;

export function newLedger(bankrollUsd: number): Ledger {
  return {
    version: 1,
    startingBankrollUsd: bankrollUsd,
    cashUsd: bankrollUsd,
    realisedPnlUsd: 0,
    feesUsd: 0,
    exposure: {},
    trades: {},
    settled: [],
    consecutiveLosses: 0,
    daily: {},
    equity: [],
    merges: [],
    recent: [],
  };
}

const DAILY_DAYS_KEPT = 31;

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Exposure for the caps: each market's cost, never below 0 (a market's sum is briefly negative when a merge arrives before its fills). */
export function exposureOf(l: Ledger, conditionId: string, asset: Asset) {
  let assetUsd = 0;
  let total = 0;
  for (const e of Object.values(l.exposure)) {
    const c = Math.max(0, e.costUsd);
    total += c;
    if (e.asset === asset) assetUsd += c;
  }
  return { market: Math.max(0, l.exposure[conditionId]?.costUsd ?? 0), asset: assetUsd, total };
}

/**
 * Membership of `settled` in O(1): a Set per settled array, kept in step by `applyEvent` (the only
 * writer) and rebuilt lazily for an array it has not seen (one parsed from Redis). A linear scan
 * of up to 5,000 ids per fill dominated long backtests.
 */
const settledSets = new WeakMap<string[], Set<string>>();
function settledSet(settled: string[]): Set<string> {
  let set = settledSets.get(settled);
  if (!set) {
    set = new Set(settled);
    settledSets.set(settled, set);
  }
  return set;
}

const SETTLED_KEPT = 5_000;
const EQUITY_KEPT = 500;

/**
 * Applies the event to `l` in place and says whether anything changed; applying the same event
 * twice changes nothing. In place because every caller owns its ledger (the worker re-reads it from
 * Redis on each attempt, a replay threads one through) and copying it per event dominated replays;
 * clone first (`structuredClone`) to keep the old one.
 */
export function applyEvent(l: Ledger, ev: ExecutionEvent): { ledger: Ledger; changed: boolean } {
  if (ev.type !== 'fill' && ev.type !== 'settlement' && ev.type !== 'merge') return { ledger: l, changed: false };
  const before = bankrollOf(l);
  const r = applyMoneyEvent(l, ev);
  if (r.changed) noteRecent(l, ev.atMs, bankrollOf(l) - before);
  return r;
}

// Longer than any account risk compares with is old (RISK_VENUE_MAX_AGE_MS), small in Redis.
const RECENT_KEPT = 1_000;
const RECENT_MS = 2 * 60_000;

function noteRecent(l: Ledger, atMs: number, change: number): void {
  if (Math.abs(change) < 1e-9) return;
  (l.recent ??= []).push([atMs, change]);
  const cutoff = atMs - RECENT_MS;
  let drop = Math.max(0, l.recent.length - RECENT_KEPT);
  while (drop < l.recent.length && l.recent[drop]![0] < cutoff) drop++;
  if (drop > 0) l.recent.splice(0, drop);
}

/** The bankroll without the changes of events stamped after `atMs` (those an account stamped `atMs` cannot hold). */
export function bankrollAsOf(l: Ledger, atMs: number): number {
  let later = 0;
  for (const [t, change] of l.recent ?? []) if (t > atMs) later += change;
  return bankrollOf(l) - later;
}

function applyMoneyEvent(l: Ledger, ev: ExecutionEvent): { ledger: Ledger; changed: boolean } {
  const unchanged = { ledger: l, changed: false };
  if (ev.type === 'fill') {
    // A fill for a settled market is old news (its trade ids were dropped at settlement).
    if (settledSet(l.settled).has(ev.conditionId)) return unchanged;
    const key = `${ev.conditionId}|${ev.tradeId}`;
    const seen = l.trades[key];
    // A SELL (an unwound lone arbitrage leg) brings cash in and lowers the position's cost.
    const cost = (ev.side === 'SELL' ? -1 : 1) * ev.size * ev.price;
    // Exposure is a plain sum (never clipped at 0), so events change the ledger the same in any
    // order: a merge shipped before the fills it merges (execution ships its money events first, and
    // after a restart or a Redis outage those fills can still be in its outbox) used to be clipped,
    // leaving the bankroll too high by the clipped cost once the fills arrived ($4.14 in a chaos run).
    if (ev.status === 'FAILED') {
      if (seen === 'undone') return unchanged;
      l.trades[key] = 'undone';
      // Failed before it was counted (the FAILED overtook its MATCHED): a tombstone, nothing to undo.
      if (seen !== 'counted') return { ledger: l, changed: true };
      l.cashUsd += cost + ev.fee;
      l.feesUsd -= ev.fee;
      const pos = (l.exposure[ev.conditionId] ??= { asset: ev.asset, costUsd: 0 });
      pos.costUsd -= cost;
      return { ledger: l, changed: true };
    }
    if (seen) return unchanged;
    l.trades[key] = 'counted';
    l.cashUsd -= cost + ev.fee;
    l.feesUsd += ev.fee;
    const pos = (l.exposure[ev.conditionId] ??= { asset: ev.asset, costUsd: 0 });
    pos.costUsd += cost;
    return { ledger: l, changed: true };
  }
  if (ev.type === 'settlement') {
    const set = settledSet(l.settled);
    if (set.has(ev.conditionId)) return unchanged;
    l.settled.push(ev.conditionId);
    set.add(ev.conditionId);
    while (l.settled.length > SETTLED_KEPT) set.delete(l.settled.shift()!);
    l.cashUsd += ev.payoutUsd;
    l.realisedPnlUsd += ev.realisedPnlUsd;
    delete l.exposure[ev.conditionId];
    // Keep the ledger bounded: the market's trade ids are no longer needed once it is settled.
    const prefix = `${ev.conditionId}|`;
    for (const k of Object.keys(l.trades)) if (k.startsWith(prefix)) delete l.trades[k];
    const day = dayOf(ev.atMs);
    l.daily[day] = (l.daily[day] ?? 0) + ev.realisedPnlUsd;
    // Bounded like the rest: the rules look at today only, a month is kept for the record.
    const days = Object.keys(l.daily);
    if (days.length > DAILY_DAYS_KEPT) for (const d of days.sort().slice(0, days.length - DAILY_DAYS_KEPT)) delete l.daily[d];
    l.consecutiveLosses = ev.realisedPnlUsd < 0 ? l.consecutiveLosses + 1 : 0;
    l.equity.push([ev.atMs, l.startingBankrollUsd + l.realisedPnlUsd]);
    if (l.equity.length > EQUITY_KEPT) l.equity.splice(0, l.equity.length - EQUITY_KEPT);
    return { ledger: l, changed: true };
  }
  if (ev.type === 'merge') {
    // Pairs merged into pUSD: the cash is in now and the merged shares leave the position at their
    // cost, so the arbitrage profit (or a loss) is realised at the merge, not at resolution.
    if (l.merges.includes(ev.id)) return unchanged;
    l.merges.push(ev.id);
    if (l.merges.length > SETTLED_KEPT) l.merges.splice(0, l.merges.length - SETTLED_KEPT);
    l.cashUsd += ev.amountUsd;
    const pos = (l.exposure[ev.conditionId] ??= { asset: ev.asset, costUsd: 0 });
    pos.costUsd -= ev.costUsd;
    const pnl = ev.amountUsd - ev.costUsd - ev.feesUsd;
    l.realisedPnlUsd += pnl;
    const day = dayOf(ev.atMs);
    l.daily[day] = (l.daily[day] ?? 0) + pnl;
    l.equity.push([ev.atMs, l.startingBankrollUsd + l.realisedPnlUsd]);
    if (l.equity.length > EQUITY_KEPT) l.equity.splice(0, l.equity.length - EQUITY_KEPT);
    return { ledger: l, changed: true };
  }
  // A redemption moves no ledger money: its payout was booked at settlement (the venue account
  // counts it as redeemable until then), so the reconciliation sees no jump.
  return unchanged;
}

/** Bankroll for sizing: cash plus open positions at cost (never unrealised gains). */
export function bankrollOf(l: Ledger): number {
  return l.cashUsd + Object.values(l.exposure).reduce((s, e) => s + e.costUsd, 0);
}
