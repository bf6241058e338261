/** `polybot trades` and `polybot daily`: trade history from the order store, as a table, CSV or JSON. */
import { InvalidArgumentError, type Command } from 'commander';
import { dailyOf, readTradeHistory, toCsv, tradesOf, type TradeFilter } from '@polybot/dashboard';
import { loadBaseConfig } from '@polybot/shared/config';
import type { Io } from './common.js';

const since = (value: string): number => {
  const ms = /^\d+[dh]$/.test(value) ? Date.now() - Number(value.slice(0, -1)) * (value.endsWith('d') ? 86_400_000 : 3_600_000) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expects an ISO date (2026-12-01, 2026-12-01T10:00Z) or an age such as 7d or 12h.');
  return ms;
};

function table(rows: ReadonlyArray<object>, cols: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) => (v === null || v === undefined ? '–' : typeof v === 'number' ? String(Number(v.toFixed(6))) : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell((r as Record<string, unknown>)[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i]!)).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell((r as Record<string, unknown>)[c]))))].join('\n');
}

interface Opts {
  since?: number;
  market?: string;
  csv?: boolean;
  json?: boolean;
}

export const TRADE_COLUMNS = ['time', 'orderId', 'market', 'asset', 'outcome', 'side', 'price', 'shares', 'notionalUsd', 'feeUsd', 'status'];
export const DAILY_COLUMNS = ['day', 'trades', 'volumeUsd', 'feesUsd', 'pnlUsd', 'settled', 'wins', 'hitRate', 'cumulativePnlUsd'];

export function registerHistory(program: Command, io: Io): void {
  const withFilters = (c: Command) =>
    c
      .option('--since <when>', 'from this ISO date/time, or an age: 7d, 12h', since)
      .option('--market <id>', 'one market (its condition id or the start of it) or one asset (BTC)')
      .option('--csv', 'CSV with a header row')
      .option('--json', 'a JSON array');
  const out = (opts: Opts, rows: ReadonlyArray<object>, cols: string[]) =>
    io.out(opts.json ? `${JSON.stringify(rows)}\n` : opts.csv ? toCsv(rows, cols) : `${table(rows, cols)}\n`);
  const filter = (opts: Opts): TradeFilter => ({
    ...(opts.since !== undefined ? { sinceMs: opts.since } : {}),
    ...(opts.market ? { market: opts.market } : {}),
  });

  withFilters(program.command('trades').description('every fill from the order store, oldest first')).action((opts: Opts) => {
    out(opts, tradesOf(readTradeHistory(loadBaseConfig().dataDir), filter(opts)), TRADE_COLUMNS);
  });
  withFilters(
    program.command('daily').description('per UTC day: trades, volume, fees, realised PnL (markets settled and pairs merged that day) and hit rate'),
  ).action((opts: Opts) => {
    out(opts, dailyOf(readTradeHistory(loadBaseConfig().dataDir), filter(opts)), DAILY_COLUMNS);
  });
}
