import { normCdf, type Rng } from './random.js';
import { type PriceProcess, yearSeconds, type SimAsset } from './prices.js';

export interface SimMarket {
  id: string;
  conditionId: string;
  questionId: string;
  asset: SimAsset;
  slug: string;
  seriesSlug: string;
  startMs: number;
  endMs: number;
  createdMs: number;
  upToken: string;
  downToken: string;
  /** Published a few seconds into the window, as Gamma does. */
  priceToBeat: number | null;
  finalPrice: number | null;
  winner: 'Up' | 'Down' | null;
  closed: boolean;
}

export interface MarketConfig {
  windowSeconds: number;
  twap: boolean;
  twapSeconds: number;
  /** Delay before `priceToBeat` appears on Gamma (the real one shows it 5–60 s in). */
  priceToBeatDelayMs: number;
}

/** Creates one Up/Down market per asset per window, publishes the price to beat, resolves at the end. */
export class MarketSchedule {
  readonly markets = new Map<string, SimMarket>();
  readonly byToken = new Map<string, { market: SimMarket; outcome: 'Up' | 'Down' }>();
  private nextId = 4_000_000;

  constructor(
    private readonly cfg: MarketConfig,
    private readonly prices: Map<SimAsset, PriceProcess>,
    private readonly rng: Rng,
  ) {}

  get minutes(): number {
    return this.cfg.windowSeconds / 60;
  }

  /** The settlement price at time t: the TWAP ending at t, or the point price. */
  settlementPrice(asset: SimAsset, t: number): number {
    const p = this.prices.get(asset)!;
    return this.cfg.twap ? p.twap(t, this.cfg.twapSeconds) : p.at(t);
  }

  /** Ensures current and next windows exist; publishes prices to beat; resolves ended windows. Returns resolved markets. */
  tick(nowMs: number): SimMarket[] {
    const w = this.cfg.windowSeconds * 1_000;
    const current = Math.floor(nowMs / w) * w;
    for (const asset of this.prices.keys()) {
      for (const start of [current, current + w]) this.ensure(asset, start, nowMs);
    }
    const resolved: SimMarket[] = [];
    for (const m of this.markets.values()) {
      if (m.priceToBeat === null && nowMs >= m.startMs + this.cfg.priceToBeatDelayMs) {
        m.priceToBeat = round(this.settlementPrice(m.asset, m.startMs));
      }
      if (!m.closed && nowMs >= m.endMs) {
        m.priceToBeat ??= round(this.settlementPrice(m.asset, m.startMs));
        m.finalPrice = round(this.settlementPrice(m.asset, m.endMs));
        m.winner = m.finalPrice >= m.priceToBeat ? 'Up' : 'Down';
        m.closed = true;
        resolved.push(m);
      }
      // Forget markets an hour after they end.
      if (m.closed && nowMs > m.endMs + 3_600_000) {
        this.markets.delete(m.conditionId);
        this.byToken.delete(m.upToken);
        this.byToken.delete(m.downToken);
      }
    }
    return resolved;
  }

  private ensure(asset: SimAsset, startMs: number, nowMs: number): void {
    const slug = `${asset.toLowerCase()}-updown-${this.minutes}m-${startMs / 1_000}`;
    for (const m of this.markets.values()) if (m.slug === slug) return;
    const m: SimMarket = {
      id: String(this.nextId++),
      conditionId: `0x${this.rng.hex(32)}`,
      questionId: `0x${this.rng.hex(32)}`,
      asset,
      slug,
      seriesSlug: `${asset.toLowerCase()}-up-or-down-${this.minutes}m`,
      startMs,
      endMs: startMs + this.cfg.windowSeconds * 1_000,
      createdMs: nowMs,
      upToken: this.rng.digits(77),
      downToken: this.rng.digits(77),
      priceToBeat: null,
      finalPrice: null,
      winner: null,
      closed: false,
    };
    this.markets.set(m.conditionId, m);
    this.byToken.set(m.upToken, { market: m, outcome: 'Up' });
    this.byToken.set(m.downToken, { market: m, outcome: 'Down' });
  }

  /**
   * The market maker's fair P(Up): a Black–Scholes digital on the settlement price with the
   * TWAP variance reduction. Before the strike is known it is 0.5.
   */
  fairUp(m: SimMarket, nowMs: number): number {
    if (m.closed) return m.winner === 'Up' ? 1 : 0;
    const strike = m.priceToBeat ?? (nowMs >= m.startMs ? this.settlementPrice(m.asset, m.startMs) : null);
    if (strike === null) return 0.5;
    const p = this.prices.get(m.asset)!;
    const tau = Math.max(0, (m.endMs - nowMs) / 1_000);
    const w = this.cfg.twap ? this.cfg.twapSeconds : 0;
    let spot = p.latest().value;
    let varS = tau;
    if (w > 0 && tau >= w) varS = tau - (2 * w) / 3;
    else if (w > 0) {
      // Average of the 1-second prices over the elapsed part, weighted by its exact length
      // (summing a whole number of seconds against a fractional length would bias the level).
      const elapsed = w - tau;
      const n = Math.max(1, Math.round(elapsed));
      let sum = 0;
      for (let i = 0; i < n; i++) sum += p.at(nowMs - i * 1_000);
      spot = ((sum / n) * elapsed + tau * spot) / w;
      varS = tau ** 3 / (3 * w * w);
    }
    const sd = p.sigma * Math.sqrt(varS / yearSeconds);
    if (sd <= 0) return spot >= strike ? 1 : 0;
    return normCdf((Math.log(spot / strike) - (sd * sd) / 2) / sd);
  }
}

function round(v: number): number {
  return Number(v.toPrecision(10));
}
