/**
 * An order store (execution's orders.db, written by its own store code) with known fills and
 * settlements over two UTC days, for the page and /api tests. The real path (execution placing,
 * filling and settling on the sim venue, then `polybot trades`/`daily`) is `cli/src/history.test.ts`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openOrderStore, type OrdersFile } from '@polybot/execution/store';
import type { Asset, ExecutionEvent, Order, Outcome } from '@polybot/shared';

export const DAY1 = Date.parse('2026-12-01T10:00:00Z');
export const DAY2 = DAY1 + 86_400_000;
const cid = (c: string) => `0x${c.repeat(64)}`;

function order(id: string, c: string, asset: Asset, outcome: Outcome, price: number, size: number, fee: number, atMs: number): Order {
  return {
    request: {
      id,
      signalId: id,
      createdAtMs: atMs,
      conditionId: cid(c),
      asset,
      outcome,
      tokenId: String(1000 + id.length + (atMs % 997)),
      side: 'BUY',
      orderType: 'FAK',
      postOnly: false,
      price,
      size,
      windowEndMs: atMs + 900_000,
      tickSize: 0.01,
      minOrderSize: 5,
      negRisk: false,
      feeRate: 0.07,
      sizing: { bankrollUsd: 1_000, kellyFraction: 0.25, notionalUsd: price * size, cappedBy: null },
    },
    venueOrderId: `0x${id}`,
    state: 'filled',
    filledSize: size,
    fills: [{ tradeId: `t-${id}`, size, price, fee, status: 'CONFIRMED', atMs: atMs + 1_000 }],
    history: [{ from: null, to: 'new', atMs }],
    updatedAtMs: atMs + 1_000,
  };
}

function settlement(c: string, asset: Asset, pnl: number, atMs: number): ExecutionEvent {
  return {
    id: `set-${cid(c)}`,
    atMs,
    type: 'settlement',
    conditionId: cid(c),
    asset,
    winner: 'UP',
    upShares: 10,
    downShares: 0,
    costUsd: 5,
    feesUsd: 0.1,
    payoutUsd: pnl > 0 ? 10 : 0,
    realisedPnlUsd: pnl,
  };
}

/**
 * Day 1: one BTC fill, its market settled +4.90. Day 2: an ETH fill settled −4.10 and a BTC fill
 * settled +3.90, plus a FAILED fill (undone on chain) that must not count.
 */
export function writeHistoryFixture(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const failed = order('o4', 'd', 'SOL', 'UP', 0.3, 10, 0.05, DAY2 + 60_000);
  failed.fills[0]!.status = 'FAILED';
  failed.state = 'canceled';
  failed.filledSize = 0;
  const file: OrdersFile = {
    version: 1,
    updatedAtMs: DAY2,
    orders: [
      order('o1', 'a', 'BTC', 'UP', 0.5, 10, 0.1, DAY1),
      order('o2', 'b', 'ETH', 'DOWN', 0.4, 10, 0.12, DAY2),
      order('o3', 'c', 'BTC', 'UP', 0.6, 10, 0.08, DAY2),
      failed,
    ],
    signed: {},
    settled: [cid('a'), cid('b'), cid('c')],
    outbox: [],
    pairs: [],
    settlements: [settlement('a', 'BTC', 4.9, DAY1 + 900_000), settlement('b', 'ETH', -4.1, DAY2 + 900_000), settlement('c', 'BTC', 3.9, DAY2 + 900_000)],
  };
  const store = openOrderStore(path.join(dataDir, 'orders.db'));
  try {
    store.save(file, DAY2 + 900_000);
  } finally {
    store.close();
  }
}
