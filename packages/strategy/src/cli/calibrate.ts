/**
 * `pnpm calibrate --data <file> [--data <file> ...] [--json] [--twap W] [--lookback M] [--half first|second]`:
 * over every 15-minute window of a price history, at 1, 5, 10 and 14 minutes in, the model's P(Up)
 * against what happened — Brier score and log loss against a constant 0.5 and a plain
 * Black–Scholes digital with the same volatility, the model − Black–Scholes difference with its
 * standard error, and a calibration table. Parameters come only from the minutes before each
 * window (no look-ahead), estimated by the same `estimateJumpDiffusion` the analysis worker calls.
 */
import { parseArgs } from 'node:util';
import { loadBars, minuteCloses, type Bar } from '../data/priceHistory.js';
import { probabilityUp } from '../jumpDiffusionModel.js';
import { CALIBRATION_LOOKBACK_MS, FALLBACK_PARAMS as FALLBACK } from '../passInputs.js';
import { DEFAULT_LIMITS, estimateJumpDiffusion, type EstimatorLimits } from '../volatilityEstimator.js';

const HORIZONS = [1, 5, 10, 14];
/** The analysis worker's own look-back (three hours), in minutes. */
export const DEFAULT_LOOKBACK_MINUTES = CALIBRATION_LOOKBACK_MS / 60_000;
/** Used only when a look-back holds fewer than 30 returns (never with the defaults). */

export type Half = 'all' | 'first' | 'second';

export interface Difference {
  /** Mean over windows of (model − Black–Scholes); negative means the model is better. */
  mean: number;
  /** Newey–West standard error of that mean (Bartlett kernel, lag ⌈n^⅓⌉). */
  se: number;
}

export interface CalibrationResult {
  windows: number;
  lookbackMinutes: number;
  /** Which windows were scored: all, or the first or second half of the history's windows by index. */
  half: Half;
  /** Window indices scored (window j runs from minute 15j to 15j + 15 of the history). */
  firstWindow: number;
  lastWindow: number;
  horizons: Array<{
    minutes: number;
    brier: { model: number; constant: number; blackScholes: number };
    logLoss: { model: number; constant: number; blackScholes: number };
    /** Model − Black–Scholes, paired by window. */
    difference: { brier: Difference; logLoss: Difference };
    calibration: Array<{ bucket: string; count: number; meanPredicted: number; observed: number }>;
  }>;
}

const clip = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** Newey–West standard error of the mean of a series of paired loss differences (windows in time order). */
export function neweyWestMean(d: readonly number[]): Difference {
  const n = d.length;
  if (n === 0) return { mean: NaN, se: NaN };
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const lags = Math.ceil(Math.cbrt(n));
  let v = 0;
  for (const x of d) v += (x - mean) ** 2;
  v /= n;
  for (let l = 1; l <= lags && l < n; l++) {
    let c = 0;
    for (let i = l; i < n; i++) c += (d[i]! - mean) * (d[i - l]! - mean);
    v += 2 * (1 - l / (lags + 1)) * (c / n);
  }
  return { mean, se: Math.sqrt(Math.max(v, 0) / n) };
}

export function calibrate(
  closes: readonly number[],
  opts: { lookbackMinutes?: number; twapSeconds?: number; half?: Half; limits?: EstimatorLimits } = {},
): CalibrationResult {
  const lookback = opts.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES;
  const half = opts.half ?? 'all';
  const total = Math.max(0, Math.ceil(closes.length / 15) - 1); // windows j with 15(j + 1) < closes.length
  const mid = Math.floor(total / 2);
  const stats = HORIZONS.map(() => ({ model: [] as number[], bs: [] as number[], y: [] as number[] }));
  let windows = 0;
  let firstWindow = -1;
  let lastWindow = -1;
  for (let j = 0; 15 * (j + 1) < closes.length; j++) {
    const start = 15 * j;
    if (start < lookback + 1) continue;
    if ((half === 'first' && j >= mid) || (half === 'second' && j < mid)) continue;
    windows++;
    if (firstWindow < 0) firstWindow = j;
    lastWindow = j;
    // Closes up to and including the window's start (its strike): returns that end at or before it.
    const est = estimateJumpDiffusion(closes.slice(start - lookback, start + 1), 60, FALLBACK, opts.limits ?? DEFAULT_LIMITS);
    const strike = closes[start]!;
    const outcome = closes[start + 15]! >= strike ? 1 : 0;
    HORIZONS.forEach((h, k) => {
      const base = { spot: closes[start + h]!, strike, secondsLeft: (15 - h) * 60, twapSeconds: opts.twapSeconds ?? 0 };
      stats[k]!.model.push(clip(probabilityUp({ ...base, sigma: est.sigma, lambdaPerYear: est.lambdaPerYear, jumpMean: est.jumpMean, jumpStd: est.jumpStd })));
      stats[k]!.bs.push(clip(probabilityUp({ ...base, sigma: est.sigma, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 })));
      stats[k]!.y.push(outcome);
    });
  }
  const brierOf = (p: number, y: number) => (p - y) ** 2;
  const logLossOf = (p: number, y: number) => -(y ? Math.log(p) : Math.log(1 - p));
  const avg = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    windows,
    lookbackMinutes: lookback,
    half,
    firstWindow,
    lastWindow,
    horizons: HORIZONS.map((minutes, k) => {
      const { model, bs, y } = stats[k]!;
      const half5 = model.map(() => 0.5);
      const buckets = Array.from({ length: 10 }, (_, b) => ({ lo: b / 10, hi: (b + 1) / 10, ps: [] as number[], ys: [] as number[] }));
      model.forEach((p, i) => {
        const b = buckets[Math.min(9, Math.floor(p * 10))]!;
        b.ps.push(p);
        b.ys.push(y[i]!);
      });
      const score = (f: (p: number, y: number) => number, p: readonly number[]) => avg(p.map((v, i) => f(v, y[i]!)));
      return {
        minutes,
        brier: { model: score(brierOf, model), constant: score(brierOf, half5), blackScholes: score(brierOf, bs) },
        logLoss: { model: score(logLossOf, model), constant: score(logLossOf, half5), blackScholes: score(logLossOf, bs) },
        difference: {
          brier: neweyWestMean(model.map((p, i) => brierOf(p, y[i]!) - brierOf(bs[i]!, y[i]!))),
          logLoss: neweyWestMean(model.map((p, i) => logLossOf(p, y[i]!) - logLossOf(bs[i]!, y[i]!))),
        },
        calibration: buckets
          .filter((b) => b.ps.length)
          .map((b) => ({
            bucket: `${b.lo.toFixed(1)}-${b.hi.toFixed(1)}`,
            count: b.ps.length,
            meanPredicted: avg(b.ps),
            observed: avg(b.ys),
          })),
      };
    }),
  };
}

/** Several files as one history: sorted by time, a later file's bar wins a shared minute; a gap over an hour between them is refused. */
export function loadHistory(files: readonly string[]): number[] {
  const perFile = files.map((f) => ({ f, bars: loadBars(f) })).sort((a, b) => a.bars[0]!.timestampMs - b.bars[0]!.timestampMs);
  const byTime = new Map<number, Bar>();
  for (let i = 0; i < perFile.length; i++) {
    const { f, bars } = perFile[i]!;
    if (i > 0) {
      const prev = perFile[i - 1]!;
      const gapMin = (bars[0]!.timestampMs - prev.bars[prev.bars.length - 1]!.timestampMs) / 60_000;
      if (gapMin > 60)
        throw new Error(
          `${f} starts ${Math.round(gapMin)} minutes after ${prev.f} ends: the files must form one history (gaps up to 60 minutes are carried forward)`,
        );
    }
    for (const b of bars) byTime.set(b.timestampMs, b);
  }
  return minuteCloses([...byTime.values()].sort((a, b) => a.timestampMs - b.timestampMs)).closes;
}

const USAGE = 'usage: pnpm calibrate --data <file> [--data <file> ...] [--json] [--twap SECONDS] [--lookback MINUTES] [--half first|second]\n';

export function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        twap: { type: 'string' },
        lookback: { type: 'string' },
        half: { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`pnpm calibrate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.data?.length) {
    process.stderr.write(USAGE);
    return 2;
  }
  const lookback = values.lookback === undefined ? DEFAULT_LOOKBACK_MINUTES : Number(values.lookback);
  const twap = values.twap === undefined ? 0 : Number(values.twap);
  const half = values.half ?? 'all';
  if (!Number.isInteger(lookback) || lookback < 30 || !(twap >= 0) || (half !== 'all' && half !== 'first' && half !== 'second')) {
    process.stderr.write(`pnpm calibrate: --lookback must be an integer ≥ 30 minutes, --twap ≥ 0 seconds, --half first or second\n${USAGE}`);
    return 2;
  }
  let closes: number[];
  try {
    closes = loadHistory(values.data);
  } catch (err) {
    process.stderr.write(`pnpm calibrate: ${(err as Error).message}\n`);
    return 2;
  }
  const res = calibrate(closes, { lookbackMinutes: lookback, twapSeconds: twap, half });
  if (res.windows === 0) {
    process.stderr.write(
      `pnpm calibrate: no window has ${lookback} minutes of history before it (${closes.length} minutes in all); use a shorter --lookback\n`,
    );
    return 2;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return 0;
  }
  const f = (v: number) => v.toFixed(5);
  const d = (x: Difference) => `${(x.mean >= 0 ? '+' : '') + x.mean.toFixed(6)} ±${x.se.toFixed(6)}`;
  const which = half === 'all' ? '' : `, ${half} half: windows ${res.firstWindow}–${res.lastWindow}`;
  const lines = [
    `${res.windows} windows (vol and jumps from the ${res.lookbackMinutes} minutes before each window${which})`,
    '',
    'minutes  Brier model  Brier BS  Brier 0.5   logloss model  logloss BS  logloss 0.5   Δ Brier (model−BS) ±se   Δ logloss (model−BS) ±se',
  ];
  for (const h of res.horizons) {
    lines.push(
      `${String(h.minutes).padStart(7)}  ${f(h.brier.model).padStart(11)}  ${f(h.brier.blackScholes).padStart(8)}  ${f(h.brier.constant).padStart(9)}   ${f(h.logLoss.model).padStart(13)}  ${f(h.logLoss.blackScholes).padStart(10)}  ${f(h.logLoss.constant).padStart(11)}   ${d(h.difference.brier).padStart(22)}   ${d(h.difference.logLoss).padStart(24)}`,
    );
  }
  lines.push('', 'Δ < 0: the model is better; ±se: Newey–West standard error over windows (paired).');
  for (const h of res.horizons) {
    lines.push('', `calibration at ${h.minutes} min: bucket  count  predicted  observed`);
    for (const c of h.calibration)
      lines.push(`  ${c.bucket}  ${String(c.count).padStart(5)}  ${c.meanPredicted.toFixed(3).padStart(9)}  ${c.observed.toFixed(3).padStart(8)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
