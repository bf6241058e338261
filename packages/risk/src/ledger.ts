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
  /** Realised PnL per UTC day (YYYY-MM-DD). */
  daily: z.record(z.string(), z.number()),
  equity: z.array(z.tuple([z.number(), z.number()])),
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
  };
}

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function exposureOf(l: Ledger, conditionId: string, asset: Asset) {
  let assetUsd = 0;
  let total = 0;
  for (const e of Object.values(l.exposure)) {
    total += e.costUsd;
    if (e.asset === asset) assetUsd += e.costUsd;
  }
  return { market: l.exposure[conditionId]?.costUsd ?? 0, asset: assetUsd, total };
}

/** Returns the new ledger (the input is not mutated) and whether anything changed. */
export function applyEvent(prev: Ledger, ev: ExecutionEvent): { ledger: Ledger; changed: boolean } {
  // Copy only what an event can touch (the settled list and equity curve are copied on settlement).
  const l: Ledger = { ...prev, trades: { ...prev.trades }, exposure: { ...prev.exposure } };
  if (ev.type === 'fill') {
    // A fill for a settled market is old news (its trade ids were dropped at settlement).
    if (prev.settled.includes(ev.conditionId)) return { ledger: prev, changed: false };
    const key = `${ev.conditionId}|${ev.tradeId}`;
    const seen = l.trades[key];
    // A SELL (an unwound lone arbitrage leg) brings cash in and lowers the position's cost.
    const cost = (ev.side === 'SELL' ? -1 : 1) * ev.size * ev.price;
    const pos = { ...(l.exposure[ev.conditionId] ?? { asset: ev.asset, costUsd: 0 }) };
    l.exposure[ev.conditionId] = pos;
    if (ev.status === 'FAILED') {
      if (seen !== 'counted') return { ledger: prev, changed: false };
      l.trades[key] = 'undone';
      l.cashUsd += cost + ev.fee;
      l.feesUsd -= ev.fee;
      pos.costUsd = Math.max(0, pos.costUsd - cost);
      return { ledger: l, changed: true };
    }
    if (seen) return { ledger: prev, changed: false };
    l.trades[key] = 'counted';
    l.cashUsd -= cost + ev.fee;
    l.feesUsd += ev.fee;
    pos.costUsd = Math.max(0, pos.costUsd + cost);
    return { ledger: l, changed: true };
  }
  if (ev.type === 'settlement') {
    if (l.settled.includes(ev.conditionId)) return { ledger: prev, changed: false };
    l.settled = [...prev.settled, ev.conditionId];
    l.daily = { ...prev.daily };
    l.equity = [...prev.equity];
    if (l.settled.length > 5_000) l.settled.splice(0, l.settled.length - 5_000);
    l.cashUsd += ev.payoutUsd;
    l.realisedPnlUsd += ev.realisedPnlUsd;
    delete l.exposure[ev.conditionId];
    // Keep the ledger bounded: the market's trade ids are no longer needed once it is settled.
    for (const k of Object.keys(l.trades)) if (k.startsWith(`${ev.conditionId}|`)) delete l.trades[k];
    const day = dayOf(ev.atMs);
    l.daily[day] = (l.daily[day] ?? 0) + ev.realisedPnlUsd;
    l.consecutiveLosses = ev.realisedPnlUsd < 0 ? l.consecutiveLosses + 1 : 0;
    l.equity.push([ev.atMs, l.startingBankrollUsd + l.realisedPnlUsd]);
    if (l.equity.length > 500) l.equity.splice(0, l.equity.length - 500);
    return { ledger: l, changed: true };
  }
  return { ledger: prev, changed: false };
}

/** Bankroll for sizing: cash plus open positions at cost (never unrealised gains). */
export function bankrollOf(l: Ledger): number {
  return l.cashUsd + Object.values(l.exposure).reduce((s, e) => s + e.costUsd, 0);
}
