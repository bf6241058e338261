/**
 * The backtest and the live pipeline decide alike because they share the cores: every strategy pass
 * the replay made, re-run through a fresh instance of the class the analysis worker uses, gives the
 * same signals, each of which the live queue boundary accepts (the full TradeSignal schema); every
 * decision, re-run through `decideSignal` — the function the risk worker calls — on the ledger and
 * breaker state the replay had, gives the same order, to the share. (`pipeline.test.ts` sends the
 * same signals through the real risk worker process.)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TradeSignalSchema } from '@polybot/shared';
import { ValueBettingStrategy, minuteCloses } from '@polybot/strategy';
import { decideSignal, KellySizer, NoTradeGate } from '@polybot/risk';
import { DEFAULT_BACKTEST, coresFor, runBacktest } from './engine.js';
import { loadHistory } from './loaders.js';

const FTX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz');

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

  it('same inputs → same signals on every strategy pass, all valid at the live queue boundary', () => {
    const strategy = new ValueBettingStrategy(live.strategyConfig);
    expect(r.steps.length).toBeGreaterThan(500);
    let signals = 0;
    for (const step of r.steps) {
      const again = strategy.evaluate(step.context).signals;
      expect(again).toEqual(step.signals);
      for (const s of again) expect(TradeSignalSchema.parse(s)).toEqual(s);
      signals += again.length;
    }
    expect(signals).toBeGreaterThan(r.decisions.length);
  });

  it('same signal, ledger and breaker → the same order from decideSignal, to the share', () => {
    const cores = { gate: new NoTradeGate(live.gateConfig), sizer: new KellySizer(live.sizerConfig) };
    for (const d of r.decisions) {
      const i = d.inputs!;
      const again = decideSignal(d.signal, { nowMs: i.nowMs, breakerOpen: i.breakerOpen, ledger: structuredClone(i.ledger) }, cores);
      if (!again.accept) throw new Error(`refused ${d.signal.id}: ${again.reasons.join(', ')}`);
      expect(again.request.size).toBe(d.shares);
      expect(again.request.price).toBe(d.signal.limitPrice);
    }
  });

  it('recording inputs does not change what the replay does', () => {
    const plain = runBacktest(closes, startMs, DEFAULT_BACKTEST);
    expect(plain.trades).toEqual(r.trades);
    expect(plain.pnl).toBe(r.pnl);
  });
});
