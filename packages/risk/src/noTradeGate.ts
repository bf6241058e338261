/**
 * The last word before money moves: every check has a threshold and a named reason, and a
 * refusal lists every failing reason, not just the first.
 */
import { isValidPrice, type TradeSignal } from '@polybot/shared';

export interface GateConfig {
  maxOracleAgeMs: number;
  maxSignalAgeMs: number;
  maxBookAgeMs: number;
  maxSpread: number;
  minSecondsToExpiry: number;
  toxicity: 'block' | 'shrink' | 'ignore';
}

export const DEFAULT_GATE: GateConfig = {
  maxOracleAgeMs: 5_000,
  maxSignalAgeMs: 5_000,
  maxBookAgeMs: 5_000,
  maxSpread: 0.1,
  minSecondsToExpiry: 10,
  toxicity: 'block',
};

export type GateReason =
  | 'oracle_stale'
  | 'signal_stale'
  | 'book_stale'
  | 'spread_too_wide'
  | 'no_depth'
  | 'too_close_to_expiry'
  | 'price_to_beat_unknown'
  | 'not_accepting_orders'
  | 'probability_out_of_range'
  | 'price_off_grid'
  | 'toxic_flow'
  | 'breaker_open';

export type GateResult = { pass: true; shrink: number } | { pass: false; reasons: GateReason[] };

export interface GateContext {
  nowMs: number;
  breakerOpen: boolean;
}

export class NoTradeGate {
  constructor(readonly config: GateConfig = DEFAULT_GATE) {}

  validate(s: TradeSignal, ctx: GateContext): GateResult {
    const c = this.config;
    const e = s.evidence;
    const reasons: GateReason[] = [];
    if (ctx.breakerOpen) reasons.push('breaker_open');
    const oracleAge = ctx.nowMs - e.oracleTimestampMs;
    if (!Number.isFinite(oracleAge) || oracleAge > c.maxOracleAgeMs || oracleAge < -5_000) reasons.push('oracle_stale');
    if (ctx.nowMs - s.createdAtMs > c.maxSignalAgeMs) reasons.push('signal_stale');
    if (ctx.nowMs - e.bookTimestampMs > c.maxBookAgeMs) reasons.push('book_stale');
    if (e.bestBid === null || e.bestAsk === null || e.bestAsk - e.bestBid > c.maxSpread + 1e-9) reasons.push('spread_too_wide');
    if (!(e.depthAtLimit > 0) || !(s.maxShares > 0)) reasons.push('no_depth');
    if ((s.market.windowEndMs - ctx.nowMs) / 1000 < c.minSecondsToExpiry) reasons.push('too_close_to_expiry');
    if (!(e.priceToBeat > 0) || ctx.nowMs < s.market.windowStartMs) reasons.push('price_to_beat_unknown');
    if (!s.market.acceptingOrders) reasons.push('not_accepting_orders');
    if (!(s.modelProbability >= 0 && s.modelProbability <= 1) || !(s.fillablePrice > 0 && s.fillablePrice < 1)) reasons.push('probability_out_of_range');
    if (!isValidPrice(s.limitPrice, s.market.tickSize)) reasons.push('price_off_grid');
    const toxic = e.toxicity.some((f) => f.flagged);
    if (toxic && c.toxicity === 'block') reasons.push('toxic_flow');
    if (reasons.length) return { pass: false, reasons };
    return { pass: true, shrink: toxic && c.toxicity === 'shrink' ? 0.5 : 1 };
  }
}
