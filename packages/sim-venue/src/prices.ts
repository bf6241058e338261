import { type Rng } from './random.js';

export const SIM_ASSETS = ['BTC', 'ETH', 'SOL', 'XRP'] as const;
export type SimAsset = (typeof SIM_ASSETS)[number];

const START: Record<SimAsset, { price: number; sigma: number }> = {
  BTC: { price: 97_000, sigma: 0.55 },
  ETH: { price: 3_400, sigma: 0.7 },
  SOL: { price: 190, sigma: 0.9 },
  XRP: { price: 1.4, sigma: 0.95 },
};
const YEAR_S = 365 * 24 * 3600;
const HISTORY_S = 2 * 3600;

export interface PricePoint {
  timestampMs: number;
  value: number;
}

/**
 * A jump-diffusion price per asset, ticking once a second: the stand-in for Chainlink.
 * Keeps two hours of 1-second history for TWAPs and the /history endpoint.
 */
export class PriceProcess {
  readonly sigma: number;
  readonly jumpsPerYear = 1_700;
  readonly jumpStd = 0.004;
  private readonly points: PricePoint[] = [];

  constructor(
    readonly asset: SimAsset,
    private readonly rng: Rng,
    startMs: number,
  ) {
    this.sigma = START[asset].sigma;
    // Seed a short past so TWAPs and vol estimates have data from the first second.
    let v = START[asset].price;
    for (let t = startMs - 600_000; t <= startMs; t += 1_000) {
      v = this.step(v, 1);
      this.points.push({ timestampMs: t, value: v });
    }
  }

  private step(v: number, dtS: number): number {
    const dt = dtS / YEAR_S;
    let logRet = this.sigma * Math.sqrt(dt) * this.rng.normal() - 0.5 * this.sigma * this.sigma * dt;
    if (this.rng.next() < this.jumpsPerYear * dt) logRet += this.jumpStd * this.rng.normal();
    return v * Math.exp(logRet);
  }

  /** Advances the process to `nowMs` in 1-second steps. */
  advance(nowMs: number): void {
    let last = this.points[this.points.length - 1]!;
    while (last.timestampMs + 1_000 <= nowMs) {
      last = { timestampMs: last.timestampMs + 1_000, value: this.step(last.value, 1) };
      this.points.push(last);
    }
    const cutoff = nowMs - HISTORY_S * 1_000;
    let drop = 0;
    while (drop < this.points.length - 1 && this.points[drop]!.timestampMs < cutoff) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }

  /** Moves the price by a percentage at once (a benchmark's controlled tick). */
  jump(pct: number, nowMs: number): void {
    const last = this.latest();
    this.points.push({ timestampMs: Math.max(nowMs, last.timestampMs + 1), value: last.value * (1 + pct / 100) });
  }

  latest(): PricePoint {
    return this.points[this.points.length - 1]!;
  }

  /** Price at or just before `t`. */
  at(t: number): number {
    let lo = 0;
    let hi = this.points.length - 1;
    if (t <= this.points[0]!.timestampMs) return this.points[0]!.value;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.points[mid]!.timestampMs <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.points[lo]!.value;
  }

  /** Time-weighted average of the 1-second prices in (endMs − windowS, endMs]. */
  twap(endMs: number, windowS: number): number {
    let sum = 0;
    for (let i = 0; i < windowS; i++) sum += this.at(endMs - i * 1_000);
    return sum / windowS;
  }

  history(fromMs: number, toMs: number): PricePoint[] {
    return this.points.filter((p) => p.timestampMs >= fromMs && p.timestampMs <= toMs).slice(-7_200);
  }
}

export const yearSeconds = YEAR_S;
