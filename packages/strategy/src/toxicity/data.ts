/**
 * Trades (with the aggressor side) and best bid/ask from the shared Binance files, on the receive
 * clock: raw captures (`<receive ns> <json>` per line, gzip) and Tardis-style trade/quote CSV pairs.
 * Every message used is zod-checked; a file that yields no usable quotes or trades is an error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { readText } from '../data/priceHistory.js';

export interface StudyTrade {
  tMs: number;
  size: number;
  side: 'BUY' | 'SELL';
}

export interface StudyQuote {
  tMs: number;
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
}

/** One venue/symbol's events, merged over its files and sorted by time. */
export interface StudySource {
  name: string;
  trades: StudyTrade[];
  quotes: StudyQuote[];
}

const num = z.string().transform((s, ctx) => {
  const v = Number(s);
  if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `not a number: ${s}` });
  return v;
});
const RawTrade = z.object({ data: z.object({ q: num, m: z.boolean(), X: z.string().optional() }) });
const RawBookTicker = z.object({ data: z.object({ b: num, B: num, a: num, A: num }) });

function rawCapture(file: string): { trades: StudyTrade[]; quotes: StudyQuote[] } {
  const trades: StudyTrade[] = [];
  const quotes: StudyQuote[] = [];
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  lines.forEach((line, n) => {
    const isTrade = line.includes('@trade"');
    // Depth diffs are skipped unparsed: without a snapshot they cannot give the top of book.
    if (!isTrade && !line.includes('@bookTicker"')) return;
    const sp = line.indexOf(' ');
    const tMs = Number(line.slice(0, sp)) / 1e6;
    let json: unknown;
    try {
      json = JSON.parse(line.slice(sp + 1));
    } catch {
      throw new Error(`${file}:${n + 1}: not JSON`);
    }
    if (!Number.isFinite(tMs)) throw new Error(`${file}:${n + 1}: no receive timestamp`);
    if (isTrade) {
      const t = RawTrade.safeParse(json);
      if (!t.success) throw new Error(`${file}:${n + 1}: trade: ${t.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      // Futures also print insurance-fund and ADL fills; only market trades say who was aggressive.
      if (t.data.data.X !== undefined && t.data.data.X !== 'MARKET') return;
      // m = buyer is the maker, so the seller crossed the spread.
      trades.push({ tMs, size: t.data.data.q, side: t.data.data.m ? 'SELL' : 'BUY' });
    } else {
      const q = RawBookTicker.safeParse(json);
      if (!q.success) throw new Error(`${file}:${n + 1}: bookTicker: ${q.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      const d = q.data.data;
      quotes.push({ tMs, bid: d.b, bidQty: d.B, ask: d.a, askQty: d.A });
    }
  });
  return { trades, quotes };
}

const positive = z.coerce.number().positive().finite();
const TradeRow = z.object({ local_timestamp: positive, side: z.enum(['buy', 'sell']), amount: positive });
const QuoteRow = z.object({
  local_timestamp: positive,
  bid_price: positive,
  bid_amount: z.coerce.number().nonnegative(),
  ask_price: positive,
  ask_amount: z.coerce.number().nonnegative(),
});

function csvRows<T>(file: string, schema: z.ZodType<T>): T[] {
  const lines = readText(file)
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  return lines.slice(1).map((line, n) => {
    const f = line.split(',');
    const row = schema.safeParse(Object.fromEntries(header.map((h, i) => [h, f[i]])));
    if (!row.success) throw new Error(`${file}:${n + 2}: ${row.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    return row.data;
  });
}

/** The venue/symbol a file belongs to: its name before the date (files of one source are merged). */
export function sourceName(file: string): string {
  return path.basename(file).replace(/_(trades|quotes)_.*$|_\d{8}_.*$/, '');
}

/**
 * Loads and merges files per source. Raw captures carry both trades and quotes; a trades CSV
 * needs its quotes CSV (same name with `quotes`) among the files, and the other way round.
 */
export function loadStudySources(files: readonly string[]): StudySource[] {
  const by = new Map<string, StudySource>();
  const csv = new Map<string, { trades?: string; quotes?: string }>();
  for (const file of files) {
    const base = path.basename(file);
    const src = by.get(sourceName(file)) ?? { name: sourceName(file), trades: [], quotes: [] };
    if (base.endsWith('.ndjson.gz')) {
      const r = rawCapture(file);
      if (!r.quotes.length || !r.trades.length) throw new Error(`${file}: no bookTicker or no trade messages`);
      src.trades.push(...r.trades);
      src.quotes.push(...r.quotes);
    } else if (/_trades_.*\.csv(\.gz)?$/.test(base)) {
      src.trades.push(
        ...csvRows(file, TradeRow).map((r) => ({
          tMs: r.local_timestamp / 1000,
          size: r.amount,
          side: r.side === 'buy' ? ('BUY' as const) : ('SELL' as const),
        })),
      );
      csv.set(src.name, { ...csv.get(src.name), trades: file });
    } else if (/_quotes_.*\.csv(\.gz)?$/.test(base)) {
      src.quotes.push(
        ...csvRows(file, QuoteRow).map((r) => ({
          tMs: r.local_timestamp / 1000,
          bid: r.bid_price,
          bidQty: r.bid_amount,
          ask: r.ask_price,
          askQty: r.ask_amount,
        })),
      );
      csv.set(src.name, { ...csv.get(src.name), quotes: file });
    } else {
      throw new Error(`${file}: not a raw capture (.ndjson.gz) nor a *_trades_*.csv / *_quotes_*.csv file`);
    }
    by.set(src.name, src);
  }
  for (const [name, pair] of csv) {
    if (!pair.trades) throw new Error(`${pair.quotes}: quotes without the matching trades CSV for ${name}`);
    if (!pair.quotes) throw new Error(`${pair.trades}: trades without the matching quotes CSV for ${name} (the forward move needs the mid)`);
  }
  for (const s of by.values()) {
    s.trades.sort((a, b) => a.tMs - b.tMs);
    s.quotes.sort((a, b) => a.tMs - b.tMs);
  }
  return [...by.values()];
}
