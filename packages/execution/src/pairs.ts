/**
 * What to do with an arbitrage leg that filled alone, judged at the book as it is now. Pure.
 *
 * - sell: sell the lone shares back into the bids (paying the taker fee): loses what was paid
 *   minus the net proceeds, per share;
 * - hold: keep them and buy the other side from the asks, so every share is a pair paying 1 at
 *   resolution: loses what the pair then cost above 1, per share.
 *
 * Both walk the book for the lone size. An action whose order would fall under the venue's $1
 * marketable minimum, or that finds no book, is not available. Ties go to selling (cash back now).
 */
import { floorToStep, SIZE_STEP, takerFeePerShare, type BookLevel } from '@polybot/shared';

export interface LoneLegInput {
  /** What the lone leg cost per share, fees included. */
  paidPerShare: number;
  /** Lone shares to unwind. */
  shares: number;
  /** The lone leg's own bids, best first. */
  ownBids: readonly BookLevel[];
  /** The other side's asks, best first. */
  otherAsks: readonly BookLevel[];
  feeRate: number;
  /** The fee curve's exponent; 1 when not given (every crypto market since Fee Structure V2). */
  feeExponent?: number;
}

export interface LoneLegChoice {
  action: 'sell' | 'hold';
  /** Shares the unwind order asks for (the book may hold fewer than the lone size). */
  shares: number;
  /** Worst price touched: the FAK order's limit. */
  limitPrice: number;
  lossPerShare: number;
  /** Both candidates per share (Infinity: not available). */
  sellLoss: number;
  holdLoss: number;
}

function walk(levels: readonly BookLevel[], shares: number, feeRate: number, feeExponent = 1) {
  let filled = 0;
  let value = 0;
  let fee = 0;
  let worst = 0;
  for (const l of levels) {
    if (filled >= shares - 1e-9) break;
    const q = Math.min(l.size, shares - filled);
    filled += q;
    value += q * l.price;
    fee += q * takerFeePerShare(l.price, { rate: feeRate, exponent: feeExponent });
    worst = l.price;
  }
  const size = floorToStep(filled, SIZE_STEP);
  if (size <= 0 || size * worst < 1) return null; // nothing, or under the $1 marketable minimum
  return { size, vwap: value / filled, feePerShare: fee / filled, worst };
}

export function loneLegChoice(i: LoneLegInput): LoneLegChoice | null {
  const sell = walk(i.ownBids, i.shares, i.feeRate, i.feeExponent);
  const hold = walk(i.otherAsks, i.shares, i.feeRate, i.feeExponent);
  const sellLoss = sell ? i.paidPerShare - (sell.vwap - sell.feePerShare) : Infinity;
  const holdLoss = hold ? i.paidPerShare + hold.vwap + hold.feePerShare - 1 : Infinity;
  if (sell && sellLoss <= holdLoss) return { action: 'sell', shares: sell.size, limitPrice: sell.worst, lossPerShare: sellLoss, sellLoss, holdLoss };
  if (hold) return { action: 'hold', shares: hold.size, limitPrice: hold.worst, lossPerShare: holdLoss, sellLoss, holdLoss };
  return null;
}
