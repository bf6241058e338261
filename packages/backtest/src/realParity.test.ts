/**
 * The recorded-books replay decides as the live processes do: every strategy pass it made, re-run
 * through strategies built by `buildStrategies` (what the analysis worker calls) from the same
 * settings, gives the same signals, each valid under the full TradeSignal schema the live queue
 * applies; every decision, re-run through `decideSignal` (what the risk worker calls) on the ledger
 * the replay had, gives the same order request. Both the market-anchored value strategy and pair
 * accumulation, on a few windows of the shipped data.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TradeSignalSchema } from '@polybot/shared';
import { decideSignal, KellySizer, NoTradeGate } from '@polybot/risk';
import { buildStrategies, DEFAULT_STRATEGY, type AccumulatorContext, type StrategyContext } from '@polybot/strategy';
import { minuteSeries } from './modelVsMarket.js';
import { loadWindows, type RecordedWindow } from './polymarketData.js';
import { DEFAULT_FILL_RULE, DEFAULT_REAL_MARKET, REPLAY_GATE, runPairs, runValue, valueSettings, type StrategyRun } from './realMarket.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/polymarket');
const windows = loadWindows(path.join(FIX, 'books.csv.gz'), path.join(FIX, 'outcomes.csv'));
const resolved = windows.filter((w): w is RecordedWindow & { outcome: 'UP' | 'DOWN'; strike: number } => w.outcome !== null && w.strike !== null);
const cfg = { ...DEFAULT_REAL_MARKET, recordInputs: true };
const anchor = { intercept: -0.1, wModel: 0.6, wMarket: 0.9 };

function decisionsAgree(r: StrategyRun) {
  const cores = { gate: new NoTradeGate(REPLAY_GATE), sizer: new KellySizer(cfg.sizer) };
  expect(r.decisions.length).toBeGreaterThan(5);
  for (const d of r.decisions) {
    const again = decideSignal(d.signal, { nowMs: d.nowMs, breakerOpen: false, ledger: structuredClone(d.ledger) }, cores);
    expect(again.accept ? again.request : null).toEqual(d.request);
  }
}

describe('recorded-books replay ↔ live cores parity', () => {
  it('value bets on the anchored fair value: same signals from the worker-built strategy, same orders from decideSignal', () => {
    const r = runValue(resolved, cfg, anchor, 0, minuteSeries(windows), (w) => windows.indexOf(w));
    const live = buildStrategies({ ...valueSettings(anchor, 0), strategy: { ...DEFAULT_STRATEGY, minEdge: 0 } }).value;
    expect(live.config.anchor).toEqual(anchor);
    let signals = 0;
    for (const step of r.steps) {
      const again = live.evaluate(step.context as StrategyContext).signals;
      expect(again).toEqual(step.signals);
      for (const s of again) expect(TradeSignalSchema.parse(s)).toEqual(s);
      signals += again.length;
    }
    expect(signals).toBeGreaterThan(5);
    decisionsAgree(r);
  });

  it('pair accumulation: same bids from the worker-built accumulator, same orders (GTD expiry included) from decideSignal', () => {
    const r = runPairs(
      resolved.filter((w) => w.timeframe === '15m'),
      cfg,
      DEFAULT_FILL_RULE,
      (w) => windows.indexOf(w),
    );
    const live = buildStrategies({ ...valueSettings(null, 0.02), value: 'off', pairs: cfg.pairs }).pairs!;
    expect(live.config).toEqual(cfg.pairs);
    for (const step of r.steps) {
      const again = live.evaluate(step.context as AccumulatorContext).signals;
      expect(again).toEqual(step.signals);
      for (const s of again) expect(TradeSignalSchema.parse(s)).toEqual(s);
    }
    decisionsAgree(r);
    const gtd = r.decisions.find((d) => d.request?.orderType === 'GTD')!;
    expect(gtd.request!.expiresAtMs).toBe(gtd.signal.expiresAtMs);
  });

  it('recording inputs does not change what the replay does', () => {
    const a = runPairs(
      resolved.filter((w) => w.timeframe === '15m'),
      DEFAULT_REAL_MARKET,
      DEFAULT_FILL_RULE,
      (w) => windows.indexOf(w),
    );
    const b = runPairs(
      resolved.filter((w) => w.timeframe === '15m'),
      cfg,
      DEFAULT_FILL_RULE,
      (w) => windows.indexOf(w),
    );
    expect(b.perWindow).toEqual(a.perWindow);
  });
});
