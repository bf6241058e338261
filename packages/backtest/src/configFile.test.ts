/**
 * The backtest reads the live config file: its defaults are the engine's and the live cores', and
 * a run configured by the YAML file is the run configured by the same numbers in the backtest's
 * own JSON keys.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveSettings } from '@polybot/shared/settings';
import { CALIBRATION_EVERY_MS, DEFAULT_STRATEGY, DEFAULT_TOXICITY, FALLBACK_PARAMS } from '@polybot/strategy';
import { DEFAULT_BOOK_MODEL } from './bookModel.js';
import { main } from './cli/backtest.js';
import { DEFAULT_BACKTEST } from './engine.js';
import { backtestSettingsFromFile } from './configFile.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const COINBASE = path.resolve(HERE, '../../../data/btc-1m/coinbase-gdax-2016/1Jan2016.json.gz');
const dir = mkdtempSync(path.join(tmpdir(), 'bt-shared-'));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('the backtest and the config file', () => {
  it('an empty config file gives the backtest’s defaults, the live strategy’s and the live toxicity thresholds', () => {
    const s = backtestSettingsFromFile(write('empty.yaml', '# nothing\n'), {});
    const { tickSize: _tick, ...book } = DEFAULT_BOOK_MODEL;
    expect(s).toEqual({
      minEdge: DEFAULT_BACKTEST.minEdge,
      kellyFraction: DEFAULT_BACKTEST.kellyFraction,
      bankrollUsd: DEFAULT_BACKTEST.bankrollUsd,
      maxOrderUsd: DEFAULT_BACKTEST.maxOrderUsd,
      latencyMs: DEFAULT_BACKTEST.latencyMs,
      stepMinutes: DEFAULT_BACKTEST.stepMinutes,
      twapSeconds: DEFAULT_BACKTEST.twapSeconds,
      seed: DEFAULT_BACKTEST.seed,
      breaker: DEFAULT_BACKTEST.breaker,
      book,
      toxicity: DEFAULT_TOXICITY,
    });
    const v = resolveSettings({}, { cwd: dir }).values;
    expect(v['strategy.minEdge']).toBe(DEFAULT_STRATEGY.minEdge);
    expect(v['strategy.slotMs']).toBe(DEFAULT_STRATEGY.slotMs);
    expect(v['strategy.maxOracleAgeMs']).toBe(DEFAULT_STRATEGY.maxOracleAgeMs);
    expect(v['strategy.calibrationMs']).toBe(CALIBRATION_EVERY_MS);
    expect(v['strategy.defaultSigma']).toBe(FALLBACK_PARAMS.sigma);
    expect(v['strategy.defaultLambdaPerYear']).toBe(FALLBACK_PARAMS.lambdaPerYear);
    expect(v['strategy.defaultJumpStd']).toBe(FALLBACK_PARAMS.jumpStd);
  });

  it('runs the same with the live YAML file as with the same numbers in the backtest’s JSON keys', () => {
    const yaml = write(
      'live.yaml',
      'strategy:\n  minEdge: 0.05\nrisk:\n  maxOrderUsd: 10\n  kellyFraction: 0.5\n  maxDailyLossUsd: 40\nbacktest:\n  latencyMs: 2000\n',
    );
    const json = write('bt.json', JSON.stringify({ minEdge: 0.05, maxOrderUsd: 10, kellyFraction: 0.5, latencyMs: 2000, breaker: { maxDailyLossUsd: 40 } }));
    expect(main(['--data', COINBASE, '--config', yaml, '--json'])).toBe(0);
    const a = JSON.parse(out.join('')) as Record<string, unknown>;
    out.length = 0;
    expect(main(['--data', COINBASE, '--config', json, '--json'])).toBe(0);
    const b = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(a).toEqual(b);
    out.length = 0;
    expect(main(['--data', COINBASE, '--json'])).toBe(0);
    expect(JSON.parse(out.join(''))).not.toEqual(a); // the file changed the run
  });

  it('names the bad fields of the file and exits 2', () => {
    const bad = write('bad.yaml', 'risk:\n  maxOrderUsd: -1\nstrategy:\n  minEdgee: 0.1\n');
    expect(main(['--data', COINBASE, '--config', bad])).toBe(2);
    const msg = err.join('');
    expect(msg).toMatch(/risk\.maxOrderUsd \(RISK_MAX_ORDER_USD\)/);
    expect(msg).toMatch(/strategy\.minEdgee: unknown field/);
  });
});
