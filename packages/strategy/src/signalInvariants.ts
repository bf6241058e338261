/**
 * The numeric invariants of a signal the strategy built, checked cheaply. The full zod schema is
 * applied where a signal crosses a boundary (the queue producer and consumer); re-parsing every
 * signal inside the pass allocated more than the pass itself and dominated long backtests. The
 * backtest's parity test parses every signal it made with the full schema.
 */
import { isOnStep, type TradeSignal } from '@polybot/shared';

export function checkedSignal(s: TradeSignal): TradeSignal {
  const bad = (what: string): never => {
    throw new Error(`strategy built an invalid signal ${s.id}: ${what}`);
  };
  if (!(s.limitPrice > 0 && s.limitPrice < 1) || !isOnStep(s.limitPrice, s.market.tickSize))
    bad(`limit price ${s.limitPrice} off the ${s.market.tickSize} grid or outside (0, 1)`);
  if (!(s.fillablePrice > 0 && s.fillablePrice < 1)) bad(`fillable price ${s.fillablePrice}`);
  if (!(s.modelProbability >= 0 && s.modelProbability <= 1)) bad(`model probability ${s.modelProbability}`);
  if (!(s.kellyFraction >= 0 && s.kellyFraction <= 1)) bad(`Kelly fraction ${s.kellyFraction}`);
  if (!(s.maxShares >= 0) || !(s.feePerShare >= 0) || !Number.isFinite(s.edge) || !Number.isFinite(s.evPerShare)) bad('a non-finite size, fee, edge or EV');
  return s;
}
