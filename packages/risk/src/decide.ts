/**
 * One signal → one decision: the gate, then the size, then the order request. The risk worker and
 * the backtest both call this, so a replay decides exactly as the live process would on the same
 * signal, ledger and breaker state. Pure: no Redis, no clock of its own.
 */
import {
  floorToStep,
  OrderRequestSchema,
  PairOrderRequestSchema,
  SIZE_STEP,
  takerFeePerShare,
  type OrderRequest,
  type PairOrderRequest,
  type TradePair,
  type TradeSignal,
} from '@polybot/shared';
import type { KellySizer, SafeSize } from './kellySizer.js';
import { bankrollOf, exposureOf, type Ledger } from './ledger.js';
import type { NoTradeGate } from './noTradeGate.js';

export interface DecideCores {
  gate: NoTradeGate;
  sizer: KellySizer;
}

export interface DecideInputs {
  nowMs: number;
  breakerOpen: boolean;
  ledger: Ledger;
  /**
   * The venue account (live and sim): sizing uses its bankroll instead of the ledger's, and no order
   * may spend more than it has available (fee included). Absent in replays: the ledger alone.
   */
  venue?: { bankrollUsd: number; availableUsd: number };
}

/** USD of notional that `availableUsd` pays for once the taker fee at `price` is added (fee per share / price). */
function cashForNotional(availableUsd: number, price: number, feePerShare: number): number {
  return Math.max(0, availableUsd) * (price / (price + feePerShare));
}

export type RiskDecision = { accept: true; request: OrderRequest; size: SafeSize; shrink: number } | { accept: false; reasons: string[] };

/** A refusal reason safe to use as a metric label. */
const label = (s: string) => s.replace(/[^a-z0-9_]/gi, '_').slice(0, 40);

/** The order request for a decided signal: the signal's own id, limit and market facts, at `shares`. */
function requestFor(s: TradeSignal, shares: number, nowMs: number, sizing: OrderRequest['sizing']): OrderRequest {
  return OrderRequestSchema.parse({
    id: s.id,
    signalId: s.id,
    createdAtMs: nowMs,
    conditionId: s.conditionId,
    asset: s.asset,
    outcome: s.outcome,
    tokenId: s.tokenId,
    side: s.side,
    orderType: s.orderType,
    postOnly: false,
    price: s.limitPrice,
    size: shares,
    windowEndMs: s.market.windowEndMs,
    tickSize: s.market.tickSize,
    minOrderSize: s.market.minOrderSize,
    negRisk: s.market.negRisk,
    feeRate: s.market.feeSchedule.rate,
    feeExponent: s.market.feeSchedule.exponent,
    ...(s.tickAtMs !== undefined ? { tickAtMs: s.tickAtMs } : {}),
    ...(s.expiresAtMs !== undefined ? { expiresAtMs: s.expiresAtMs } : {}),
    signalAtMs: s.createdAtMs,
    sizing,
  });
}

export function decideSignal(s: TradeSignal, inputs: DecideInputs, cores: DecideCores): RiskDecision {
  // A leg of a pair is only ever decided with its other leg (decidePair): alone it is a naked bet.
  if (s.pair || s.kind === 'arbitrage') return { accept: false, reasons: ['pair_leg_alone'] };
  const verdict = cores.gate.validate(s, { nowMs: inputs.nowMs, breakerOpen: inputs.breakerOpen });
  if (!verdict.pass) return { accept: false, reasons: verdict.reasons };
  const bankrollUsd = inputs.venue?.bankrollUsd ?? bankrollOf(inputs.ledger);
  const cashUsd = inputs.venue ? cashForNotional(inputs.venue.availableUsd, s.limitPrice, takerFeePerShare(s.limitPrice, s.market.feeSchedule)) : Infinity;
  const size = cores.sizer.size(s, bankrollUsd, exposureOf(inputs.ledger, s.conditionId, s.asset), verdict.shrink, cashUsd);
  if (size.shares <= 0) return { accept: false, reasons: [label(`size_zero: ${size.zeroReason ?? 'unknown'}`)] };
  if (size.shares > s.maxShares + 1e-9) return { accept: false, reasons: ['no_depth'] };
  const request = requestFor(s, size.shares, inputs.nowMs, {
    bankrollUsd,
    kellyFraction: cores.sizer.config.kellyFraction * s.kellyFraction,
    notionalUsd: size.notionalUsd,
    cappedBy: size.cappedBy,
  });
  return { accept: true, request, size, shrink: verdict.shrink };
}

export type PairDecision =
  | {
      accept: true;
      request: PairOrderRequest;
      shares: number;
      /** Both legs at their limit prices: what every cap was checked against. */
      notionalUsd: number;
      cappedBy: string | null;
      /** At the volume-weighted prices analysis saw, after both fees, for `shares` pairs. */
      expectedProfitUsd: number;
    }
  | { accept: false; reasons: string[] };

/**
 * Both legs of an Up+Down arbitrage, decided as one: the gate (breaker included) on each leg, and
 * a refusal of either refuses both; one size for both legs, the largest whose combined notional
 * (Up limit + Down limit per pair) fits every cap, the book depth analysis saw, and the $1
 * marketable minimum on each leg. A pair pays exactly 1, so Kelly does not bind: the caps do.
 * Also refuses a pair that is not an arbitrage at the legs' limit prices after fees.
 */
export function decidePair(p: TradePair, inputs: DecideInputs, cores: DecideCores): PairDecision {
  const [up, down] = p.legs;
  const reasons = new Set<string>();
  let shrink = 1;
  for (const leg of p.legs) {
    const v = cores.gate.validate(leg, { nowMs: inputs.nowMs, breakerOpen: inputs.breakerOpen });
    if (v.pass) shrink = Math.min(shrink, v.shrink);
    else for (const r of v.reasons) reasons.add(r);
  }
  const fee = up.market.feeSchedule;
  const f = (price: number) => takerFeePerShare(price, fee);
  // The worst the pair can cost is both legs filled at their limits: that must still pay.
  const worstCostPerPair = up.limitPrice + down.limitPrice + f(up.limitPrice) + f(down.limitPrice);
  if (!(worstCostPerPair < 1)) reasons.add('not_an_arbitrage');
  if (up.market.windowEndMs !== down.market.windowEndMs || up.tokenId === down.tokenId) reasons.add('legs_inconsistent');
  if (reasons.size) return { accept: false, reasons: [...reasons] };

  const bankrollUsd = inputs.venue?.bankrollUsd ?? bankrollOf(inputs.ledger);
  const exposure = exposureOf(inputs.ledger, p.conditionId, p.asset);
  const perPair = up.limitPrice + down.limitPrice; // notional of one pair at the limits, as the sizer prices a leg
  const cashUsd = inputs.venue ? cashForNotional(inputs.venue.availableUsd, perPair, f(up.limitPrice) + f(down.limitPrice)) : Infinity;
  // No Kelly bound on a sure payoff: the sizer's caps alone, on both legs' notional.
  const { usd, cappedBy } = cores.sizer.capped(Infinity, bankrollUsd, exposure, Math.min(up.maxShares, down.maxShares) * perPair, cashUsd);
  const shares = floorToStep((usd * shrink) / perPair, SIZE_STEP);
  if (shares <= 0) return { accept: false, reasons: [label(`size_zero: no size after caps (${cappedBy ?? 'none'})`)] };
  if (shares * up.limitPrice < 1 || shares * down.limitPrice < 1)
    return { accept: false, reasons: [label('size_zero: below the $1 minimum for a marketable order')] };
  const notionalUsd = Number((shares * perPair).toFixed(6));
  const vwapCost = up.fillablePrice + down.fillablePrice + f(up.fillablePrice) + f(down.fillablePrice);
  const expectedProfitUsd = Number((shares * (1 - vwapCost)).toFixed(6));
  const sizing = (leg: TradeSignal): OrderRequest['sizing'] => ({
    bankrollUsd,
    kellyFraction: 0,
    notionalUsd: Number((shares * leg.limitPrice).toFixed(6)),
    cappedBy,
  });
  const request = PairOrderRequestSchema.parse({
    kind: 'pair',
    id: p.id,
    createdAtMs: inputs.nowMs,
    conditionId: p.conditionId,
    asset: p.asset,
    shares,
    worstCostPerPair,
    expectedProfitUsd,
    legs: [requestFor(up, shares, inputs.nowMs, sizing(up)), requestFor(down, shares, inputs.nowMs, sizing(down))],
    onLoneFill: { UP: up.pair?.onLoneFill ?? 'sell', DOWN: down.pair?.onLoneFill ?? 'sell' },
  });
  return { accept: true, request, shares, notionalUsd, cappedBy, expectedProfitUsd };
}
