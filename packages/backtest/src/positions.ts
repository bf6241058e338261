/**
 * Booking a replayed order the way the live processes do — the OrderManager's fills (execution),
 * the ledger's fill and settlement events (risk) — and the position it leaves in its market. The
 * price-history backtest and the recording replay both book through here.
 */
import type { Asset, OrderRequest, Outcome } from '@polybot/shared';
import { applyEvent, type Ledger } from '@polybot/risk';
import type { OrderManager } from '@polybot/execution';
import type { TakerResult } from '@polybot/execution';

/** Shares held of each side in one market, what they cost and the fees paid. */
export interface Held {
  up: number;
  down: number;
  cost: number;
  fees: number;
}

export const emptyHeld = (): Held => ({ up: 0, down: 0, cost: 0, fees: 0 });

/**
 * One fill of an order the manager already holds, applied as the live processes apply it: to the
 * OrderManager (execution), the ledger's fill event (risk) and `held`. A taker fill (bookOrder) and a
 * resting bid's later maker fill (the recorded-books replay) both go through here.
 */
export function bookFill(
  b: { manager: OrderManager; ledger: Ledger; held: Held },
  request: OrderRequest,
  f: { size: number; price: number; fee: number },
  tradeId: string,
  atMs: number,
): void {
  b.manager.applyFill(request.id, { tradeId, size: f.size, price: f.price, fee: f.fee, status: 'CONFIRMED', atMs }, atMs);
  applyEvent(b.ledger, {
    id: `fill-${tradeId}`,
    atMs,
    type: 'fill',
    orderId: request.id,
    signalId: request.signalId,
    conditionId: request.conditionId,
    asset: request.asset,
    outcome: request.outcome,
    tradeId,
    status: 'CONFIRMED',
    size: f.size,
    price: f.price,
    fee: f.fee,
  });
  if (request.outcome === 'UP') b.held.up += f.size;
  else b.held.down += f.size;
  b.held.cost += f.size * f.price;
  b.held.fees += f.fee;
}

/**
 * Creates the order (at `createdAtMs`), applies each fill (at `atMs`) to the manager, the ledger and
 * `held`, and cancels an unfilled remainder. Trade ids are `<prefix>-<order id>-<k>`.
 */
export function bookOrder(
  b: { manager: OrderManager; ledger: Ledger; held: Held; prefix: string },
  request: OrderRequest,
  filled: TakerResult,
  createdAtMs: number,
  atMs: number,
): void {
  b.manager.create(request, `${b.prefix}-${request.id}`, {}, createdAtMs);
  filled.fills.forEach((f, k) => bookFill(b, request, f, `${b.prefix}-${request.id}-${k}`, atMs));
  if (filled.remaining > 0) b.manager.transition(request.id, 'cancel', atMs, `${request.orderType} remainder`);
}

/** Settles a market's position on its winner in the ledger; returns the realised PnL after fees. */
export function settleHeld(ledger: Ledger, held: Held, m: { conditionId: string; asset: Asset; winner: Outcome; atMs: number }): number {
  const payout = m.winner === 'UP' ? held.up : held.down;
  const realisedPnlUsd = payout - held.cost - held.fees;
  applyEvent(ledger, {
    id: `set-${m.conditionId}`,
    atMs: m.atMs,
    type: 'settlement',
    conditionId: m.conditionId,
    asset: m.asset,
    winner: m.winner,
    upShares: held.up,
    downShares: held.down,
    costUsd: held.cost,
    feesUsd: held.fees,
    payoutUsd: payout,
    realisedPnlUsd,
  });
  return realisedPnlUsd;
}
