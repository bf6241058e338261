/** Every shipped price file loads as it is; ticks become minute bars; a bad row names its line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferAsset, loadHistory, ticksToBars } from './loaders.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data');

describe('price-history loaders', () => {
  it.each([
    ['btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz', 45_031],
    ['btc-1m/coinbase-gdax-2016/1Jan2016.json.gz', 1_283],
  ])('reads %s as its rows', (file, rows) => {
    expect(loadHistory(path.join(DATA, file))).toHaveLength(rows);
  });

  it.each([
    'btc-ticks/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv.gz',
    'btc-ticks/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv.gz',
    'btc-l2-raw/binance-spot_btcusdt_20240808_2354-2400.ndjson.gz',
    'btc-l2-raw/binance-usdm_btcusdt_20240808_2354-2400.ndjson.gz',
  ])('turns the ticks of %s into consecutive minute bars', (file) => {
    const bars = loadHistory(path.join(DATA, file));
    expect(bars.length).toBeGreaterThan(2);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.timestampMs).toBeGreaterThan(bars[i - 1]!.timestampMs);
    for (const b of bars) expect(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high).toBe(true);
    expect(bars[0]!.close).toBeGreaterThan(1_000); // BTC in USD, not a size column
  });

  it('aggregates ticks by minute: open first, close last, high and low', () => {
    expect(
      ticksToBars([
        [60_500, 3],
        [1_000, 10],
        [59_000, 12],
        [30_000, 8],
      ]),
    ).toEqual([
      { timestampMs: 0, open: 10, high: 12, low: 8, close: 12 },
      { timestampMs: 60_000, open: 3, high: 3, low: 3, close: 3 },
    ]);
  });

  it('names the file and line of a bad row', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bt-'));
    const f = path.join(dir, 'trades.csv');
    writeFileSync(f, 'timestamp,price\n1582329601096000,9682\n1582329602096000,-1\n');
    expect(() => loadHistory(f)).toThrow(/trades\.csv:3: price/);
  });
});

describe('inferAsset', () => {
  it.each([
    'btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz',
    'btc-1m/coinbase-gdax-2016/1Jan2016.json.gz',
    'btc-ticks/binance-futures_BTCUSDT_trades_2020-02-22_sample.csv.gz',
    'btc-l2-raw/binance-usdm_btcusdt_20240808_2354-2400.ndjson.gz',
  ])('reads BTC from the name of %s', (file) => {
    expect(inferAsset(path.join(DATA, file))).toBe('BTC');
  });

  it('reads the other assets, and says nothing when no name says or a name says two', () => {
    expect(inferAsset('/data/binance_ETHUSDT_trades.csv')).toBe('ETH');
    expect(inferAsset('/data/sol-1m/1Jan2024.json')).toBe('SOL');
    expect(inferAsset('/data/ripple/xrp_perp.csv')).toBe('XRP');
    expect(inferAsset('/data/eth-1m/bars.csv')).toBe('ETH'); // the nearest name wins over nothing
    expect(inferAsset('/data/prices.csv')).toBeNull();
    expect(inferAsset('/data/eth_btc_cross.csv')).toBeNull();
    expect(inferAsset('/data/solution/bitcoinish.csv')).toBeNull(); // words that merely start like a coin
  });
});
