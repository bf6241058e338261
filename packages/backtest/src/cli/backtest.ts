/**
 * `pnpm backtest --data <file> [--asset BTC] [--from ISO] [--to ISO] [--config file.json] [--seed N]
 *  [--twap SECONDS] [--report out.html] [--json] [--sweep]`
 * `pnpm backtest --books <books.csv[.gz]> --outcomes <outcomes.csv> [--asset A] [--timeframe 15m|1h] [--strategy value|pairs|all]
 *  [--wallet trades.csv.gz] [--fees historical|v2] [--json] [--report out.html]` (recorded Polymarket books: real.ts)
 * `pnpm backtest --recording <file.ndjson.gz> [--asset BTC] [--from ISO] [--to ISO] [--config file.json]
 *  [--report out.html] [--json]`
 * Bad arguments exit 2 with one line on stderr; the progress bar is on stderr, the summary on stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { ASSETS, AssetSchema, type Asset } from '@polybot/shared';
import { minuteCloses } from '@polybot/strategy';
import { inferAsset, loadHistory } from '../loaders.js';
import { DEFAULT_BACKTEST, runBacktest, type BacktestConfig } from '../engine.js';
import { htmlReport, type RecordingSource } from '../report.js';
import { loadRecording, recordingAssets, replayRecording } from '../replay.js';
import { round6, type RunResult } from '../results.js';
import { backtestSettingsFromFile, isPolybotConfigObject, isYamlFile } from '../configFile.js';
import { runReal } from './real.js';

const LatencyMsSchema = z.number().int().min(0).max(600_000);

const ConfigFileSchema = z
  .object({
    minEdge: z.number().min(0).max(0.5),
    kellyFraction: z.number().gt(0).max(1),
    bankrollUsd: z.number().positive(),
    maxOrderUsd: z.number().positive(),
    latencyMs: LatencyMsSchema,
    breaker: z
      .object({
        maxDailyLossUsd: z.number().positive().nullable(),
        maxConsecutiveLosses: z.number().int().positive().nullable(),
        cooldownMs: z.number().int().min(0),
      })
      .partial()
      .strict(),
    stepMinutes: z.array(z.number().int().min(1).max(14)),
    twapSeconds: z.number().min(0).max(900),
    seed: z.number().finite(),
    /** Only from the shared config file (strategy.toxicity), already checked there. */
    toxicity: z.record(z.string(), z.number()),
    book: z
      .object({
        lagSteps: z.number().int().min(0),
        noiseSd: z.number().min(0),
        bias: z.number(),
        spread: z.number().min(0.01),
        depth: z.number().positive(),
        levels: z.number().int().min(1),
        makerSigma: z.number().positive(),
      })
      .partial(),
  })
  .partial()
  .strict();

/** The recording replay's share of the shared config file's settings. */
const pickRecording = (v: unknown) => {
  const o = v as Record<string, unknown>;
  return { minEdge: o.minEdge, kellyFraction: o.kellyFraction, bankrollUsd: o.bankrollUsd, maxOrderUsd: o.maxOrderUsd };
};

/** What a recording replay can change: the strategy's edge and the sizing (books and timing are recorded). */
const RecordingConfigSchema = z
  .object({
    minEdge: z.number().min(0).max(0.5),
    kellyFraction: z.number().gt(0).max(1),
    bankrollUsd: z.number().positive(),
    maxOrderUsd: z.number().positive(),
  })
  .partial()
  .strict();

/** Reads `--from`/`--to`; null (after writing the error) when either is not a date or they are reversed. */
function period(values: { from?: string | undefined; to?: string | undefined }, fail: (msg: string) => number): { fromMs: number; toMs: number } | null {
  const fromMs = values.from !== undefined ? Date.parse(values.from) : -Infinity;
  const toMs = values.to !== undefined ? Date.parse(values.to) : Infinity;
  if (Number.isNaN(fromMs) || Number.isNaN(toMs))
    return (fail(`--from/--to take ISO dates (got ${[values.from, values.to].filter((v) => v !== undefined).join(', ')})`), null);
  if (fromMs >= toMs) return (fail('--from must be before --to'), null);
  return { fromMs, toMs };
}

function progressBar(unit: string): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const bar = new SingleBar({ format: `backtest [{bar}] {percentage}% | {value}/{total} ${unit}`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** The report lines both modes print: the same words, so a recording reads like a price history. */
function summaryLines(r: RunResult): string[] {
  return [
    `windows ${r.windows}, trades ${r.trades.length}, hit rate ${(r.hitRate * 100).toFixed(1)} %`,
    `PnL after fees $${r.pnl.toFixed(2)} (fees $${r.fees.toFixed(2)}), max drawdown $${r.maxDrawdown.toFixed(2)}, Sharpe per window ${fixed(r.sharpePerWindow, 3)}`,
    `Brier score of the model against outcomes ${fixed(r.brier, 4)}`,
  ];
}

/** `--recording`: replay recorded books, settled on the recorded resolutions. */
function runRecording(values: Values, fail: (msg: string) => number): number {
  const file = values.recording!;
  for (const opt of ['data', 'sweep', 'twap', 'seed'] as const) {
    if (values[opt] !== undefined && values[opt] !== false) {
      return fail(
        `--${opt} does not apply to --recording (${opt === 'data' ? 'give one of --data or --recording' : opt === 'seed' ? 'a recording replay has no random part' : 'the books and settlement are the recorded ones'})`,
      );
    }
  }
  const asset = values.asset === undefined ? undefined : AssetSchema.safeParse(values.asset.toUpperCase());
  if (asset && !asset.success) return fail(`--asset ${values.asset}: expected one of ${ASSETS.join(', ')}`);
  const p = period(values, fail);
  if (!p) return 2;
  let settings: z.infer<typeof RecordingConfigSchema> = {};
  if (values.config) {
    const raw = readJson(values.config);
    if ('error' in raw) return fail(raw.error);
    const parsed = RecordingConfigSchema.safeParse(raw.shared ? pickRecording(raw.value) : raw.value);
    if (!parsed.success)
      return fail(
        `${values.config}: ${issues(parsed.error)} (a recording replay takes minEdge, kellyFraction, bankrollUsd, maxOrderUsd: its books and timing are the recorded ones)`,
      );
    settings = parsed.data;
  }
  let rec;
  try {
    rec = loadRecording(file);
  } catch (err) {
    return fail(`${file}: not a readable gzip NDJSON recording (${(err as Error).message})`);
  }
  const assets = recordingAssets(rec.records);
  if (assets.length === 0) return fail(`${file}: no market lines among ${rec.records.length} valid lines (${rec.invalid} invalid): nothing to replay`);
  if (asset?.success && !assets.includes(asset.data)) return fail(`${file}: no ${asset.data} markets in this recording (it holds ${assets.join(', ')})`);
  const bar = progressBar('lines');
  const opts = {
    ...settings,
    ...(asset?.success ? { asset: asset.data } : {}),
    ...(Number.isFinite(p.fromMs) ? { fromMs: p.fromMs } : {}),
    ...(Number.isFinite(p.toMs) ? { toMs: p.toMs } : {}),
  };
  const r = replayRecording(rec.records, { ...opts, onProgress: bar.onProgress });
  bar.stop();
  if (r.markets === 0) {
    const windows = rec.records.flatMap((x) => (x.type === 'market' ? [x.market] : []));
    const first = new Date(Math.min(...windows.map((m) => m.windowStartMs))).toISOString();
    const last = new Date(Math.max(...windows.map((m) => m.windowEndMs))).toISOString();
    return fail(`${file}: no market window lies inside --from/--to (the recording's windows run from ${first} to ${last})`);
  }
  const openCost = r.openTrades.reduce((a, t) => a + t.shares * t.price + t.fee, 0);
  const summary = {
    recording: file,
    asset: asset?.success ? asset.data : null,
    lines: rec.records.length + rec.invalid,
    invalidLines: rec.invalid,
    markets: r.markets,
    settled: r.settled,
    unsettled: r.unsettled,
    openTrades: r.openTrades.length,
    openCostUsd: round6(openCost),
    windows: r.windows,
    trades: r.trades.length,
    hitRate: r.hitRate,
    pnl: r.pnl,
    fees: r.fees,
    maxDrawdown: r.maxDrawdown,
    sharpePerWindow: r.sharpePerWindow,
    brier: Number.isFinite(r.brier) ? r.brier : null,
    evaluations: r.evaluations.length,
    arbitragePairs: r.pairs.length,
  };
  if (values.report) {
    const source: RecordingSource = {
      kind: 'recording',
      file,
      lines: summary.lines,
      invalidLines: rec.invalid,
      settings: { from: values.from ?? null, to: values.to ?? null },
    };
    try {
      writeFileSync(values.report, htmlReport(r, source, { data: file, generatedAt: new Date().toISOString() }));
    } catch (err) {
      return fail(`--report ${values.report}: ${(err as Error).message}`);
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      [
        `recorded books from ${file}: ${summary.lines} lines (${rec.invalid} invalid), ${r.markets} markets (${summary.asset ?? assets.join(', ')}), ${r.settled} settled, ${r.unsettled} unsettled` +
          (r.openTrades.length ? ` (${r.openTrades.length} open fills, $${openCost.toFixed(2)} not in the PnL)` : ''),
        ...summaryLines(r),
        values.report ? `report: ${values.report}` : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  return 0;
}

const OPTIONS = {
  data: { type: 'string' },
  asset: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  config: { type: 'string' },
  recording: { type: 'string' },
  seed: { type: 'string' },
  twap: { type: 'string' },
  latency: { type: 'string' },
  report: { type: 'string' },
  json: { type: 'boolean', default: false },
  sweep: { type: 'boolean', default: false },
  books: { type: 'string' },
  outcomes: { type: 'string' },
  timeframe: { type: 'string' },
  strategy: { type: 'string' },
  wallet: { type: 'string' },
  fees: { type: 'string' },
} as const;
type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

function readJson(file: string): { value: unknown; shared: boolean } | { error: string } {
  let value: unknown;
  try {
    value = isYamlFile(file) ? null : (JSON.parse(readFileSync(file, 'utf8')) as unknown);
  } catch (err) {
    return { error: `${file}: not readable JSON (${(err as Error).message})` };
  }
  // The polybot config file (YAML, or JSON in its shape): the same keys the live workers read.
  if (isYamlFile(file) || isPolybotConfigObject(value)) {
    try {
      return { value: backtestSettingsFromFile(file), shared: true };
    } catch (err) {
      return { error: (err as Error).message.replace(/\n\s*/g, ' ') };
    }
  }
  return { value, shared: false };
}

export function main(argv: string[]): number {
  const fail = (msg: string) => (process.stderr.write(`pnpm backtest: ${msg}\n`), 2);
  let values: Values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.books) {
    for (const opt of ['data', 'recording', 'config', 'seed', 'twap', 'latency', 'from', 'to'] as const) {
      if (values[opt] !== undefined) return fail(`--${opt} does not apply to --books (recorded books carry their own prices, times and outcomes)`);
    }
    if (values.sweep) return fail('--sweep does not apply to --books (the value margin is learned on the first half of the windows)');
    return runReal(values as typeof values & { books: string }, fail);
  }
  for (const opt of ['outcomes', 'timeframe', 'strategy', 'wallet', 'fees'] as const) {
    if (values[opt] !== undefined) return fail(`--${opt} applies to --books only`);
  }
  if (values.recording) return runRecording(values, fail);
  if (!values.data)
    return fail(
      '--data <file> (a price history) or --recording <file.ndjson.gz> is required (e.g. --data data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz)',
    );
  // The asset labels the markets; a file whose name says it holds another asset is refused rather
  // than priced as the wrong coin.
  const named = inferAsset(values.data);
  const given = values.asset === undefined ? undefined : AssetSchema.safeParse(values.asset.toUpperCase());
  if (given && !given.success) return fail(`--asset ${values.asset}: expected one of ${ASSETS.join(', ')}`);
  if (given?.success && named && given.data !== named)
    return fail(
      `--asset ${given.data}: ${values.data} holds ${named} prices (its path says so); replaying them as ${given.data} would price ${named} as ${given.data}`,
    );
  const asset: Asset = given?.success ? given.data : (named ?? 'BTC');
  const p = period(values, fail);
  if (!p) return 2;
  // `asset` rides on the config for runBacktest to label its markets with.
  let cfg: BacktestConfig & { asset: Asset } = { ...DEFAULT_BACKTEST, asset };
  if (values.config) {
    const raw = readJson(values.config);
    if ('error' in raw) return fail(raw.error);
    const parsed = ConfigFileSchema.safeParse(raw.value);
    if (!parsed.success) return fail(`${values.config}: ${issues(parsed.error)}`);
    cfg = {
      ...cfg,
      ...parsed.data,
      book: { ...cfg.book, ...(parsed.data.book ?? {}) },
      breaker: { ...cfg.breaker, ...(parsed.data.breaker ?? {}) },
    } as BacktestConfig & { asset: Asset };
  }
  // Flags override the config file, checked like it: numbers, in range (a negative TWAP is an error, not point settlement).
  const flags = z
    .object({ seed: z.coerce.number().finite(), twap: z.coerce.number().finite().min(0).max(900), latency: z.coerce.number().pipe(LatencyMsSchema) })
    .partial()
    .safeParse({ seed: values.seed, twap: values.twap, latency: values.latency });
  if (!flags.success)
    return fail(flags.error.issues.map((i) => `--${i.path.join('.')} ${values[i.path[0] as 'seed' | 'twap' | 'latency']}: ${i.message}`).join('; '));
  if (flags.data.seed !== undefined) cfg.seed = flags.data.seed;
  if (flags.data.twap !== undefined) cfg.twapSeconds = flags.data.twap;
  if (flags.data.latency !== undefined) cfg.latencyMs = flags.data.latency;
  let bars;
  try {
    bars = loadHistory(values.data);
  } catch (err) {
    return fail((err as Error).message);
  }
  bars = bars.filter((b) => b.timestampMs >= p.fromMs && b.timestampMs <= p.toMs);
  if (bars.length < 60)
    return fail(`${bars.length} one-minute bars in the chosen period: a replay needs at least 60 (a volatility lookback and whole 15-minute windows)`);
  const { startMs, closes } = minuteCloses(bars);

  if (values.sweep) {
    const rows = [];
    for (const minEdge of [0.01, 0.02, 0.04, 0.06]) {
      for (const kellyFraction of [0.1, 0.25, 0.5]) {
        const r = runBacktest(closes, startMs, { ...cfg, minEdge, kellyFraction });
        rows.push({
          minEdge,
          kellyFraction,
          trades: r.trades.length,
          pnl: r.pnl,
          fees: r.fees,
          maxDrawdown: r.maxDrawdown,
          sharpePerWindow: Number(r.sharpePerWindow.toFixed(4)),
          hitRate: Number(r.hitRate.toFixed(4)),
        });
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ sweep: rows })}\n`);
    else {
      process.stdout.write('minEdge  kelly  trades        pnl      fees   maxDD  sharpe/win  hit\n');
      for (const r of rows)
        process.stdout.write(
          `${r.minEdge.toFixed(2).padStart(7)}  ${r.kellyFraction.toFixed(2).padStart(5)}  ${String(r.trades).padStart(6)}  ${r.pnl.toFixed(2).padStart(9)}  ${r.fees.toFixed(2).padStart(8)}  ${r.maxDrawdown.toFixed(2).padStart(6)}  ${r.sharpePerWindow.toFixed(4).padStart(10)}  ${(r.hitRate * 100).toFixed(1)}%\n`,
        );
    }
    return 0;
  }

  const bar = progressBar('windows');
  const r = runBacktest(closes, startMs, cfg, bar.onProgress);
  bar.stop();
  const summary = {
    asset,
    windows: r.windows,
    trades: r.trades.length,
    hitRate: r.hitRate,
    pnl: r.pnl,
    fees: r.fees,
    maxDrawdown: r.maxDrawdown,
    sharpePerWindow: r.sharpePerWindow,
    brier: r.brier,
    brierPerWindow: r.brierPerWindow,
    breakerTrips: r.breakerTrips.length,
    latencyMs: cfg.latencyMs,
    bookModel: cfg.book,
  };
  if (values.report) {
    try {
      writeFileSync(values.report, htmlReport(r, cfg, { data: values.data, generatedAt: new Date().toISOString() }));
    } catch (err) {
      return fail(`--report ${values.report}: ${(err as Error).message}`);
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      [
        ...summaryLines(r),
        `Brier once per window (first step) ${fixed(r.brierPerWindow, 4)}; circuit-breaker trips ${r.breakerTrips.length}; latency ${cfg.latencyMs} ms`,
        `${asset} from ${values.data}; book model: lag ${cfg.book.lagSteps} step(s), noise sd ${cfg.book.noiseSd}, bias ${cfg.book.bias}, spread ${cfg.book.spread}, ${cfg.book.levels}×${cfg.book.depth} shares`,
        values.report ? `report: ${values.report}` : '',
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
