/**
 * The CLI end to end on a shipped file: `main(argv)` as `pnpm backtest` calls it. Checks what the
 * unit tests cannot: the report a trader opens is the same bytes on a re-run (but the run time),
 * `--json` carries the agreed keys and agrees with the report, and bad inputs exit 2 with a message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli/backtest.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(HERE, '../../../../shared/data');
const COINBASE = path.join(DATA, 'btc-1m/coinbase-gdax-2016/1Jan2016.json');
const QUOTES = path.join(DATA, 'btc-ticks/binance-futures_BTCUSDT_quotes_2020-02-22_sample.csv');

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

  it('--recording replays the sim-made fixture and settles on the recorded resolutions', () => {
    const fixture = path.resolve(HERE, '../fixtures/sim-recording.ndjson.gz');
    expect(main(['--recording', fixture, '--json'])).toBe(0);
    const j = JSON.parse(out.join('')) as { invalidLines: number; settled: number; trades: number };
    expect(j.invalidLines).toBe(0);
    expect(j.settled).toBeGreaterThan(0);
    expect(j.trades).toBeGreaterThan(0);
  });
});
