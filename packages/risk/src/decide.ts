/**
 * One signal → one decision: the gate, then the size, then the order request. The risk worker and
 * the backtest both call this, so a replay decides exactly as the live process would on the same
 * signal, ledger and breaker state. Pure: no Redis, no clock of its own.
 */
import { OrderRequestSchema, type OrderRequest, type TradeSignal } from '@polybot/shared';
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
}

export type RiskDecision =
  | { accept: true; request: OrderRequest; size: SafeSize; shrink: number }
  | { accept: false; reasons: string[] };

/** A refusal reason safe to use as a metric label. */
const label = (s: string) => s.replace(/[^a-z0-9_]/gi, '_').slice(0, 40);

export function decideSignal(s: TradeSignal, inputs: DecideInputs, cores: DecideCores): RiskDecision {
  const verdict = cores.gate.validate(s, { nowMs: inputs.nowMs, breakerOpen: inputs.breakerOpen });
  if (!verdict.pass) return { accept: false, reasons: verdict.reasons };
  const bankrollUsd = bankrollOf(inputs.ledger);
  const size = cores.sizer.size(s, bankrollUsd, exposureOf(inputs.ledger, s.conditionId, s.asset), verdict.shrink);
  if (size.shares <= 0) return { accept: false, reasons: [label(`size_zero: ${size.zeroReason ?? 'unknown'}`)] };
  if (size.shares > s.maxShares + 1e-9) return { accept: false, reasons: ['no_depth'] };
  const request = OrderRequestSchema.parse({
    id: s.id,
    signalId: s.id,
    createdAtMs: inputs.nowMs,
    conditionId: s.conditionId,
    asset: s.asset,
    outcome: s.outcome,
    tokenId: s.tokenId,
    side: s.side,
    orderType: s.orderType,
    postOnly: false,
    price: s.limitPrice,
    size: size.shares,
    windowEndMs: s.market.windowEndMs,
    tickSize: s.market.tickSize,
    minOrderSize: s.market.minOrderSize,
    negRisk: s.market.negRisk,
    feeRate: s.market.feeSchedule.rate,
    ...(s.tickAtMs !== undefined ? { tickAtMs: s.tickAtMs } : {}),
    signalAtMs: s.createdAtMs,
    sizing: { bankrollUsd, kellyFraction: cores.sizer.config.kellyFraction * s.kellyFraction, notionalUsd: size.notionalUsd, cappedBy: size.cappedBy },
  });
  return { accept: true, request, size, shrink: verdict.shrink };
}
