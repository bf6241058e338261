/**
 * The model against the market on recorded windows (docs/quant.md §7): at fixed minutes into each
 * window, the Brier score and log loss of the jump-diffusion model, of a plain Black–Scholes
 * digital at the same σ and of the market's Up mid, with paired differences per window and their
 * standard errors. At one horizon a window gives one pair, so the standard error is the plain one
 * across windows; pooled over horizons, each window's differences are averaged first (horizons of
 * one window share its outcome) and the standard error is taken across windows: clustered by window.
 */
import type { Asset } from '@polybot/shared';
import { CALIBRATION_LOOKBACK_MS, estimateJumpDiffusion, FALLBACK_PARAMS, probabilityUp, type JumpParams } from '@polybot/strategy';
import { clampProbability } from '@polybot/strategy';
import type { BookSample, RecordedWindow, Timeframe } from './polymarketData.js';

export const HORIZONS: Record<Timeframe, readonly number[]> = { '15m': [1, 5, 10, 14], '1h': [5, 15, 30, 45, 55] };
/** How old the sample used for a horizon may be (the 15-minute books are ~1 s apart, the hourly ones 1 min). */
export const SAMPLE_TOLERANCE_MS: Record<Timeframe, number> = { '15m': 30_000, '1h': 120_000 };

/** One-minute underlying prices of one asset, from every sample of the file (the last of each minute). */
export interface MinuteSeries {
  minutesMs: number[];
  prices: number[];
}

export function minuteSeries(windows: readonly RecordedWindow[]): Map<Asset, MinuteSeries> {
  const byAsset = new Map<Asset, Map<number, number>>();
  for (const w of windows) {
    const m = byAsset.get(w.asset) ?? new Map<number, number>();
    byAsset.set(w.asset, m);
    for (const s of w.samples) if (s.underlying !== null) m.set(Math.floor(s.tMs / 60_000) * 60_000, s.underlying);
  }
  const out = new Map<Asset, MinuteSeries>();
  for (const [asset, m] of byAsset) {
    const minutesMs = [...m.keys()].sort((a, b) => a - b);
    out.set(asset, { minutesMs, prices: minutesMs.map((t) => m.get(t)!) });
  }
  return out;
}

/**
 * The model's parameters for a window, from the underlying's one-minute prices strictly before the
 * window starts (no look-ahead), over the analysis worker's three-hour look-back, contiguous minutes
 * only (a recording gap ends the look-back), by the live estimator; its fallback until 30 returns.
 */
export function paramsBefore(series: MinuteSeries | undefined, startMs: number): { params: JumpParams; returns: number } {
  if (!series) return { params: FALLBACK_PARAMS, returns: 0 };
  const { minutesMs, prices } = series;
  // last index with minute < startMs
  let a = 0;
  let b = minutesMs.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (minutesMs[mid]! < startMs) a = mid + 1;
    else b = mid;
  }
  const hi = a - 1;
  if (hi < 0) return { params: FALLBACK_PARAMS, returns: 0 };
  let lo = hi;
  const earliest = startMs - CALIBRATION_LOOKBACK_MS;
  while (lo > 0 && minutesMs[lo - 1]! >= earliest && minutesMs[lo]! - minutesMs[lo - 1]! <= 60_000) lo--;
  const e = estimateJumpDiffusion(prices.slice(lo, hi + 1), 60, FALLBACK_PARAMS);
  return { params: { sigma: e.sigma, lambdaPerYear: e.lambdaPerYear, jumpMean: e.jumpMean, jumpStd: e.jumpStd }, returns: e.returns };
}

/** The latest sample at or before `tMs` and no older than `toleranceMs`, or null. */
export function sampleAt(samples: readonly BookSample[], tMs: number, toleranceMs: number): BookSample | null {
  let a = 0;
  let b = samples.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (samples[mid]!.tMs <= tMs) a = mid + 1;
    else b = mid;
  }
  const s = samples[a - 1];
  return s && tMs - s.tMs <= toleranceMs ? s : null;
}

/**
 * The Up token's own mid. A side with no order (blank in the file) counts as the bound of the price
 * range (no ask: 1, no bid: 0), so a decided window whose book shows only a 0.99 bid reads 0.995; a
 * crossed book (bid above ask) or one with neither side gives no mid.
 */
export function upMid(s: BookSample): number | null {
  if (s.upBid === null && s.upAsk === null) return null;
  const bid = s.upBid ?? 0;
  const ask = s.upAsk ?? 1;
  return bid <= ask ? (bid + ask) / 2 : null;
}

export interface ScoredForecast {
  window: number;
  slug: string;
  asset: Asset;
  minutes: number;
  atMs: number;
  y: 0 | 1;
  model: number;
  bs: number;
  market: number;
}

const brier = (p: number, y: number) => (p - y) ** 2;
const logLoss = (p: number, y: number) => {
  const q = clampProbability(p);
  return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
};

export interface MeanSe {
  mean: number;
  se: number;
}

function meanSe(xs: readonly number[]): MeanSe {
  const n = xs.length;
  if (n === 0) return { mean: NaN, se: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, se: sd / Math.sqrt(n) };
}

export interface Scores {
  n: number;
  brier: { model: number; bs: number; market: number };
  logLoss: { model: number; bs: number; market: number };
  /** Paired differences (negative: the first is better), mean ± standard error clustered by window. */
  diff: {
    modelMinusMarket: { brier: MeanSe; logLoss: MeanSe };
    bsMinusMarket: { brier: MeanSe; logLoss: MeanSe };
    modelMinusBs: { brier: MeanSe; logLoss: MeanSe };
  };
}

/** Scores of a set of forecasts; differences are averaged per window first, then across windows. */
export function scoresOf(fs: readonly ScoredForecast[]): Scores {
  const mean = (f: (x: ScoredForecast) => number) => (fs.length ? fs.reduce((a, x) => a + f(x), 0) / fs.length : NaN);
  const perWindow = new Map<number, ScoredForecast[]>();
  for (const f of fs) perWindow.set(f.window, [...(perWindow.get(f.window) ?? []), f]);
  const clustered = (d: (x: ScoredForecast) => number) => meanSe([...perWindow.values()].map((g) => g.reduce((a, x) => a + d(x), 0) / g.length));
  const pair = (a: 'model' | 'bs', b: 'market' | 'bs') => ({
    brier: clustered((x) => brier(x[a], x.y) - brier(x[b], x.y)),
    logLoss: clustered((x) => logLoss(x[a], x.y) - logLoss(x[b], x.y)),
  });
  return {
    n: fs.length,
    brier: { model: mean((x) => brier(x.model, x.y)), bs: mean((x) => brier(x.bs, x.y)), market: mean((x) => brier(x.market, x.y)) },
    logLoss: { model: mean((x) => logLoss(x.model, x.y)), bs: mean((x) => logLoss(x.bs, x.y)), market: mean((x) => logLoss(x.market, x.y)) },
    diff: { modelMinusMarket: pair('model', 'market'), bsMinusMarket: pair('bs', 'market'), modelMinusBs: pair('model', 'bs') },
  };
}

export interface ModelVsMarket {
  timeframe: Timeframe;
  /** Windows with an outcome and at least one scored horizon. */
  windows: number;
  byHorizon: Array<{ minutes: number } & Scores>;
  /** Every horizon together, clustered by window. */
  pooled: Scores;
  forecasts: ScoredForecast[];
}

/**
 * Scores every resolved window of one timeframe at its horizons. `windowIndex` numbers the windows
 * (their position in the replay); windows without an outcome, strike or underlying are not scored.
 */
export function modelVsMarket(
  windows: readonly RecordedWindow[],
  timeframe: Timeframe,
  series: Map<Asset, MinuteSeries>,
  windowIndex: (w: RecordedWindow) => number,
): ModelVsMarket {
  const forecasts: ScoredForecast[] = [];
  for (const w of windows) {
    if (w.timeframe !== timeframe || w.outcome === null || w.strike === null) continue;
    const { params } = paramsBefore(series.get(w.asset), w.windowStartMs);
    const y: 0 | 1 = w.outcome === 'UP' ? 1 : 0;
    for (const minutes of HORIZONS[timeframe]) {
      const t = w.windowStartMs + minutes * 60_000;
      const s = sampleAt(w.samples, t, SAMPLE_TOLERANCE_MS[timeframe]);
      if (!s || s.underlying === null || s.tMs < w.windowStartMs) continue;
      const market = upMid(s);
      if (market === null) continue;
      const secondsLeft = (w.windowEndMs - s.tMs) / 1000;
      const strike = s.strike ?? w.strike;
      const model = probabilityUp({ ...params, spot: s.underlying, strike, secondsLeft });
      const bs = probabilityUp({ ...params, lambdaPerYear: 0, jumpStd: 0, jumpMean: 0, spot: s.underlying, strike, secondsLeft });
      forecasts.push({ window: windowIndex(w), slug: w.slug, asset: w.asset, minutes, atMs: s.tMs, y, model, bs, market });
    }
  }
  return {
    timeframe,
    windows: new Set(forecasts.map((f) => f.window)).size,
    byHorizon: HORIZONS[timeframe].map((minutes) => ({ minutes, ...scoresOf(forecasts.filter((f) => f.minutes === minutes)) })),
    pooled: scoresOf(forecasts),
    forecasts,
  };
}
