/**
 * `pnpm calibrate --data <file> [--json] [--twap W]`: over every 15-minute window of a price history,
 * at 1, 5, 10 and 14 minutes in, the model's P(Up) against what happened — Brier score and log
 * loss against a constant 0.5 and a plain Black–Scholes digital with the same volatility, and a
 * calibration table. Parameters come only from data before each window (no look-ahead).
 */
import { parseArgs } from 'node:util';
import { loadBars, minuteCloses } from '../data/priceHistory.js';
import { probabilityUp } from '../jumpDiffusionModel.js';
import { leeMyklandFlags, logReturns } from '../leeMykland.js';

const HORIZONS = [1, 5, 10, 14];
const YEAR_MIN = 365 * 24 * 60;

export interface CalibrationResult {
  windows: number;
  lookbackMinutes: number;
  horizons: Array<{
    minutes: number;
    brier: { model: number; constant: number; blackScholes: number };
    logLoss: { model: number; constant: number; blackScholes: number };
    calibration: Array<{ bucket: string; count: number; meanPredicted: number; observed: number }>;
  }>;
}

const clip = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));

export function calibrate(closes: readonly number[], opts: { lookbackMinutes?: number; twapSeconds?: number } = {}): CalibrationResult {
  const lookback = opts.lookbackMinutes ?? 3 * 1440;
  const r = logReturns(closes);
  const flags = leeMyklandFlags(r, 270, 0.01);
  // Prefix sums so trailing estimates are O(1) per window.
  const n = r.length;
  const bp = new Float64Array(n + 1);
  const jc = new Float64Array(n + 1);
  const js = new Float64Array(n + 1);
  const jq = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    bp[i + 1] = bp[i]! + (i > 0 ? Math.abs(r[i]!) * Math.abs(r[i - 1]!) : 0);
    jc[i + 1] = jc[i]! + (flags[i] ? 1 : 0);
    js[i + 1] = js[i]! + (flags[i] ? r[i]! : 0);
    jq[i + 1] = jq[i]! + (flags[i] ? r[i]! * r[i]! : 0);
  }
  const stats = HORIZONS.map(() => ({ model: [] as number[], bs: [] as number[], y: [] as number[] }));
  let windows = 0;
  for (let j = 0; 15 * (j + 1) < closes.length; j++) {
    const start = 15 * j;
    if (start < lookback + 1) continue;
    windows++;
    // Returns r[k] = ln(c[k+1]/c[k]); those ending at or before the window start: k < start.
    const from = start - lookback;
    const m = lookback;
    const bv = (Math.PI / 2) * (m / (m - 1)) * (bp[start]! - bp[from + 1]!);
    const sigma = Math.min(3, Math.max(0.05, Math.sqrt(bv / (m / YEAR_MIN))));
    const count = jc[start]! - jc[from]!;
    const lambdaPerYear = Math.min(20_000, count / (m / YEAR_MIN));
    const mean = count > 0 ? (js[start]! - js[from]!) / count : 0;
    const variance = count > 1 ? Math.max(0, ((jq[start]! - jq[from]!) - count * mean * mean) / (count - 1) - (sigma * sigma) / YEAR_MIN) : 0;
    const jumpStd = Math.min(0.05, Math.max(0.0005, Math.sqrt(variance)));
    const strike = closes[start]!;
    const outcome = closes[start + 15]! >= strike ? 1 : 0;
    HORIZONS.forEach((h, k) => {
      const spot = closes[start + h]!;
      const secondsLeft = (15 - h) * 60;
      const base = { spot, strike, secondsLeft, twapSeconds: opts.twapSeconds ?? 0 };
      stats[k]!.model.push(clip(probabilityUp({ ...base, sigma, lambdaPerYear, jumpMean: Math.max(-0.02, Math.min(0.02, mean)), jumpStd })));
      stats[k]!.bs.push(clip(probabilityUp({ ...base, sigma, lambdaPerYear: 0, jumpMean: 0, jumpStd: 0 })));
      stats[k]!.y.push(outcome);
    });
  }
  const brier = (p: number[], y: number[]) => p.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / p.length;
  const logLoss = (p: number[], y: number[]) => -p.reduce((s, v, i) => s + (y[i] ? Math.log(v) : Math.log(1 - v)), 0) / p.length;
  return {
    windows,
    lookbackMinutes: lookback,
    horizons: HORIZONS.map((minutes, k) => {
      const { model, bs, y } = stats[k]!;
      const half = model.map(() => 0.5);
      const buckets = Array.from({ length: 10 }, (_, b) => ({ lo: b / 10, hi: (b + 1) / 10, ps: [] as number[], ys: [] as number[] }));
      model.forEach((p, i) => {
        const b = buckets[Math.min(9, Math.floor(p * 10))]!;
        b.ps.push(p);
        b.ys.push(y[i]!);
      });
      return {
        minutes,
        brier: { model: brier(model, y), constant: brier(half, y), blackScholes: brier(bs, y) },
        logLoss: { model: logLoss(model, y), constant: logLoss(half, y), blackScholes: logLoss(bs, y) },
        calibration: buckets
          .filter((b) => b.ps.length)
          .map((b) => ({
            bucket: `${b.lo.toFixed(1)}-${b.hi.toFixed(1)}`,
            count: b.ps.length,
            meanPredicted: b.ps.reduce((s, v) => s + v, 0) / b.ps.length,
            observed: b.ys.reduce((s, v) => s + v, 0) / b.ys.length,
          })),
      };
    }),
  };
}

export function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, json: { type: 'boolean', default: false }, twap: { type: 'string' }, lookback: { type: 'string' } } });
  if (!values.data) {
    process.stderr.write('usage: pnpm calibrate --data <file> [--json] [--twap SECONDS] [--lookback MINUTES]\n');
    return 2;
  }
  let closes: number[];
  try {
    closes = minuteCloses(loadBars(values.data)).closes;
  } catch (err) {
    process.stderr.write(`pnpm calibrate: ${(err as Error).message}\n`);
    return 2;
  }
  const lookback = values.lookback ? Number(values.lookback) : Math.min(3 * 1440, Math.floor(closes.length / 3));
  const res = calibrate(closes, { lookbackMinutes: lookback, ...(values.twap ? { twapSeconds: Number(values.twap) } : {}) });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return 0;
  }
  const f = (v: number) => v.toFixed(5);
  const lines = [`${res.windows} windows (vol and jumps from the ${res.lookbackMinutes} minutes before each window)`, '', 'minutes  Brier model  Brier BS  Brier 0.5   logloss model  logloss BS  logloss 0.5'];
  for (const h of res.horizons) lines.push(`${String(h.minutes).padStart(7)}  ${f(h.brier.model).padStart(11)}  ${f(h.brier.blackScholes).padStart(8)}  ${f(h.brier.constant).padStart(9)}   ${f(h.logLoss.model).padStart(13)}  ${f(h.logLoss.blackScholes).padStart(10)}  ${f(h.logLoss.constant).padStart(11)}`);
  for (const h of res.horizons) {
    lines.push('', `calibration at ${h.minutes} min: bucket  count  predicted  observed`);
    for (const c of h.calibration) lines.push(`  ${c.bucket}  ${String(c.count).padStart(5)}  ${c.meanPredicted.toFixed(3).padStart(9)}  ${c.observed.toFixed(3).padStart(8)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
