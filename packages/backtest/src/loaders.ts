/**
 * Every price-history format in data/ (plain or gzip), as one-minute bars for the window builder:
 * - 1-minute bars (FTX CSV, Coinbase JSON): the strategy package's zod-checked `loadBars`;
 * - Binance trades CSV (`price`, `timestamp` in µs) and quotes CSV (mid of `bid_price`/`ask_price`);
 * - raw Binance WebSocket captures (`<ns> {stream,data}` per line, gzip): `trade` prints, else
 *   `bookTicker` mids.
 * Ticks become bars by minute (open/high/low/close of the prices inside it). Each row is zod-checked;
 * a bad row is a clear error naming the file and line, never a silently skipped price.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Asset } from '@polybot/shared';
import { loadBars, plainName, readText, type Bar } from '@polybot/strategy';

const positive = z.coerce.number().positive().finite();
const TradeRow = z.object({ timestamp: z.coerce.number().int().positive(), price: positive });
const QuoteRow = z.object({ timestamp: z.coerce.number().int().positive(), bid_price: positive, ask_price: positive });
const RawTrade = z.object({ stream: z.string(), data: z.object({ e: z.literal('trade'), T: z.number().int().positive(), p: positive }) });
const RawTicker = z.object({ stream: z.string(), data: z.object({ b: positive, a: positive }) });

/** Ticks (ms, price) → one-minute bars, in time order. */
export function ticksToBars(ticks: ReadonlyArray<readonly [number, number]>): Bar[] {
  const sorted = [...ticks].sort((a, b) => a[0] - b[0]);
  const bars: Bar[] = [];
  for (const [t, p] of sorted) {
    const m = Math.floor(t / 60_000) * 60_000;
    const last = bars[bars.length - 1];
    if (last && last.timestampMs === m) {
      last.high = Math.max(last.high, p);
      last.low = Math.min(last.low, p);
      last.close = p;
    } else bars.push({ timestampMs: m, open: p, high: p, low: p, close: p });
  }
  return bars;
}

function csvRows(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  return { header: (lines[0] ?? '').split(',').map((h) => h.trim()), rows: lines.slice(1).map((l) => l.split(',')) };
}

function fail(file: string, line: number, err: z.ZodError): never {
  throw new Error(`${file}:${line}: ${err.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
}

/** Loads any shipped price file as one-minute bars (see the module comment for the formats). */
export function loadHistory(file: string): Bar[] {
  const name = plainName(file);
  if (name.endsWith('.ndjson')) {
    const text = readText(file);
    const trades: Array<[number, number]> = [];
    const mids: Array<[number, number]> = [];
    text.split('\n').forEach((line, n) => {
      if (!line.trim()) return;
      const sp = line.indexOf(' ');
      const recvNs = Number(line.slice(0, sp));
      let json: unknown;
      try {
        json = JSON.parse(line.slice(sp + 1));
      } catch {
        throw new Error(`${file}:${n + 1}: not JSON after the receive time`);
      }
      // Depth diffs and REST depth snapshots are not needed for a price history: trades (or top of book) suffice.
      if (typeof json === 'object' && json && (('stream' in json && String((json as { stream: unknown }).stream).includes('@depth')) || 'lastUpdateId' in json))
        return;
      const trade = RawTrade.safeParse(json);
      if (trade.success) {
        trades.push([trade.data.data.T, trade.data.data.p]);
        return;
      }
      const ticker = RawTicker.safeParse(json);
      if (!ticker.success) fail(file, n + 1, ticker.error);
      if (!Number.isFinite(recvNs)) throw new Error(`${file}:${n + 1}: no receive time before the JSON`);
      mids.push([Math.floor(recvNs / 1e6), (ticker.data.data.a + ticker.data.data.b) / 2]);
    });
    const bars = ticksToBars(trades.length ? trades : mids);
    if (bars.length < 2) throw new Error(`${file}: fewer than two minutes of trades or quotes`);
    return bars;
  }
  if (name.endsWith('.csv')) {
    const text = readText(file);
    const { header, rows } = csvRows(text);
    const col = (name: string) => header.indexOf(name);
    if (col('open') >= 0) return loadBars(file);
    const ticks: Array<[number, number]> = [];
    if (col('price') >= 0 && col('timestamp') >= 0) {
      rows.forEach((f, n) => {
        const r = TradeRow.safeParse({ timestamp: f[col('timestamp')], price: f[col('price')] });
        if (!r.success) fail(file, n + 2, r.error);
        ticks.push([Math.floor(r.data.timestamp / 1000), r.data.price]);
      });
    } else if (col('bid_price') >= 0 && col('ask_price') >= 0 && col('timestamp') >= 0) {
      rows.forEach((f, n) => {
        const r = QuoteRow.safeParse({ timestamp: f[col('timestamp')], bid_price: f[col('bid_price')], ask_price: f[col('ask_price')] });
        if (!r.success) fail(file, n + 2, r.error);
        ticks.push([Math.floor(r.data.timestamp / 1000), (r.data.bid_price + r.data.ask_price) / 2]);
      });
    } else
      throw new Error(
        `${file}: unknown CSV (columns: ${header.join(', ')}); expected bars (open,high,low,close), trades (timestamp,price) or quotes (timestamp,bid_price,ask_price)`,
      );
    const bars = ticksToBars(ticks);
    if (bars.length < 2) throw new Error(`${file}: fewer than two minutes of prices`);
    return bars;
  }
  return loadBars(file);
}

// A name token that says which asset a file holds: the symbol alone, against a quote currency
// (btcusdt, xbtusd) or as a perpetual, or the coin's name.
const ASSET_TOKENS: ReadonlyArray<readonly [Asset, RegExp]> = [
  ['BTC', /^(btc|xbt|bitcoin)(usdt|usdc|usd|busd|perp)?$/],
  ['ETH', /^(eth|ether|ethereum)(usdt|usdc|usd|busd|perp)?$/],
  ['SOL', /^(sol|solana)(usdt|usdc|usd|busd|perp)?$/],
  ['XRP', /^(xrp|ripple)(usdt|usdc|usd|busd|perp)?$/],
];

/**
 * The asset a price file holds, as its name says: the file name first, then each folder up from it
 * (`btc-1m/coinbase-gdax-2016/1Jan2016.json` is BTC). Null when no name says, or when the nearest
 * name that does names two assets (a cross pair).
 */
export function inferAsset(file: string): Asset | null {
  const segments = path.resolve(file).split(path.sep).reverse();
  for (const seg of segments) {
    const tokens = seg
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean);
    const found = new Set(ASSET_TOKENS.filter(([, re]) => tokens.some((t) => re.test(t))).map(([a]) => a));
    if (found.size === 1) return [...found][0]!;
    if (found.size > 1) return null;
  }
  return null;
}
