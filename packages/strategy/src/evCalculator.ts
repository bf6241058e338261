/**
 * Edge, expected value and Kelly per share after the taker fee, against the price actually
 * fillable for a size (the book is walked, not just its top).
 */
import { effectiveCost, takerFeePerShare, type BookLevel, type FeeSchedule } from '@polybot/shared';

export interface Fill {
  shares: number;
  /** Volume-weighted price paid. */
  vwap: number;
  /** Worst price touched: the limit that fills it. */
  worstPrice: number;
  feePerShare: number;
}

/** Walks asks (best first) for up to `shares`, not above `limit`. */
export function walkAsks(asks: readonly BookLevel[], shares: number, limit = 1): Fill | null {
  let filled = 0;
  let cost = 0;
  let fee = 0;
  let worst = 0;
  for (const l of asks) {
    if (filled >= shares || l.price > limit) break;
    const q = Math.min(l.size, shares - filled);
    filled += q;
    cost += q * l.price;
    worst = l.price;
    fee += q * l.price * (1 - l.price); // × rate later
  }
  if (filled <= 0) return null;
  return { shares: filled, vwap: cost / filled, worstPrice: worst, feePerShare: fee / filled };
}

/** Kelly fraction for a binary paying 1, bought at an effective cost q with win probability p. */
export function kellyFraction(p: number, qEff: number): number {
  if (!(qEff > 0 && qEff < 1) || p <= qEff) return 0;
  return (p - qEff) / (1 - qEff);
}

export interface Opportunity {
  /** Shares fillable while each marginal level still has at least `minEdge` after fees. */
  shares: number;
  limitPrice: number;
  vwap: number;
  feePerShare: number;
  /** p − effective cost per share (fee included), over the whole fill. */
  edge: number;
  evPerShare: number;
  kelly: number;
}

/**
 * The largest taker buy whose every level still clears `minEdge` after the fee; null if even the
 * best ask does not. The fee is charged per fill at its own price, as on the venue.
 */
export function bestTakerBuy(p: number, asks: readonly BookLevel[], fee: Pick<FeeSchedule, 'rate' | 'exponent'>, minEdge: number): Opportunity | null {
  let limit = 0;
  for (const l of asks) {
    if (p - effectiveCost(l.price, fee) < minEdge) break;
    limit = l.price;
  }
  if (limit === 0) return null;
  const fill = walkAsks(asks, Number.POSITIVE_INFINITY, limit);
  if (!fill) return null;
  let feeTotal = 0;
  let left = fill.shares;
  for (const l of asks) {
    if (left <= 0 || l.price > limit) break;
    const q = Math.min(l.size, left);
    feeTotal += q * takerFeePerShare(l.price, fee);
    left -= q;
  }
  const feePerShare = feeTotal / fill.shares;
  const qEff = fill.vwap + feePerShare;
  return {
    shares: fill.shares,
    limitPrice: limit,
    vwap: fill.vwap,
    feePerShare,
    edge: p - qEff,
    evPerShare: p - qEff,
    kelly: kellyFraction(p, qEff),
  };
}

/** Resting as maker pays no fee: the edge of a bid at `price` if it fills. */
export function makerEdge(p: number, price: number): number {
  return p - price;
}
