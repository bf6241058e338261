/**
 * Trade history from the order store: every fill as a trade, and per UTC day the trades, fees,
 * realised PnL (markets settled and pairs merged that day) and hit rate (settled markets that made money). Pure: the store is read by
 * `historySource.ts`, one small function.
 */
import type { Asset, Order, Outcome } from '@polybot/shared';

export interface TradeRow {
  time: string;
  atMs: number;
  day: string;
  orderId: string;
  tradeId: string;
  market: string;
  asset: Asset;
  outcome: Outcome;
  side: 'BUY' | 'SELL';
  price: number;
  shares: number;
  notionalUsd: number;
  feeUsd: number;
  status: string;
}

/** A settled market (from the store's settlement records). */
export interface SettlementRow {
  atMs: number;
  market: string;
  asset: Asset;
  winner: Outcome;
  costUsd: number;
  feesUsd: number;
  payoutUsd: number;
  realisedPnlUsd: number;
}

/** Up+Down pairs merged into pUSD: their PnL is realised at the merge (as risk books it). */
export interface MergeRow {
  atMs: number;
  market: string;
  asset: Asset;
  shares: number;
  amountUsd: number;
  costUsd: number;
  feesUsd: number;
  realisedPnlUsd: number;
}

export interface DailyRow {
  day: string;
  trades: number;
  volumeUsd: number;
  feesUsd: number;
  /** Realised PnL after fees: the markets settled that day and the pairs merged that day. */
  pnlUsd: number;
  settled: number;
  wins: number;
  /** wins / settled, null on a day nothing settled. */
  hitRate: number | null;
  /** Cumulative realised PnL at the end of the day. */
  cumulativePnlUsd: number;
}

export interface HistoryData {
  orders: readonly Order[];
  settlements: readonly SettlementRow[];
  merges?: readonly MergeRow[];
}

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

export interface TradeFilter {
  sinceMs?: number;
  /** A condition id (or its start), or an asset such as BTC. */
  market?: string;
}

function matches(filter: TradeFilter, market: string, asset: string): boolean {
  if (!filter.market) return true;
  const m = filter.market.trim();
  return m.toUpperCase() === asset || market.toLowerCase().startsWith(m.toLowerCase());
}

/** Every fill that stands (FAILED trades were undone on chain), oldest first. */
export function tradesOf(h: HistoryData, filter: TradeFilter = {}): TradeRow[] {
  const out: TradeRow[] = [];
  for (const o of h.orders) {
    const q = o.request;
    if (!matches(filter, q.conditionId, q.asset)) continue;
    for (const f of o.fills) {
      if (f.status === 'FAILED') continue;
      if (filter.sinceMs !== undefined && f.atMs < filter.sinceMs) continue;
      out.push({
        time: new Date(f.atMs).toISOString(),
        atMs: f.atMs,
        day: dayOf(f.atMs),
        orderId: q.id,
        tradeId: f.tradeId,
        market: q.conditionId,
        asset: q.asset,
        outcome: q.outcome,
        side: q.side,
        price: f.price,
        shares: f.size,
        notionalUsd: r6(f.size * f.price),
        feeUsd: f.fee,
        status: f.status,
      });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.tradeId.localeCompare(b.tradeId));
}

export function settlementsOf(h: HistoryData, filter: TradeFilter = {}): SettlementRow[] {
  return h.settlements
    .filter((s) => matches(filter, s.market, s.asset) && (filter.sinceMs === undefined || s.atMs >= filter.sinceMs))
    .slice()
    .sort((a, b) => a.atMs - b.atMs);
}

export function mergesOf(h: HistoryData, filter: TradeFilter = {}): MergeRow[] {
  return (h.merges ?? [])
    .filter((m) => matches(filter, m.market, m.asset) && (filter.sinceMs === undefined || m.atMs >= filter.sinceMs))
    .slice()
    .sort((a, b) => a.atMs - b.atMs);
}

/** One row per UTC day with a trade, a settlement or a merge, oldest first. */
export function dailyOf(h: HistoryData, filter: TradeFilter = {}): DailyRow[] {
  const days = new Map<string, DailyRow>();
  const row = (day: string) => {
    let r = days.get(day);
    if (!r) days.set(day, (r = { day, trades: 0, volumeUsd: 0, feesUsd: 0, pnlUsd: 0, settled: 0, wins: 0, hitRate: null, cumulativePnlUsd: 0 }));
    return r;
  };
  for (const t of tradesOf(h, filter)) {
    const r = row(t.day);
    r.trades += 1;
    r.volumeUsd += t.notionalUsd;
    r.feesUsd += t.feeUsd;
  }
  for (const s of settlementsOf(h, filter)) {
    const r = row(dayOf(s.atMs));
    r.settled += 1;
    r.pnlUsd += s.realisedPnlUsd;
    if (s.realisedPnlUsd > 0) r.wins += 1;
  }
  for (const m of mergesOf(h, filter)) row(dayOf(m.atMs)).pnlUsd += m.realisedPnlUsd;
  let cum = 0;
  return [...days.values()]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map((r) => {
      cum += r.pnlUsd;
      return {
        ...r,
        volumeUsd: r6(r.volumeUsd),
        feesUsd: r6(r.feesUsd),
        pnlUsd: r6(r.pnlUsd),
        hitRate: r.settled ? r6(r.wins / r.settled) : null,
        cumulativePnlUsd: r6(cum),
      };
    });
}

/** Cumulative realised PnL after each settlement and merge: [time ms, PnL]. */
export function equityOf(h: HistoryData, filter: TradeFilter = {}): Array<[number, number]> {
  let cum = 0;
  return [...settlementsOf(h, filter), ...mergesOf(h, filter)].sort((a, b) => a.atMs - b.atMs).map((s) => [s.atMs, r6((cum += s.realisedPnlUsd))]);
}

/** RFC 4180 CSV: a header from the first row's keys, fields quoted when they need it. */
export function toCsv(rows: ReadonlyArray<object>, columns?: string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
}
