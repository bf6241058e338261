/**
 * Execution's own hard limits, checked before an order is signed and again before a signed order
 * is re-sent. They read only execution's own records (filled and open orders), never risk's ledger,
 * and are configured apart from risk (`EXEC_MAX_*`), so a job put straight into the `orders` queue,
 * a risk bug or a stale redelivery cannot move more money than these numbers. Pure: no I/O, no clock.
 */
import { TERMINAL_ORDER_STATES, type Order, type OrderRequest } from '@polybot/shared';

export interface HardLimits {
  /** Largest notional of one order (size × limit price, pUSD). */
  maxOrderUsd: number;
  /** Largest exposure on one market: filled cost plus what open BUY orders could still fill. */
  maxMarketExposureUsd: number;
  /** Largest exposure over every market not yet settled. */
  maxTotalExposureUsd: number;
  /** Oldest order request (from the time risk created it) that may still be signed or (re-)sent. */
  maxOrderAgeMs: number;
  /** Allowance for the clocks of risk's and execution's machines disagreeing. */
  clockSkewMs: number;
}

export const DEFAULT_HARD_LIMITS: HardLimits = {
  maxOrderUsd: 50,
  maxMarketExposureUsd: 100,
  maxTotalExposureUsd: 400,
  maxOrderAgeMs: 30_000,
  clockSkewMs: 2_000,
};

export interface Exposure {
  market: number;
  total: number;
}

const cents = (v: number) => v.toFixed(2);

/** Filled cost (fills not FAILED; a SELL lowers it) plus the unfilled rest of open BUY orders, per market. */
export function exposureFrom(orders: readonly Order[], conditionId: string, isSettled: (conditionId: string) => boolean): Exposure {
  const byMarket = new Map<string, number>();
  for (const o of orders) {
    const cid = o.request.conditionId;
    if (isSettled(cid)) continue;
    const sign = o.request.side === 'BUY' ? 1 : -1;
    let usd = 0;
    for (const f of o.fills) if (f.status !== 'FAILED') usd += sign * f.size * f.price;
    if (o.request.side === 'BUY' && !TERMINAL_ORDER_STATES.has(o.state)) usd += Math.max(0, o.request.size - o.filledSize) * o.request.price;
    byMarket.set(cid, (byMarket.get(cid) ?? 0) + usd);
  }
  let total = 0;
  for (const v of byMarket.values()) total += Math.max(0, v);
  return { market: Math.max(0, byMarket.get(conditionId) ?? 0), total };
}

/** The age check alone: also applied before a signed order is re-sent after a restart. */
export function ageProblem(r: OrderRequest, limits: HardLimits, nowMs: number): string | null {
  const age = nowMs - r.createdAtMs;
  if (age > limits.maxOrderAgeMs + limits.clockSkewMs)
    return `hard limit: order is ${age} ms old, over the ${limits.maxOrderAgeMs} ms maximum (+${limits.clockSkewMs} ms clock skew)`;
  if (-age > limits.clockSkewMs) return `hard limit: order is dated ${-age} ms in the future, beyond the ${limits.clockSkewMs} ms clock-skew allowance`;
  return null;
}

/**
 * Why this request must not be signed (null: within every limit). `exposureExempt` is for orders
 * execution makes itself to reduce a position (a lone arbitrage leg's unwind), never for a job.
 */
export function hardLimitProblem(
  r: OrderRequest,
  ownOrders: readonly Order[],
  isSettled: (conditionId: string) => boolean,
  limits: HardLimits,
  nowMs: number,
  exposureExempt = false,
): string | null {
  const age = ageProblem(r, limits, nowMs);
  if (age) return age;
  const notional = r.size * r.price;
  if (!Number.isFinite(notional) || notional > limits.maxOrderUsd + 1e-9)
    return `hard limit: order notional $${cents(notional)} is over the $${cents(limits.maxOrderUsd)} maximum per order`;
  if (r.side !== 'BUY' || exposureExempt) return null;
  const e = exposureFrom(ownOrders, r.conditionId, isSettled);
  if (e.market + notional > limits.maxMarketExposureUsd + 1e-9) {
    return `hard limit: market exposure would be $${cents(e.market + notional)} ($${cents(e.market)} held or open + $${cents(notional)}), over the $${cents(limits.maxMarketExposureUsd)} maximum per market`;
  }
  if (e.total + notional > limits.maxTotalExposureUsd + 1e-9) {
    return `hard limit: total exposure would be $${cents(e.total + notional)} ($${cents(e.total)} held or open + $${cents(notional)}), over the $${cents(limits.maxTotalExposureUsd)} maximum`;
  }
  return null;
}

/**
 * A pair job as a whole, before its first leg is signed: each leg's age and notional, and both legs
 * together against the market and total exposure (so a first leg is never bought whose second the
 * limits would then refuse).
 */
export function pairLimitProblem(
  legs: readonly OrderRequest[],
  ownOrders: readonly Order[],
  isSettled: (conditionId: string) => boolean,
  limits: HardLimits,
  nowMs: number,
): string | null {
  for (const leg of legs) {
    const p = hardLimitProblem({ ...leg, side: 'SELL' }, [], isSettled, limits, nowMs); // age and notional only
    if (p) return `${leg.outcome} leg: ${p}`;
  }
  const notional = legs.reduce((s, l) => s + l.size * l.price, 0);
  const e = exposureFrom(ownOrders, legs[0]!.conditionId, isSettled);
  if (e.market + notional > limits.maxMarketExposureUsd + 1e-9) {
    return `hard limit: both legs ($${cents(notional)}) would bring market exposure to $${cents(e.market + notional)}, over the $${cents(limits.maxMarketExposureUsd)} maximum per market`;
  }
  if (e.total + notional > limits.maxTotalExposureUsd + 1e-9) {
    return `hard limit: both legs ($${cents(notional)}) would bring total exposure to $${cents(e.total + notional)}, over the $${cents(limits.maxTotalExposureUsd)} maximum`;
  }
  return null;
}
