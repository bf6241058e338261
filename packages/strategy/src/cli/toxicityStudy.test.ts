import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, DATA_DIR } from './toxicityStudy.js';

// The small CSV pair keeps this test quick; the full shared set is studied in toxicityStudy.test.ts.
const PAIR = ['trades', 'quotes'].flatMap((k) => ['--data', path.join(DATA_DIR, `btc-ticks/binance-futures_BTCUSDT_${k}_2020-02-22_sample.csv.gz`)]);

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  return { out: () => out, err: () => err };
}
afterEach(() => vi.restoreAllMocks());

describe('pnpm toxicity-study', () => {
  it('prints one JSON object with the tables and the derived thresholds for one capture', () => {
    const io = capture();
    expect(main([...PAIR, '--json'])).toBe(0);
    const lines = io.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const res = JSON.parse(lines[0]!) as {
      samples: number;
      sources: Array<{ name: string; samples: number }>;
      thresholds: Array<{ measure: string; rounded: number }>;
      tables: unknown[];
    };
    expect(res.sources).toEqual([expect.objectContaining({ name: 'binance-futures_BTCUSDT', samples: res.samples })]);
    expect(res.thresholds.map((t) => t.measure)).toEqual(['order_flow_imbalance', 'vpin', 'unabsorbed_spot_move', 'book_change_speed']);
    for (const t of res.thresholds) expect(t.rounded).toBeGreaterThan(0);
    expect(res.tables).toHaveLength(4 * 3);
  });

  it('prints readable tables and the rule without --json', () => {
    const io = capture();
    expect(main(PAIR)).toBe(0);
    expect(io.out()).toMatch(/order_flow_imbalance → next 5 s/);
    expect(io.out()).toMatch(/^Rule: /m);
    expect(io.out()).toMatch(/derived thresholds/);
  });

  it('exits 2 with a clear message on bad input', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'toxstudy-'));
    const cases: Array<[string[], RegExp]> = [
      [['--data', path.join(dir, 'missing.ndjson.gz')], /no such file/],
      [['--bogus'], /Unknown option/],
      [['--data', path.join(dir, 'x.txt')], /not a raw capture/],
      [['--data', path.join(dir, 'a_trades_1.csv')], /without the matching quotes CSV/],
      [['--data', path.join(dir, 'bad_20240101_x.ndjson.gz')], /bad_20240101_x\.ndjson\.gz:2: trade/],
    ];
    writeFileSync(path.join(dir, 'x.txt'), 'hello');
    writeFileSync(path.join(dir, 'a_trades_1.csv'), 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\nb,B,1,1000,1,buy,10,1\n');
    const bookTicker = '{"stream":"btcusdt@bookTicker","data":{"b":"1","B":"1","a":"2","A":"1"}}';
    writeFileSync(
      path.join(dir, 'bad_20240101_x.ndjson.gz'),
      gzipSync(`1000000 ${bookTicker}\n2000000 {"stream":"btcusdt@trade","data":{"q":"abc","m":true}}\n`),
    );
    for (const [args, message] of cases) {
      const io = capture();
      expect(main(args)).toBe(2);
      expect(io.err()).toMatch(message);
      vi.restoreAllMocks();
    }
  });
});
