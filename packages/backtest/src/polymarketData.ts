/**
 * The recorded Polymarket files of `data/polymarket/` (see its README): top-of-book samples of Up
 * and Down (`books.csv[.gz]`), how each window resolved (`outcomes.csv`) and one real bot's trade
 * prints (`wallet-trades-btc-15m.csv.gz`). Every row is zod-checked; a bad row is an error naming
 * the file and line, never a silently skipped price. Blank cells are "not recorded" (null).
 */
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { AssetSchema, type Asset, type FeeSchedule } from '@polybot/shared';
import { readText } from '@polybot/strategy';

export const TIMEFRAMES = ['15m', '1h'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const TimeframeSchema = z.enum(TIMEFRAMES);

const blankToNull = (v: unknown) => (v === '' || v === undefined ? null : v);
/** The hourly scraper writes 9999.99 where a side of the book was empty: no level, as blank. */
export const EMPTY_SIDE_SENTINEL = '9999.99';
const optPrice = z.preprocess((v) => (v === EMPTY_SIDE_SENTINEL ? null : blankToNull(v)), z.coerce.number().min(0).max(1).nullable());
const optPositive = z.preprocess(blankToNull, z.coerce.number().positive().finite().nullable());
const optNonNeg = z.preprocess(blankToNull, z.coerce.number().nonnegative().finite().nullable());
const unixSeconds = z.coerce.number().positive().finite();

const BookCsvRow = z.object({
  asset: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(AssetSchema),
  slug: z.string().min(1),
  timeframe: TimeframeSchema,
  window_start_unix: unixSeconds,
  window_end_unix: unixSeconds,
  t_unix: unixSeconds,
  up_bid: optPrice,
  up_ask: optPrice,
  down_bid: optPrice,
  down_ask: optPrice,
  underlying_price: optPositive,
  strike_price: optPositive,
  up_bid_depth5: optNonNeg,
  up_ask_depth5: optNonNeg,
  down_bid_depth5: optNonNeg,
  down_ask_depth5: optNonNeg,
  source: z.string(),
});

/** One top-of-book sample of a window (times in ms; null: not recorded). */
export interface BookSample {
  tMs: number;
  upBid: number | null;
  upAsk: number | null;
  downBid: number | null;
  downAsk: number | null;
  underlying: number | null;
  strike: number | null;
  /** Summed size of the top five levels (shares), where recorded. */
  upBidDepth: number | null;
  upAskDepth: number | null;
  downBidDepth: number | null;
  downAskDepth: number | null;
}

export interface RecordedWindow {
  slug: string;
  asset: Asset;
  timeframe: Timeframe;
  windowStartMs: number;
  windowEndMs: number;
  source: string;
  /** In time order. */
  samples: BookSample[];
  /** As recorded in the outcomes file; null: no outcome (skipped and counted). */
  outcome: 'UP' | 'DOWN' | null;
  /** The price to beat: the books' strike, else the outcome file's start price; null if neither. */
  strike: number | null;
}

const OutcomeCsvRow = z.object({
  slug: z.string().min(1),
  asset: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(AssetSchema),
  timeframe: TimeframeSchema,
  window_start_unix: unixSeconds,
  window_end_unix: unixSeconds,
  outcome: z.preprocess(blankToNull, z.enum(['Up', 'Down']).nullable()),
  start_price: optPositive,
  end_price: optPositive,
  outcome_method: z.string(),
  source: z.string(),
});
export type OutcomeRow = z.infer<typeof OutcomeCsvRow>;

const WalletCsvRow = z.object({
  t_unix: unixSeconds,
  slug: z.string().min(1),
  window_start_unix: unixSeconds,
  outcome_bought: z.enum(['Up', 'Down']),
  shares: z.coerce.number().positive().finite(),
  price: z.coerce.number().gt(0).lt(1),
});

/** One trade print of the real bot. */
export interface WalletTrade {
  tMs: number;
  slug: string;
  windowStartMs: number;
  outcome: 'UP' | 'DOWN';
  shares: number;
  price: number;
}

function rowsOf<T>(file: string, schema: z.ZodType<T>, required: readonly string[]): T[] {
  const text = readText(file);
  let records: Array<Record<string, string>>;
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>;
  } catch (err) {
    throw new Error(`${file}: not a readable CSV (${(err as Error).message})`, { cause: err });
  }
  const header = Object.keys(records[0] ?? {});
  const missing = required.filter((c) => !header.includes(c));
  if (records.length === 0) throw new Error(`${file}: no rows`);
  if (missing.length) throw new Error(`${file}: missing column(s) ${missing.join(', ')} (has ${header.join(', ')})`);
  return records.map((r, i) => {
    const p = schema.safeParse(r);
    if (!p.success) throw new Error(`${file}:${i + 2}: ${p.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    return p.data;
  });
}

export function loadOutcomes(file: string): OutcomeRow[] {
  return rowsOf(file, OutcomeCsvRow, ['slug', 'asset', 'timeframe', 'window_start_unix', 'window_end_unix', 'outcome']);
}

export function loadWalletTrades(file: string): WalletTrade[] {
  return rowsOf(file, WalletCsvRow, ['t_unix', 'slug', 'window_start_unix', 'outcome_bought', 'shares', 'price']).map((r) => ({
    tMs: r.t_unix * 1000,
    slug: r.slug,
    windowStartMs: r.window_start_unix * 1000,
    outcome: r.outcome_bought === 'Up' ? 'UP' : 'DOWN',
    shares: r.shares,
    price: r.price,
  }));
}

/**
 * The windows of a books file joined with their outcomes (by slug), sorted by start time; only
 * `asset`/`timeframe` when given. A window whose slug the outcomes file lacks has outcome null.
 */
export function loadWindows(booksFile: string, outcomesFile: string, filter: { asset?: Asset; timeframe?: Timeframe } = {}): RecordedWindow[] {
  const outcomes = new Map(loadOutcomes(outcomesFile).map((o) => [o.slug, o]));
  const rows = rowsOf(booksFile, BookCsvRow, ['asset', 'slug', 'timeframe', 'window_start_unix', 'window_end_unix', 't_unix', 'up_bid', 'up_ask']);
  const windows = new Map<string, RecordedWindow>();
  for (const r of rows) {
    if (filter.asset && r.asset !== filter.asset) continue;
    if (filter.timeframe && r.timeframe !== filter.timeframe) continue;
    let w = windows.get(r.slug);
    if (!w) {
      const o = outcomes.get(r.slug);
      w = {
        slug: r.slug,
        asset: r.asset,
        timeframe: r.timeframe,
        windowStartMs: r.window_start_unix * 1000,
        windowEndMs: r.window_end_unix * 1000,
        source: r.source,
        samples: [],
        outcome: o?.outcome === 'Up' ? 'UP' : o?.outcome === 'Down' ? 'DOWN' : null,
        strike: o?.start_price ?? null,
      };
      windows.set(r.slug, w);
    }
    if (r.strike_price !== null) w.strike = r.strike_price;
    w.samples.push({
      tMs: Math.round(r.t_unix * 1000),
      upBid: r.up_bid,
      upAsk: r.up_ask,
      downBid: r.down_bid,
      downAsk: r.down_ask,
      underlying: r.underlying_price,
      strike: r.strike_price,
      upBidDepth: r.up_bid_depth5,
      upAskDepth: r.up_ask_depth5,
      downBidDepth: r.down_bid_depth5,
      downAskDepth: r.down_ask_depth5,
    });
  }
  const list = [...windows.values()];
  for (const w of list) w.samples.sort((a, b) => a.tMs - b.tMs);
  return list.sort((a, b) => a.windowStartMs - b.windowStartMs || a.asset.localeCompare(b.asset));
}

/**
 * The taker fee schedule a market had when its window ran (docs/polymarket.md, "date | change"
 * table and §4, from Polymarket's docs; the February–March dates are marked [low] there):
 * - 15-minute crypto markets: no taker fee until 2026-01-05 ("2026-01-05/06: taker fees on 15m
 *   crypto, maker rebates"); from then the January curve `0.25·(p(1−p))²` per share (§4 "Before
 *   ~March"); from 2026-03-01 Fee Structure V2, `0.07·p(1−p)` (§4, the rate Gamma reports);
 * - hourly (and other) crypto markets: no fee until fees spread to all crypto ("2026-02 → 03"),
 *   taken here as 2026-03-01, then V2. The 2025 hourly markets in data/ carry no fee (their README).
 * Makers pay none (takerOnly).
 */
export const FEE_DATES = { fifteenMinuteFeesFromMs: Date.UTC(2026, 0, 5), v2FromMs: Date.UTC(2026, 2, 1) } as const;

export const NO_FEE: FeeSchedule = { rate: 0, exponent: 1, takerOnly: true };
export const JANUARY_2026_FEE: FeeSchedule = { rate: 0.25, exponent: 2, takerOnly: true };
export const V2_FEE: FeeSchedule = { rate: 0.07, exponent: 1, takerOnly: true };

export function feeScheduleAt(timeframe: Timeframe, windowStartMs: number): FeeSchedule {
  if (windowStartMs >= FEE_DATES.v2FromMs) return V2_FEE;
  if (timeframe === '15m' && windowStartMs >= FEE_DATES.fifteenMinuteFeesFromMs) return JANUARY_2026_FEE;
  return NO_FEE;
}
