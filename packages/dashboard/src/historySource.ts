/**
 * The one place trade history reads the order store. Today the store is execution's orders.json
 * (`@polybot/execution/store`); when the store moves (SQLite), re-point this function and nothing
 * else changes. Settlements: the store's settlement events (kept with the
 * orders since this store version; older files have only those still in the outbox).
 */
import path from 'node:path';
import { loadOrdersFile } from '@polybot/execution/store';
import type { HistoryData, SettlementRow } from './history.js';

export function readTradeHistory(dataDir: string): HistoryData {
  const file = loadOrdersFile(path.join(dataDir, 'orders.json'));
  const events = [...file.settlements, ...file.outbox] as Array<{ type?: string } & Record<string, unknown>>;
  const seen = new Set<string>();
  const settlements: SettlementRow[] = [];
  for (const e of events) {
    if (e.type !== 'settlement' || typeof e.conditionId !== 'string' || seen.has(e.conditionId)) continue;
    seen.add(e.conditionId);
    settlements.push({
      atMs: Number(e.atMs),
      market: e.conditionId,
      asset: e.asset as SettlementRow['asset'],
      winner: e.winner as SettlementRow['winner'],
      costUsd: Number(e.costUsd),
      feesUsd: Number(e.feesUsd),
      payoutUsd: Number(e.payoutUsd),
      realisedPnlUsd: Number(e.realisedPnlUsd),
    });
  }
  return { orders: file.orders, settlements };
}
