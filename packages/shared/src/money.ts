/**
 * Grid arithmetic in integer units, so float drift never reaches an order.
 * A price of 0.57 on a 0.01 grid is 57 ticks; sizes use a 0.01-share grid (2 decimals).
 */
import type { FeeSchedule } from './domain/market.js';

export const SIZE_STEP = 0.01;
/** Polymarket floors fees to 1e-5 pUSD. */
export const FEE_QUANTUM = 1e-5;
const EPS = 1e-9;

export function decimalsOf(step: number): number {
  if (!(step > 0)) throw new RangeError(`step must be positive, got ${step}`);
  let d = 0;
  while (d < 12 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9) d++;
  return d;
}

const scales = new Map<number, number>();
/**
 * `units` whole steps as the double nearest to its decimal value (what `toFixed` then `Number`
 * gives, without the string round trip that dominated backtest profiles).
 */
function fromUnits(units: number, step: number): number {
  let scale = scales.get(step);
  if (scale === undefined) {
    scale = 10 ** decimalsOf(step);
    scales.set(step, scale);
  }
  return Math.round(units * step * scale) / scale;
}

export function floorToStep(value: number, step: number): number {
  return fromUnits(Math.floor(value / step + EPS), step);
}
export function ceilToStep(value: number, step: number): number {
  return fromUnits(Math.ceil(value / step - EPS), step);
}
export function roundToStep(value: number, step: number): number {
  return fromUnits(Math.round(value / step), step);
}
export function isOnStep(value: number, step: number): boolean {
  return Math.abs(value / step - Math.round(value / step)) < 1e-6;
}

/** A price is valid when it lies on the tick grid within [tick, 1 − tick]. */
export function isValidPrice(price: number, tick: number): boolean {
  return isOnStep(price, tick) && price >= tick - EPS && price <= 1 - tick + EPS;
}

/** Taker fee per share in pUSD: rate × (p(1 − p))^exponent. */
export function takerFeePerShare(price: number, schedule: Pick<FeeSchedule, 'rate' | 'exponent'>): number {
  return schedule.rate * (price * (1 - price)) ** schedule.exponent;
}

/** The fee the venue charges for `shares` taken at `price`, floored to 1e-5 as on chain. */
export function takerFee(shares: number, price: number, schedule: Pick<FeeSchedule, 'rate' | 'exponent'>): number {
  const raw = shares * takerFeePerShare(price, schedule);
  return Number((Math.floor(raw / FEE_QUANTUM + EPS) * FEE_QUANTUM).toFixed(5));
}

/** Cash paid per share when the fee is paid in cash on top of the price. */
export function effectiveCost(price: number, schedule: Pick<FeeSchedule, 'rate' | 'exponent'>): number {
  return price + takerFeePerShare(price, schedule);
}
