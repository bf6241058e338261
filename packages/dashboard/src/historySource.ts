/**
 * The one place trade history reads the order store: execution's `orders.db` (SQLite,
 * `@polybot/execution/store`), read-only beside the running worker (WAL). Orders and fills from its
 * orders, realised PnL from its `settlements` and `merges` tables; every row parsed by the store's
 * schemas. A data directory execution has not opened since the store moved to SQLite still has an
 * `orders.json`: that is read instead (also parsed), until execution migrates it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadOrdersFile, mergePnlUsd, openOrderHistory, SettlementEventSchema, type MergeEvent, type SettlementEvent } from '@polybot/execution/store';
import type { HistoryData, MergeRow, SettlementRow } from './history.js';

const row = (e: SettlementEvent): SettlementRow => ({
  atMs: e.atMs,
  market: e.conditionId,
  asset: e.asset,
  winner: e.winner,
  costUsd: e.costUsd,
  feesUsd: e.feesUsd,
  payoutUsd: e.payoutUsd,
  realisedPnlUsd: e.realisedPnlUsd,
});

const mergeRow = (e: MergeEvent): MergeRow => ({
  atMs: e.atMs,
  market: e.conditionId,
  asset: e.asset,
  shares: e.shares,
  amountUsd: e.amountUsd,
  costUsd: e.costUsd,
  feesUsd: e.feesUsd,
  realisedPnlUsd: mergePnlUsd(e),
});

/** Empty when execution has never written to this data directory. */
export function readTradeHistory(dataDir: string): HistoryData {
  const db = path.join(dataDir, 'orders.db');
  if (existsSync(db)) {
    const h = openOrderHistory(db);
    try {
      return { orders: h.orders(), settlements: h.settlements().map(row), merges: h.merges().map(mergeRow) };
    } finally {
      h.close();
    }
  }
  const json = path.join(dataDir, 'orders.json');
  if (!existsSync(json)) return { orders: [], settlements: [] };
  const file = loadOrdersFile(json);
  const byMarket = new Map<string, SettlementEvent>();
  for (const e of [...file.settlements, ...file.outbox]) {
    const p = SettlementEventSchema.safeParse(e);
    if (p.success && !byMarket.has(p.data.conditionId)) byMarket.set(p.data.conditionId, p.data);
  }
  return { orders: file.orders, settlements: [...byMarket.values()].map(row) };
}
