/**
 * The CLI end to end on a shipped file: `main(argv)` as `pnpm backtest` calls it. Checks what the
 * unit tests cannot: the report a trader opens is the same bytes on a re-run (but the run time),
 * `--json` carries the agreed keys and agrees with the report, and bad inputs exit 2 with a message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli/backtest.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(HERE, '../../../data');
const COINBASE = path.join(DATA, 'btc-1m/coinbase-gdax-2016/1Jan2016.json.gz');
const QUOTES = path.join(DATA, 'btc-ticks/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv.gz');

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const dropRunTime = (html: string) => html.replace(/generated [^<]*/, 'generated <run time>');

describe('pnpm backtest (main)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bt-cli-'));

  it('writes the same HTML report twice for the same inputs and seed, except the run time', () => {
    const a = path.join(dir, 'a.html');
    const b = path.join(dir, 'b.html');
    expect(main(['--data', COINBASE, '--seed', '3', '--report', a])).toBe(0);
    expect(main(['--data', COINBASE, '--seed', '3', '--report', b])).toBe(0);
    const ha = readFileSync(a, 'utf8');
    expect(ha).toMatch(/<svg/);
    expect(ha).not.toMatch(/<script[^>]*src=|<link[^>]*href=|https?:\/\/(?!www\.w3\.org)/); // opens offline
    expect(dropRunTime(ha)).toBe(dropRunTime(readFileSync(b, 'utf8')));
  });

  it('--json prints one object with the agreed numbers on stdout, and they match the terminal summary', () => {
    expect(main(['--data', COINBASE, '--json'])).toBe(0);
    const j = JSON.parse(out.join('')) as Record<string, number>;
    for (const k of ['windows', 'trades', 'pnl', 'fees', 'maxDrawdown', 'brier']) expect(typeof j[k], k).toBe('number');
    expect(j.windows).toBeGreaterThan(0);
    out.length = 0;
    expect(main(['--data', COINBASE])).toBe(0);
    const text = out.join('');
    expect(text).toContain(`windows ${j.windows}, trades ${j.trades}`);
    expect(text).toContain(`PnL after fees $${j.pnl!.toFixed(2)} (fees $${j.fees!.toFixed(2)})`);
    expect(text).toContain(`Brier score of the model against outcomes ${j.brier!.toFixed(4)}`);
  });

  it('a different seed moves the noisy maker, so the trades differ', () => {
    main(['--data', COINBASE, '--json', '--seed', '1']);
    const a = JSON.parse(out.join('')) as { pnl: number; trades: number };
    out.length = 0;
    main(['--data', COINBASE, '--json', '--seed', '2']);
    const b = JSON.parse(out.join('')) as { pnl: number; trades: number };
    expect([a.pnl, a.trades]).not.toEqual([b.pnl, b.trades]);
  });

  it('--from/--to narrow the replay to fewer windows', () => {
    main(['--data', COINBASE, '--json']);
    const all = JSON.parse(out.join('')) as { windows: number };
    out.length = 0;
    expect(main(['--data', COINBASE, '--json', '--to', '2016-01-01T12:00:00Z'])).toBe(0);
    const half = JSON.parse(out.join('')) as { windows: number };
    expect(half.windows).toBeGreaterThan(0);
    expect(half.windows).toBeLessThan(all.windows);
  });

  it('a config file overrides the book model, and a bad one is refused with the field named', () => {
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ book: { noiseSd: 0, lagSteps: 0 } }));
    expect(main(['--data', COINBASE, '--json', '--config', good])).toBe(0);
    expect((JSON.parse(out.join('')) as { bookModel: { noiseSd: number } }).bookModel.noiseSd).toBe(0);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ minEdge: -1 }));
    expect(main(['--data', COINBASE, '--config', bad])).toBe(2);
    expect(err.join('')).toMatch(/minEdge/);
  });

  it('exits 2 with a message, not a stack, when --data is missing or the file is too short', () => {
    expect(main([])).toBe(2);
    expect(err.join('')).toMatch(/--data/);
    err.length = 0;
    expect(main(['--data', QUOTES])).toBe(2);
    expect(err.join('')).toMatch(/bars/);
    err.length = 0;
    expect(main(['--data', path.join(dir, 'nope.csv')])).toBe(2);
    expect(err.join('').length).toBeGreaterThan(0);
  });

  it('--asset labels the price history, and a name that says another asset or an unknown asset is refused', () => {
    const report = path.join(dir, 'btc.html');
    expect(main(['--data', COINBASE, '--asset', 'btc', '--json', '--report', report])).toBe(0);
    expect((JSON.parse(out.join('')) as { asset: string }).asset).toBe('BTC');
    expect(readFileSync(report, 'utf8')).toContain('&quot;asset&quot;: &quot;BTC&quot;');
    expect(main(['--data', COINBASE, '--asset', 'ETH'])).toBe(2);
    expect(err.join('')).toMatch(/holds BTC prices/);
    err.length = 0;
    expect(main(['--data', COINBASE, '--asset', 'DOGE'])).toBe(2);
    expect(err.join('')).toMatch(/BTC, ETH, SOL, XRP/);
  });

  it('refuses a seed, TWAP or latency flag that is not a number in range, naming the flag', () => {
    for (const [flag, value] of [
      ['--seed', 'abc'],
      ['--twap=-5', null],
      ['--latency', '1.5'],
      ['--latency', '700000'],
    ] as const) {
      err.length = 0;
      expect(main(['--data', COINBASE, ...(value === null ? [flag] : [flag, value])]), `${flag} ${value}`).toBe(2);
      expect(err.join('')).toContain(flag.split('=')[0]);
    }
  });
});

describe('pnpm backtest --recording (main)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bt-cli-rec-'));
  const fixture = path.resolve(HERE, '../fixtures/sim-recording.ndjson.gz');

  it('--json --report: the agreed keys on stdout, the report file, and the terminal summary says the same', () => {
    const report = path.join(dir, 'rec.html');
    expect(main(['--recording', fixture, '--json', '--report', report])).toBe(0);
    const j = JSON.parse(out.join('')) as Record<string, number>;
    for (const k of [
      'windows',
      'trades',
      'pnl',
      'fees',
      'maxDrawdown',
      'brier',
      'hitRate',
      'sharpePerWindow',
      'markets',
      'settled',
      'unsettled',
      'invalidLines',
    ])
      expect(typeof j[k], k).toBe('number');
    expect(j.invalidLines).toBe(0);
    expect(j.settled).toBeGreaterThan(0);
    expect(j.windows).toBe(j.settled);
    expect(j.markets).toBe(j.settled! + j.unsettled!);
    expect(j.trades).toBeGreaterThan(0);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain(`Recorded books from ${fixture}`);
    expect(html).toContain(`PnL after fees<b>$${j.pnl!.toFixed(2)}</b>`);
    expect(html).not.toMatch(/<script[^>]*src=|<link[^>]*href=|https?:\/\/(?!www\.w3\.org)/);
    out.length = 0;
    expect(main(['--recording', fixture])).toBe(0);
    const text = out.join('');
    expect(text).toContain(`${j.markets} markets (BTC), ${j.settled} settled, ${j.unsettled} unsettled`);
    expect(text).toContain(`windows ${j.windows}, trades ${j.trades}`);
    expect(text).toContain(`PnL after fees $${j.pnl!.toFixed(2)} (fees $${j.fees!.toFixed(2)}), max drawdown $${j.maxDrawdown!.toFixed(2)}`);
    expect(text).toContain(`Brier score of the model against outcomes ${j.brier!.toFixed(4)}`);
  });

  it('writes the same report twice, except the run time', () => {
    const [a, b] = [path.join(dir, 'a.html'), path.join(dir, 'b.html')];
    expect(main(['--recording', fixture, '--report', a])).toBe(0);
    expect(main(['--recording', fixture, '--report', b])).toBe(0);
    expect(dropRunTime(readFileSync(a, 'utf8'))).toBe(dropRunTime(readFileSync(b, 'utf8')));
  });

  it('counts invalid lines and replays the rest', () => {
    const dirty = path.join(dir, 'dirty.ndjson.gz');
    writeFileSync(dirty, gzipSync(Buffer.concat([gunzipSync(readFileSync(fixture)), Buffer.from('not json\n{"type":"book","t":1}\n')])));
    expect(main(['--recording', dirty, '--json'])).toBe(0);
    const j = JSON.parse(out.join('')) as { invalidLines: number; trades: number };
    expect(j.invalidLines).toBe(2);
    expect(j.trades).toBeGreaterThan(0);
  });

  it('--asset keeps that asset, and an asset the recording does not hold is a clear error', () => {
    expect(main(['--recording', fixture, '--asset', 'BTC', '--json'])).toBe(0);
    expect((JSON.parse(out.join('')) as { markets: number }).markets).toBeGreaterThan(0);
    expect(main(['--recording', fixture, '--asset', 'ETH'])).toBe(2);
    expect(err.join('')).toMatch(/no ETH markets .*holds BTC/);
    err.length = 0;
    expect(main(['--recording', fixture, '--asset', 'DOGE'])).toBe(2);
    expect(err.join('')).toMatch(/--asset DOGE/);
  });

  it('--from/--to narrow the markets; a period with none, bad dates and options that do not apply exit 2', () => {
    main(['--recording', fixture, '--json']);
    const all = JSON.parse(out.join('')) as { markets: number };
    out.length = 0;
    expect(main(['--recording', fixture, '--json', '--to', '2026-11-24T17:43:00Z'])).toBe(0);
    const some = JSON.parse(out.join('')) as { markets: number };
    expect(some.markets).toBeGreaterThan(0);
    expect(some.markets).toBeLessThan(all.markets);
    const refused: string[][] = [
      ['--from', '2030-01-01T00:00:00Z'],
      ['--from', 'yesterday'],
      ['--from', '2026-11-24T03:00:00Z', '--to', '2026-11-24T02:00:00Z'],
      ['--sweep'],
      ['--seed', '3'],
      ['--twap', '60'],
      ['--data', COINBASE],
      ['--bogus'],
    ];
    for (const extra of refused) {
      err.length = 0;
      expect(main(['--recording', fixture, ...extra]), extra.join(' ')).toBe(2);
      expect(err.join(''), extra.join(' ')).toMatch(/^pnpm backtest: /);
    }
    expect(main(['--recording', path.join(dir, 'missing.ndjson.gz')])).toBe(2);
    const notGzip = path.join(dir, 'plain.ndjson.gz');
    writeFileSync(notGzip, '{"type":"market"}\n');
    expect(main(['--recording', notGzip])).toBe(2);
  });

  it('a config file sets the edge and sizing, and refuses book-model fields', () => {
    main(['--recording', fixture, '--json']);
    const loose = JSON.parse(out.join('')) as { trades: number };
    out.length = 0;
    const strict = path.join(dir, 'strict.json');
    writeFileSync(strict, JSON.stringify({ minEdge: 0.5 }));
    expect(main(['--recording', fixture, '--json', '--config', strict])).toBe(0);
    expect((JSON.parse(out.join('')) as { trades: number }).trades).toBeLessThan(loose.trades);
    const book = path.join(dir, 'book.json');
    writeFileSync(book, JSON.stringify({ book: { lagSteps: 0 } }));
    expect(main(['--recording', fixture, '--config', book])).toBe(2);
    expect(err.join('')).toMatch(/recorded/);
  });
});
