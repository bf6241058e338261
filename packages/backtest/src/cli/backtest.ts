/**
 * `pnpm backtest --data <file> [--asset BTC] [--from ISO] [--to ISO] [--config file.json] [--seed N]
 *  [--twap SECONDS] [--report out.html] [--json] [--sweep]`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { minuteCloses } from '@polybot/strategy';
import { loadHistory } from '../loaders.js';
import { DEFAULT_BACKTEST, runBacktest, type BacktestConfig } from '../engine.js';
import { htmlReport } from '../report.js';
import { loadRecording, replayRecording } from '../replay.js';

const ConfigFileSchema = z
  .object({
    minEdge: z.number().min(0).max(0.5),
    kellyFraction: z.number().gt(0).max(1),
    bankrollUsd: z.number().positive(),
    maxOrderUsd: z.number().positive(),
    latencySteps: z.number().int().min(0).max(10),
    stepMinutes: z.array(z.number().int().min(1).max(14)),
    book: z.object({ lagSteps: z.number().int().min(0), noiseSd: z.number().min(0), bias: z.number(), spread: z.number().min(0.01), depth: z.number().positive(), levels: z.number().int().min(1), makerSigma: z.number().positive() }).partial(),
  })
  .partial()
  .strict();

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, asset: { type: 'string', default: 'BTC' }, from: { type: 'string' }, to: { type: 'string' }, config: { type: 'string' },
      recording: { type: 'string' }, seed: { type: 'string' }, twap: { type: 'string' }, report: { type: 'string' }, json: { type: 'boolean', default: false }, sweep: { type: 'boolean', default: false },
    },
  });
  const fail = (msg: string) => (process.stderr.write(`pnpm backtest: ${msg}\n`), 2);
  if (values.recording) {
    let rec;
    try {
      rec = loadRecording(values.recording);
    } catch (err) {
      return fail(`${values.recording}: ${(err as Error).message}`);
    }
    const r = replayRecording(rec.records);
    const out = { recording: values.recording, lines: rec.records.length, invalidLines: rec.invalid, markets: r.markets, settled: r.settled, trades: r.trades.length, pnl: r.pnl, fees: r.fees };
    process.stdout.write(values.json ? `${JSON.stringify(out)}\n` : `${out.lines} lines (${out.invalidLines} invalid), ${out.markets} markets, ${out.settled} settled, ${out.trades} trades, PnL after fees $${out.pnl.toFixed(2)} (fees $${out.fees.toFixed(2)})\n`);
    return 0;
  }
  if (!values.data) return fail('--data <file> is required (e.g. ../shared/data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv)');
  let cfg: BacktestConfig = { ...DEFAULT_BACKTEST };
  if (values.config) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(values.config, 'utf8'));
    } catch (err) {
      return fail(`${values.config}: not readable JSON (${(err as Error).message})`);
    }
    const parsed = ConfigFileSchema.safeParse(raw);
    if (!parsed.success) return fail(`${values.config}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    cfg = { ...cfg, ...parsed.data, book: { ...cfg.book, ...(parsed.data.book ?? {}) } } as BacktestConfig;
  }
  if (values.seed !== undefined) cfg.seed = Number(values.seed);
  if (values.twap !== undefined) cfg.twapSeconds = Number(values.twap);
  if (!Number.isFinite(cfg.seed) || !Number.isFinite(cfg.twapSeconds)) return fail('--seed and --twap take numbers');
  let bars;
  try {
    bars = loadHistory(values.data);
  } catch (err) {
    return fail((err as Error).message);
  }
  const from = values.from ? Date.parse(values.from) : -Infinity;
  const to = values.to ? Date.parse(values.to) : Infinity;
  if (Number.isNaN(from) || Number.isNaN(to)) return fail('--from/--to take ISO dates');
  bars = bars.filter((b) => b.timestampMs >= from && b.timestampMs <= to);
  if (bars.length < 60) return fail(`${bars.length} one-minute bars in the chosen period: a replay needs at least 60 (a volatility lookback and whole 15-minute windows)`);
  const { startMs, closes } = minuteCloses(bars);

  if (values.sweep) {
    const rows = [];
    for (const minEdge of [0.01, 0.02, 0.04, 0.06]) {
      for (const kellyFraction of [0.1, 0.25, 0.5]) {
        const r = runBacktest(closes, startMs, { ...cfg, minEdge, kellyFraction });
        rows.push({ minEdge, kellyFraction, trades: r.trades.length, pnl: r.pnl, fees: r.fees, maxDrawdown: r.maxDrawdown, sharpePerWindow: Number(r.sharpePerWindow.toFixed(4)), hitRate: Number(r.hitRate.toFixed(4)) });
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ sweep: rows })}\n`);
    else {
      process.stdout.write('minEdge  kelly  trades        pnl      fees   maxDD  sharpe/win  hit\n');
      for (const r of rows) process.stdout.write(`${r.minEdge.toFixed(2).padStart(7)}  ${r.kellyFraction.toFixed(2).padStart(5)}  ${String(r.trades).padStart(6)}  ${r.pnl.toFixed(2).padStart(9)}  ${r.fees.toFixed(2).padStart(8)}  ${r.maxDrawdown.toFixed(2).padStart(6)}  ${r.sharpePerWindow.toFixed(4).padStart(10)}  ${(r.hitRate * 100).toFixed(1)}%\n`);
    }
    return 0;
  }

  const bar = new SingleBar({ format: 'backtest [{bar}] {percentage}% | {value}/{total} windows', stream: process.stderr, hideCursor: true });
  let started = false;
  const r = runBacktest(closes, startMs, cfg, (done, total) => {
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    bar.update(done);
  });
  if (started) bar.stop();
  const summary = { asset: values.asset, windows: r.windows, trades: r.trades.length, hitRate: r.hitRate, pnl: r.pnl, fees: r.fees, maxDrawdown: r.maxDrawdown, sharpePerWindow: r.sharpePerWindow, brier: r.brier, bookModel: cfg.book };
  if (values.report) {
    writeFileSync(values.report, htmlReport(r, cfg, { data: values.data, generatedAt: new Date().toISOString() }));
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      [
        `windows ${r.windows}, trades ${r.trades.length}, hit rate ${(r.hitRate * 100).toFixed(1)} %`,
        `PnL after fees $${r.pnl.toFixed(2)} (fees $${r.fees.toFixed(2)}), max drawdown $${r.maxDrawdown.toFixed(2)}, Sharpe per window ${r.sharpePerWindow.toFixed(3)}`,
        `Brier score of the model against outcomes ${r.brier.toFixed(4)}`,
        `book model: lag ${cfg.book.lagSteps} step(s), noise sd ${cfg.book.noiseSd}, bias ${cfg.book.bias}, spread ${cfg.book.spread}, ${cfg.book.levels}×${cfg.book.depth} shares`,
        values.report ? `report: ${values.report}` : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
