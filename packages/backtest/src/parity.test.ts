/**
 * The backtest and the live pipeline decide alike because they share the cores: every strategy pass
 * the replay made, re-run through fresh instances of the classes the analysis and risk workers use
 * (imported from their packages, not from the backtest), gives the same signals, the same gate
 * verdicts and the same sizes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValueBettingStrategy, minuteCloses } from '@polybot/strategy';
import { KellySizer, NoTradeGate } from '@polybot/risk';
import { DEFAULT_BACKTEST, coresFor, runBacktest } from './engine.js';
import { loadHistory } from './loaders.js';

const FTX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv');

describe('backtest ↔ live cores parity', () => {
  // Three days of real bars: a day of lookback, two days of windows.
  const { startMs, closes } = minuteCloses(loadHistory(FTX).slice(0, 3 * 1440));
  const cfg = { ...DEFAULT_BACKTEST, recordInputs: true };
  const r = runBacktest(closes, startMs, cfg);
  const live = coresFor(cfg);

  it('uses the live classes themselves', () => {
    expect(live.strategy).toBeInstanceOf(ValueBettingStrategy);
    expect(live.gate).toBeInstanceOf(NoTradeGate);
    expect(live.sizer).toBeInstanceOf(KellySizer);
    expect(r.decisions.length).toBeGreaterThan(10);
  });

  it('same inputs → same signals on every strategy pass', () => {
    const strategy = new ValueBettingStrategy(live.strategyConfig);
    expect(r.steps.length).toBeGreaterThan(500);
    for (const step of r.steps) expect(strategy.evaluate(step.context).signals.map((s) => s.id)).toEqual(step.signalIds);
  });

  it('same signals → same gate verdict and the same size, to the share', () => {
    const strategy = new ValueBettingStrategy(live.strategyConfig);
    const gate = new NoTradeGate(live.gateConfig);
    const sizer = new KellySizer(live.sizerConfig);
    for (const d of r.decisions) {
      const i = d.inputs!;
      const signal = strategy.evaluate(i.context).signals.find((s) => s.id === d.signal.id);
      expect(signal).toEqual(d.signal);
      const verdict = gate.validate(signal!, { nowMs: i.nowMs, breakerOpen: false });
      if (!verdict.pass) throw new Error(`gate refused ${d.signal.id}: ${verdict.reasons.join(', ')}`);
      expect(verdict.shrink).toBe(i.shrink);
      expect(sizer.size(signal!, i.bankrollUsd, i.exposure, verdict.shrink).shares).toBe(d.shares);
    }
  });

  it('recording inputs does not change what the replay does', () => {
    const plain = runBacktest(closes, startMs, DEFAULT_BACKTEST);
    expect(plain.trades).toEqual(r.trades);
    expect(plain.pnl).toBe(r.pnl);
  });
});
