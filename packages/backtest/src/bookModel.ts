/**
 * The book model for price-history replays, explicit because results are only as honest as it is:
 * a market maker quotes Up around a *lagged, noisy* fair value — a Black–Scholes digital on the
 * spot `lagSteps` steps ago with its own volatility — plus a constant `bias`, with a `spread`
 * and `levels` levels of `depth` shares one tick apart. Down mirrors Up (1 − price), as the
 * exchange's minting makes it. Noise is seeded.
 */
import { floorToStep, type BookLevel, type OrderBook } from '@polybot/shared';
import { probabilityUp } from '@polybot/strategy';

export interface BookModelConfig {
  lagSteps: number;
  noiseSd: number;
  /** Added to the maker's fair value of Up (a deliberate mispricing for tests). */
  bias: number;
  spread: number;
  depth: number;
  levels: number;
  makerSigma: number;
  tickSize: number;
}

export const DEFAULT_BOOK_MODEL: BookModelConfig = {
  lagSteps: 1,
  noiseSd: 0.02,
  bias: 0,
  spread: 0.02,
  depth: 200,
  levels: 3,
  makerSigma: 0.6,
  tickSize: 0.01,
};

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(Math.max(this.next(), 1e-12))) * Math.cos(2 * Math.PI * this.next());
  }
}

export function makerBooks(
  cfg: BookModelConfig,
  input: {
    laggedSpot: number;
    strike: number;
    secondsLeft: number;
    twapSeconds: number;
    nowMs: number;
    upTokenId: string;
    downTokenId: string;
    conditionId: string;
  },
  rng: Rng,
): { up: OrderBook; down: OrderBook; fairUp: number } {
  const t = cfg.tickSize;
  const fair = probabilityUp({
    spot: input.laggedSpot,
    strike: input.strike,
    secondsLeft: input.secondsLeft,
    sigma: cfg.makerSigma,
    lambdaPerYear: 0,
    jumpMean: 0,
    jumpStd: 0,
    twapSeconds: input.twapSeconds,
  });
  const mid = Math.min(1 - 2 * t, Math.max(2 * t, fair + cfg.bias + (cfg.noiseSd > 0 ? cfg.noiseSd * rng.normal() : 0)));
  const bestBid = Math.max(t, floorToStep(mid - cfg.spread / 2, t));
  const bestAsk = Math.min(1 - t, Math.max(bestBid + t, floorToStep(mid + cfg.spread / 2 + t - 1e-9, t)));
  const bids: BookLevel[] = [];
  const asks: BookLevel[] = [];
  for (let k = 0; k < cfg.levels; k++) {
    const b = floorToStep(bestBid - k * t, t);
    const a = floorToStep(bestAsk + k * t, t);
    if (b >= t) bids.push({ price: b, size: cfg.depth });
    if (a <= 1 - t) asks.push({ price: a, size: cfg.depth });
  }
  const book = (tokenId: string, bs: typeof bids, as: typeof asks): OrderBook => ({
    tokenId,
    conditionId: input.conditionId,
    bids: bs,
    asks: as,
    timestampMs: input.nowMs,
    tickSize: t,
    minOrderSize: 5,
  });
  return {
    up: book(input.upTokenId, bids, asks),
    down: book(
      input.downTokenId,
      asks.map((l) => ({ price: floorToStep(1 - l.price + 1e-9, t), size: l.size })),
      bids.map((l) => ({ price: floorToStep(1 - l.price + 1e-9, t), size: l.size })),
    ),
    fairUp: fair,
  };
}
