/**
 * Simulated fills against a real order book: pure, so paper trading and the backtest share it.
 * A marketable order walks the opposite side level by level from the best price up to its limit;
 * each level's fill pays the taker fee `shares × rate × (p(1−p))^exponent` floored to 1e-5 (as on chain).
 * The taker delay is the caller's job: match against the book as it stands `takerDelayMs` later.
 */
import { floorToStep, SIZE_STEP, takerFee, type BookLevel, type OrderType, type Side } from '@polybot/shared';

export interface SimulatedFill {
  price: number;
  size: number;
  /** pUSD, floored to 1e-5. Zero for maker fills. */
  fee: number;
}

export interface TakerInput {
  side: Side;
  /** Worst acceptable price (BUY: highest, SELL: lowest). */
  limitPrice: number;
  /** Shares wanted, on the size grid. */
  size: number;
  orderType: OrderType;
  /** The opposite side, best first: asks ascending for a BUY, bids descending for a SELL. */
  levels: readonly BookLevel[];
  feeRate: number;
  /** The fee curve's exponent (fee per share = rate × (p(1−p))^exponent); 1 when the market's schedule says so or is not known. */
  feeExponent?: number;
}

export interface TakerResult {
  fills: SimulatedFill[];
  filledSize: number;
  /** What is left: rests for GTC/GTD, is cancelled for FAK, and FOK kills everything when > 0. */
  remaining: number;
  killed: boolean;
}

const crosses = (side: Side, level: number, limit: number) => (side === 'BUY' ? level <= limit + 1e-9 : level >= limit - 1e-9);

/** Walks the book for the marketable part of an order. Levels that do not cross the limit stop the walk. */
export function walkBook(input: TakerInput): TakerResult {
  const fills: SimulatedFill[] = [];
  let remaining = floorToStep(input.size, SIZE_STEP);
  for (const level of input.levels) {
    if (remaining <= 0 || !crosses(input.side, level.price, input.limitPrice)) break;
    const size = floorToStep(Math.min(remaining, level.size), SIZE_STEP);
    if (size <= 0) continue;
    fills.push({ price: level.price, size, fee: takerFee(size, level.price, { rate: input.feeRate, exponent: input.feeExponent ?? 1 }) });
    remaining = floorToStep(remaining - size, SIZE_STEP);
  }
  const filledSize = floorToStep(input.size - remaining, SIZE_STEP);
  if (input.orderType === 'FOK' && remaining > 0) return { fills: [], filledSize: 0, remaining: input.size, killed: true };
  return { fills, filledSize, remaining, killed: input.orderType === 'FAK' && filledSize === 0 };
}

export interface RestingInput {
  side: Side;
  price: number;
  remaining: number;
  /** The opposite side now, best first. */
  levels: readonly BookLevel[];
}

/**
 * A resting order fills as a maker when the book moves through its price: shares shown at or
 * better than our price are assumed to trade with us at our price (optimistic: no queue position).
 */
export function fillResting(input: RestingInput): SimulatedFill | null {
  let available = 0;
  for (const level of input.levels) {
    if (!crosses(input.side, level.price, input.price)) break;
    available += level.size;
  }
  const size = floorToStep(Math.min(available, input.remaining), SIZE_STEP);
  return size > 0 ? { price: input.price, size, fee: 0 } : null;
}
