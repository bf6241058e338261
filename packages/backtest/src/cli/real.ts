/**
 * `pnpm backtest --books <books.csv[.gz]> --outcomes <outcomes.csv> [--asset A] [--timeframe 15m|1h]
 *  [--strategy value|pairs|all] [--wallet trades.csv.gz] [--fees historical|v2] [--json] [--report out.html]`
 * Replays recorded Polymarket books (realMarket.ts). Bad arguments exit 2 with one line on stderr.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ASSETS, AssetSchema } from '@polybot/shared';
import { loadWalletTrades, loadWindows, TimeframeSchema, type Timeframe, type WalletTrade } from '../polymarketData.js';
import { DEFAULT_REAL_MARKET, runTimeframe, valueVerdict, type RealMarketConfig, type StrategyRun, type TimeframeResult } from '../realMarket.js';
import { realMarketReport } from '../realReport.js';
import { maxDrawdown, equityCurve, round6 } from '../results.js';
import type { Scores } from '../modelVsMarket.js';

export interface RealArgs {
  books: string;
  outcomes?: string | undefined;
  asset?: string | undefined;
  timeframe?: string | undefined;
  strategy?: string | undefined;
  wallet?: string | undefined;
  fees?: string | undefined;
  json?: boolean | undefined;
  report?: string | undefined;
}

const StrategySchema = z.enum(['value', 'pairs', 'all']);
const FeesSchema = z.enum(['historical', 'v2']);

const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);
const r6 = (v: number) => (Number.isFinite(v) ? round6(v) : null);

function scoresJson(s: Scores) {
  const ms = (x: { mean: number; se: number }) => ({ mean: r6(x.mean), se: r6(x.se) });
  return {
    n: s.n,
    brier: { model: r6(s.brier.model), bs: r6(s.brier.bs), market: r6(s.brier.market) },
    logLoss: { model: r6(s.logLoss.model), bs: r6(s.logLoss.bs), market: r6(s.logLoss.market) },
    diff: {
      modelMinusMarket: { brier: ms(s.diff.modelMinusMarket.brier), logLoss: ms(s.diff.modelMinusMarket.logLoss) },
      bsMinusMarket: { brier: ms(s.diff.bsMinusMarket.brier), logLoss: ms(s.diff.bsMinusMarket.logLoss) },
      modelMinusBs: { brier: ms(s.diff.modelMinusBs.brier), logLoss: ms(s.diff.modelMinusBs.logLoss) },
    },
  };
}

const runJson = (r: StrategyRun) => ({
  windows: r.windows,
  trades: r.trades.length,
  pnl: r.pnl,
  fees: r.fees,
  maxDrawdown: r.maxDrawdown,
  sharpePerWindow: r4(r.sharpePerWindow),
  hitRate: r4(r.hitRate),
});

/** The out-of-sample part of every run chosen: value on the second half, pairs on the second half's windows. */
function outOfSample(results: readonly TimeframeResult[], bankrollUsd: number) {
  const windows: Array<{ endMs: number; pnl: number }> = [];
  let trades = 0;
  let fees = 0;
  for (const t of results) {
    if (t.value) {
      trades += t.value.outOfSample.trades.length;
      fees += t.value.outOfSample.fees;
      windows.push(...t.value.outOfSample.perWindow.map((w) => ({ endMs: w.windowEndMs, pnl: w.pnl })));
    }
    if (t.pairs) {
      const second = t.pairs.all.perWindow.filter((w) => w.windowStartMs >= t.secondHalf.fromMs);
      trades += second.reduce((a, w) => a + w.fills, 0);
      fees += second.reduce((a, w) => a + w.feesUsd, 0);
      windows.push(...second.map((w) => ({ endMs: w.windowEndMs, pnl: w.pnl })));
    }
  }
  windows.sort((a, b) => a.endMs - b.endMs);
  const equity = equityCurve(windows, bankrollUsd);
  return { trades, pnl: round6(windows.reduce((a, w) => a + w.pnl, 0)), fees: round6(fees), maxDrawdown: maxDrawdown(equity, bankrollUsd) };
}

export function summaryJson(
  results: readonly TimeframeResult[],
  cfg: RealMarketConfig,
  args: { books: string; outcomes: string; asset: string | null; wallet: string | null },
) {
  const pooled = results.flatMap((t) => t.scores.forecasts);
  const mean = (f: (x: (typeof pooled)[number]) => number) => (pooled.length ? pooled.reduce((a, x) => a + f(x), 0) / pooled.length : NaN);
  const oos = outOfSample(results, cfg.bankrollUsd);
  return {
    books: args.books,
    outcomes: args.outcomes,
    wallet: args.wallet,
    asset: args.asset,
    feeSchedule: cfg.fees,
    windows: results.reduce((a, t) => a + t.windows, 0),
    skippedNoOutcome: results.reduce((a, t) => a + t.skippedNoOutcome, 0),
    period: "trades, pnl, fees and maxDrawdown: out of sample, the second half of each timeframe's windows by time",
    trades: oos.trades,
    pnl: oos.pnl,
    fees: oos.fees,
    maxDrawdown: oos.maxDrawdown,
    brier: { model: r6(mean((x) => (x.model - x.y) ** 2)), market: r6(mean((x) => (x.market - x.y) ** 2)), bs: r6(mean((x) => (x.bs - x.y) ** 2)) },
    byHorizon: results.flatMap((t) => t.scores.byHorizon.map((h) => ({ timeframe: t.timeframe, minutes: h.minutes, ...scoresJson(h) }))),
    timeframes: results.map((t) => ({
      timeframe: t.timeframe,
      windows: t.windows,
      skippedNoOutcome: t.skippedNoOutcome,
      scoredWindows: t.scores.windows,
      firstHalf: t.firstHalf,
      secondHalf: t.secondHalf,
      pooled: scoresJson(t.scores.pooled),
      value: t.value && {
        anchor: { intercept: r6(t.value.anchor.intercept), wModel: r6(t.value.anchor.wModel), wMarket: r6(t.value.anchor.wMarket) },
        margin: t.value.margin,
        verdict: valueVerdict(t),
        marginTable: t.value.marginTable,
        outOfSample: runJson(t.value.outOfSample),
        modelAloneOutOfSample: runJson(t.value.modelAloneOutOfSample),
      },
      pairs: t.pairs && {
        all: runJson(t.pairs.all),
        firstHalf: t.pairs.firstHalf,
        secondHalf: t.pairs.secondHalf,
        byRule: t.pairs.byRule,
        bot: t.pairs.bot && { windows: t.pairs.bot.windows.length, ours: t.pairs.bot.ours, theirs: t.pairs.bot.theirs },
      },
    })),
  };
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const sgn = (v: number | null, d = 4) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(d)}`);

function text(results: readonly TimeframeResult[], s: ReturnType<typeof summaryJson>): string {
  const out: string[] = [];
  out.push(
    `windows ${s.windows} (skipped without outcome ${s.skippedNoOutcome}); fees: ${s.feeSchedule === 'v2' ? 'V2 taker fee on every window (what-if)' : 'as the markets had them (none on these windows)'}`,
  );
  for (const t of results) {
    out.push(
      '',
      `== ${t.timeframe}: ${t.windows} windows, ${t.scores.windows} scored; out of sample = the last ${t.secondHalf.windows} (from ${new Date(t.secondHalf.fromMs).toISOString().slice(0, 16)})`,
    );
    out.push('minutes      n   Brier model      BS  market   Δ model−market ± se   Δ BS−market ± se   logloss model  market   Δ ± se');
    for (const h of [...t.scores.byHorizon.map((x) => ({ label: String(x.minutes), ...x })), { label: 'all', ...t.scores.pooled }]) {
      const d = h.diff.modelMinusMarket;
      const b = h.diff.bsMinusMarket;
      out.push(
        `${h.label.padStart(7)} ${String(h.n).padStart(6)}  ${h.brier.model.toFixed(4).padStart(11)} ${h.brier.bs.toFixed(4).padStart(7)} ${h.brier.market.toFixed(4).padStart(7)}   ${`${sgn(d.brier.mean)} ±${d.brier.se.toFixed(4)}`.padStart(19)}   ${`${sgn(b.brier.mean)} ±${b.brier.se.toFixed(4)}`.padStart(16)}   ${h.logLoss.model.toFixed(4).padStart(13)} ${h.logLoss.market.toFixed(4).padStart(7)}   ${sgn(d.logLoss.mean)} ±${d.logLoss.se.toFixed(4)}`,
      );
    }
    if (t.value) {
      const v = t.value;
      out.push(
        `value: anchor a ${v.anchor.intercept.toFixed(4)}, w_model ${v.anchor.wModel.toFixed(4)}, w_market ${v.anchor.wMarket.toFixed(4)} (fitted on the first half); margin ${v.margin === null ? 'none (no margin earned money on the first half: no value bets)' : v.margin}`,
      );
      out.push('  margin  first-half trades      PnL   second-half trades      PnL');
      for (const r of v.marginTable)
        out.push(
          `  ${r.margin.toFixed(2).padStart(6)}  ${String(r.firstHalf.trades).padStart(17)} ${r.firstHalf.pnl.toFixed(2).padStart(8)}   ${String(r.secondHalf.trades).padStart(18)} ${r.secondHalf.pnl.toFixed(2).padStart(8)}`,
        );
      out.push(
        `  out of sample (chosen): trades ${v.outOfSample.trades.length}, PnL $${v.outOfSample.pnl.toFixed(2)}, fees $${v.outOfSample.fees.toFixed(2)}, max drawdown $${v.outOfSample.maxDrawdown.toFixed(2)}`,
      );
      out.push(`  default: ${valueVerdict(t)}`);
      out.push(
        `  live model alone (no anchor, edge 0.02), same windows: trades ${v.modelAloneOutOfSample.trades.length}, PnL $${v.modelAloneOutOfSample.pnl.toFixed(2)}, max drawdown $${v.modelAloneOutOfSample.maxDrawdown.toFixed(2)}`,
      );
    }
    if (t.pairs) {
      const p = t.pairs;
      out.push('pairs:  fills by                          windows  fills      spent  med.pair      PnL  PnL/spent  profitable');
      const row = (r: (typeof p.byRule)[number]) =>
        `  ${r.rule.padEnd(34)} ${`${r.windowsTraded}/${r.windows}`.padStart(7)} ${String(r.fills).padStart(6)} ${r.spentUsd.toFixed(2).padStart(10)} ${r.medianPairCost === null ? '     —' : r.medianPairCost.toFixed(4).padStart(9)} ${r.pnl.toFixed(2).padStart(8)} ${pct(r.returnOnSpend).padStart(10)} ${String(r.profitableWindows).padStart(11)}`;
      for (const r of [...p.byRule, p.firstHalf, p.secondHalf]) out.push(row(r));
      if (p.bot) {
        out.push(`  vs the real bot on the ${p.bot.windows.length} windows both traded:`);
        out.push(row(p.bot.ours), row(p.bot.theirs));
      }
    }
  }
  out.push(
    '',
    `out of sample, strategies chosen: trades ${s.trades}, PnL after fees $${s.pnl.toFixed(2)}, fees $${s.fees.toFixed(2)}, max drawdown $${s.maxDrawdown.toFixed(2)}`,
  );
  out.push(
    `Brier over every scored forecast: model ${s.brier.model?.toFixed(4)}, Black–Scholes ${s.brier.bs?.toFixed(4)}, market ${s.brier.market?.toFixed(4)}`,
  );
  return out.join('\n') + '\n';
}

export function runReal(args: RealArgs, fail: (msg: string) => number): number {
  if (!args.outcomes)
    return fail('--books needs --outcomes <outcomes.csv> (e.g. --books data/polymarket/books.csv.gz --outcomes data/polymarket/outcomes.csv)');
  const asset = args.asset === undefined ? undefined : AssetSchema.safeParse(args.asset.toUpperCase());
  if (asset && !asset.success) return fail(`--asset ${args.asset}: expected one of ${ASSETS.join(', ')}`);
  const timeframe = args.timeframe === undefined ? undefined : TimeframeSchema.safeParse(args.timeframe);
  if (timeframe && !timeframe.success) return fail(`--timeframe ${args.timeframe}: expected 15m or 1h`);
  const strategy = StrategySchema.safeParse(args.strategy ?? 'all');
  if (!strategy.success) return fail(`--strategy ${args.strategy}: expected value, pairs or all`);
  const fees = FeesSchema.safeParse(args.fees ?? 'historical');
  if (!fees.success) return fail(`--fees ${args.fees}: expected historical or v2`);
  let windows;
  try {
    windows = loadWindows(args.books, args.outcomes, {
      ...(asset?.success ? { asset: asset.data } : {}),
      ...(timeframe?.success ? { timeframe: timeframe.data } : {}),
    });
  } catch (err) {
    return fail((err as Error).message);
  }
  if (windows.length === 0)
    return fail(
      `${args.books}: no ${[asset?.success ? asset.data : '', timeframe?.success ? timeframe.data : ''].filter(Boolean).join(' ') || ''} windows in this file`.replace(
        '  ',
        ' ',
      ),
    );
  // The real bot's trades: --wallet, else the file shipped next to the books, if there.
  const walletFile = args.wallet ?? path.join(path.dirname(args.books), 'wallet-trades-btc-15m.csv.gz');
  let wallet: WalletTrade[] | null = null;
  if (args.wallet !== undefined || existsSync(walletFile)) {
    try {
      wallet = loadWalletTrades(walletFile);
    } catch (err) {
      return fail((err as Error).message);
    }
  }
  const cfg: RealMarketConfig = { ...DEFAULT_REAL_MARKET, strategies: { value: strategy.data !== 'pairs', pairs: strategy.data !== 'value' }, fees: fees.data };
  const timeframes = [...new Set(windows.map((w) => w.timeframe))].sort() as Timeframe[];
  // Pair accumulation needs both books: only the 15-minute files record the Down book.
  const results = timeframes.map((tf) =>
    runTimeframe(
      windows,
      tf,
      { ...cfg, strategies: { value: cfg.strategies.value, pairs: cfg.strategies.pairs && tf === '15m' } },
      tf === '15m' ? wallet : null,
    ),
  );
  const summary = summaryJson(results, cfg, {
    books: args.books,
    outcomes: args.outcomes,
    asset: asset?.success ? asset.data : null,
    wallet: wallet ? walletFile : null,
  });
  if (args.report) {
    try {
      writeFileSync(
        args.report,
        realMarketReport(results, cfg, {
          books: args.books,
          outcomes: args.outcomes,
          wallet: wallet ? walletFile : null,
          generatedAt: new Date().toISOString(),
        }),
      );
    } catch (err) {
      return fail(`--report ${args.report}: ${(err as Error).message}`);
    }
  }
  process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : text(results, summary) + (args.report ? `report: ${args.report}\n` : ''));
  return 0;
}
