/** Settlement: once a window has ended and every trade in it is final on chain, book the winner's payout. */
import type { OrderManager } from '../orderManager.js';
import type { EngineDeps } from './deps.js';

export class Settlement {
  constructor(private readonly d: EngineDeps) {}

  async settle(nowMs: number): Promise<void> {
    const { manager, port, cfg, logger } = this.d;
    const byMarket = new Map<string, ReturnType<OrderManager['positions']>>();
    for (const p of manager.positions()) {
      if (manager.isSettled(p.conditionId) || nowMs < p.windowEndMs + cfg.settleAfterMs) continue;
      byMarket.set(p.conditionId, [...(byMarket.get(p.conditionId) ?? []), p]);
    }
    for (const [conditionId, positions] of byMarket) {
      const unsettledFills = manager
        .all()
        .some((o) => o.request.conditionId === conditionId && o.fills.some((f) => f.status === 'MATCHED' || f.status === 'MINED'));
      if (unsettledFills) continue; // wait until every trade is final on chain
      // Pairs merged into pUSD were booked at their merge: only what is still held settles here.
      const merged = cfg.merged?.(conditionId) ?? { shares: 0, costUsd: 0, feesUsd: 0, pending: false };
      if (merged.pending) continue; // a merge in flight: settle once it is final
      const winner = await port.winner(conditionId).catch(() => null);
      if (!winner) continue;
      const up = positions.find((p) => p.outcome === 'UP');
      const down = positions.find((p) => p.outcome === 'DOWN');
      const upShares = Math.max(0, (up?.confirmed ?? 0) + (up?.pending ?? 0) - merged.shares);
      const downShares = Math.max(0, (down?.confirmed ?? 0) + (down?.pending ?? 0) - merged.shares);
      const cost = positions.reduce((s, p) => s + p.costUsd, 0) - merged.costUsd;
      const fees = Math.max(0, positions.reduce((s, p) => s + p.feesUsd, 0) - merged.feesUsd);
      const payout = winner === 'UP' ? upShares : downShares;
      const pnl = Number((payout - cost - fees).toFixed(6));
      manager.markSettled(conditionId, {
        id: `set-${conditionId}`,
        atMs: nowMs,
        type: 'settlement',
        conditionId,
        asset: positions[0]!.asset,
        winner,
        upShares,
        downShares,
        costUsd: Number(cost.toFixed(6)),
        feesUsd: Number(fees.toFixed(6)),
        payoutUsd: payout,
        realisedPnlUsd: pnl,
      });
      logger.info({ conditionId, winner, payout, pnl }, 'position settled');
    }
  }
}
