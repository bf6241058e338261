/**
 * What a run reports, the same shape for a price history (engine.ts) and a recording (replay.ts),
 * and the metrics computed one way for both: equity per settled window, max drawdown from the
 * running peak, Sharpe per window, hit rate, Brier score and calibration deciles of the model.
 */
/** One fill, settled: what it cost, what it paid. */
export interface Trade {
  window: number;
  atMs: number;
  outcome: 'UP' | 'DOWN';
  price: number;
  shares: number;
  fee: number;
  modelP: number;
  won: boolean;
  pnl: number;
}

export interface CalibrationBucket {
  /** Decile of predicted P(Up), e.g. "0.3-0.4". */
  bucket: string;
  count: number;
  meanPredicted: number;
  /** Share of those predictions whose market settled Up. */
  observed: number;
}

/** Everything the terminal summary, `--json` and the HTML report need. */
export interface RunResult {
  /** Settled windows (price history: replayed windows; recording: markets settled on their recorded resolution). */
  windows: number;
  /** Settled trades only: `won` and `pnl` are known. */
  trades: Trade[];
  pnl: number;
  fees: number;
  hitRate: number;
  maxDrawdown: number;
  sharpePerWindow: number;
  /** NaN when no evaluation was scored. */
  brier: number;
  /** [settlement time ms, bankroll + realised PnL] after each settled window. */
  equity: Array<[number, number]>;
  calibration: CalibrationBucket[];
}

/** One settled window: when it settled and what its trades made after fees. */
export interface SettledWindow {
  endMs: number;
  pnl: number;
}

/** A model prediction scored against the outcome: [P(Up), 1 if Up won else 0]. */
export type ScoredPrediction = readonly [number, 0 | 1];

export const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export function equityCurve(windows: readonly SettledWindow[], bankrollUsd: number): Array<[number, number]> {
  let realised = 0;
  return windows.map((w) => {
    realised += w.pnl;
    return [w.endMs, round6(bankrollUsd + realised)];
  });
}

/** Largest fall from a running peak that starts at the opening bankroll. */
export function maxDrawdown(equity: ReadonlyArray<readonly [number, number]>, bankrollUsd: number): number {
  let peak = bankrollUsd;
  let worst = 0;
  for (const [, e] of equity) {
    peak = Math.max(peak, e);
    worst = Math.max(worst, peak - e);
  }
  return round6(worst);
}

/** Mean over sample standard deviation of per-window PnL (windows without trades count as 0); 0 when flat. */
export function sharpePerWindow(pnls: readonly number[]): number {
  const n = pnls.length;
  const mean = pnls.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = Math.sqrt(pnls.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return sd > 0 ? mean / sd : 0;
}

export function hitRate(trades: readonly Trade[]): number {
  return trades.length ? trades.filter((t) => t.won).length / trades.length : 0;
}

export function brierScore(samples: readonly ScoredPrediction[]): number {
  return samples.length ? samples.reduce((a, [p, y]) => a + (p - y) ** 2, 0) / samples.length : NaN;
}

/** Deciles of predicted P(Up) with their counts; empty deciles are left out. */
export function calibrationDeciles(samples: readonly ScoredPrediction[]): CalibrationBucket[] {
  const buckets = Array.from({ length: 10 }, () => ({ ps: 0, ys: 0, n: 0 }));
  for (const [p, y] of samples) {
    const b = buckets[Math.min(9, Math.max(0, Math.floor(p * 10)))]!;
    b.ps += p;
    b.ys += y;
    b.n++;
  }
  return buckets.flatMap((b, i) =>
    b.n ? [{ bucket: `${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)}`, count: b.n, meanPredicted: b.ps / b.n, observed: b.ys / b.n }] : [],
  );
}

/** The whole report from the settled trades, the settled windows in settlement order, and the scored predictions. */
export function summarise(input: {
  trades: Trade[];
  windows: readonly SettledWindow[];
  predictions: readonly ScoredPrediction[];
  bankrollUsd: number;
}): RunResult {
  const equity = equityCurve(input.windows, input.bankrollUsd);
  return {
    windows: input.windows.length,
    trades: input.trades,
    pnl: round6(input.trades.reduce((a, t) => a + t.pnl, 0)),
    fees: round6(input.trades.reduce((a, t) => a + t.fee, 0)),
    hitRate: hitRate(input.trades),
    maxDrawdown: maxDrawdown(equity, input.bankrollUsd),
    sharpePerWindow: sharpePerWindow(input.windows.map((w) => w.pnl)),
    brier: brierScore(input.predictions),
    equity,
    calibration: calibrationDeciles(input.predictions),
  };
}
