/**
 * Price histories as shipped in data/ (plain or gzip): FTX 1-minute CSV bars and Coinbase 1-minute JSON
 * candles. Every row is zod-checked; a bad row is a clear error naming the file and line.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

export interface Bar {
  timestampMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

const positive = z.coerce.number().positive().finite();
const CsvRowSchema = z.object({ timestamp: z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/), open: positive, high: positive, low: positive, close: positive });
const JsonCandleSchema = z.object({ time: z.string(), open: positive, high: positive, low: positive, close: positive }).passthrough();

/** A text file as UTF-8, gunzipped when its name ends in `.gz` (the shipped data is compressed). */
export function readText(file: string): string {
  const buf = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** The file's name without a trailing `.gz`, so a format is told by its inner extension. */
export function plainName(file: string): string {
  return file.endsWith('.gz') ? file.slice(0, -3) : file;
}

export function loadBars(file: string): Bar[] {
  const text = readText(file);
  const bars = plainName(file).endsWith('.json') ? parseJsonCandles(text, file) : parseCsvBars(text, file);
  bars.sort((a, b) => a.timestampMs - b.timestampMs);
  if (bars.length < 2) throw new Error(`${file}: fewer than two bars`);
  return bars;
}

function parseCsvBars(text: string, file: string): Bar[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]!.split(',').map((h) => h.trim());
  const idx = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no "${name}" column (columns: ${header.join(', ')})`);
    return i;
  };
  const cols = { timestamp: idx('timestamp'), open: idx('open'), high: idx('high'), low: idx('low'), close: idx('close') };
  return lines.slice(1).map((line, n) => {
    const f = line.split(',');
    const row = CsvRowSchema.safeParse({ timestamp: f[cols.timestamp], open: f[cols.open], high: f[cols.high], low: f[cols.low], close: f[cols.close] });
    if (!row.success) throw new Error(`${file}:${n + 2}: ${row.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    return { timestampMs: Date.parse(`${row.data.timestamp.replace(' ', 'T').slice(0, 19)}Z`), open: row.data.open, high: row.data.high, low: row.data.low, close: row.data.close };
  });
}

function parseJsonCandles(text: string, file: string): Bar[] {
  const raw = z.array(z.unknown()).safeParse(JSON.parse(text));
  if (!raw.success) throw new Error(`${file}: expected a JSON array of candles`);
  return raw.data.map((c, n) => {
    const row = JsonCandleSchema.safeParse(c);
    const t = row.success ? Date.parse(row.data.time) : NaN;
    if (!row.success || !Number.isFinite(t)) throw new Error(`${file}: candle ${n} is invalid`);
    return { timestampMs: t, open: row.data.open, high: row.data.high, low: row.data.low, close: row.data.close };
  });
}

/** Minute closes on a regular grid (a missing minute carries the last close forward). */
export function minuteCloses(bars: readonly Bar[]): { startMs: number; closes: number[] } {
  const startMs = bars[0]!.timestampMs;
  const n = Math.round((bars[bars.length - 1]!.timestampMs - startMs) / 60_000) + 1;
  const closes = new Array<number>(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const t = startMs + i * 60_000;
    while (j + 1 < bars.length && bars[j + 1]!.timestampMs <= t) j++;
    closes[i] = bars[j]!.close;
  }
  return { startMs, closes };
}
