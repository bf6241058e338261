/**
 * The backtest reads the same config file as the live workers (`polybot backtest --config
 * polybot.config.yaml`), with the environment over it exactly as live reads it, so a configuration
 * tested here runs live unchanged: strategy.minEdge and strategy.toxicity, risk.bankrollUsd,
 * kellyFraction, maxOrderUsd and the breaker rules, plus the backtest-only section (latency, steps,
 * TWAP, seed, book model).
 */
import path from 'node:path';
import { resolveSettings, SETTINGS, type Env } from '@polybot/shared/settings';
import type { ToxicityConfig } from '@polybot/strategy';
import type { BookModelConfig } from './bookModel.js';
import type { BacktestConfig } from './engine.js';

/** True for a parsed file in the config file's shape (its sections) rather than the backtest's own flat keys. */
export function isPolybotConfigObject(obj: unknown): boolean {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return false;
  return Object.keys(obj).some(
    (k) => k in SETTINGS && !['minEdge', 'kellyFraction', 'bankrollUsd', 'maxOrderUsd', 'latencyMs', 'breaker', 'stepMinutes', 'book'].includes(k),
  );
}

export const isYamlFile = (file: string): boolean => /\.ya?ml$/i.test(file);

export type SharedBacktestSettings = Pick<
  BacktestConfig,
  'minEdge' | 'kellyFraction' | 'bankrollUsd' | 'maxOrderUsd' | 'latencyMs' | 'stepMinutes' | 'twapSeconds' | 'seed' | 'breaker'
> & {
  book: Partial<BookModelConfig>;
  toxicity: ToxicityConfig;
};

/** The backtest's settings from a config file (and the environment over it). Throws CONFIG_INVALID naming every bad field. */
export function backtestSettingsFromFile(file: string, env: Env = process.env): SharedBacktestSettings {
  const { values: v } = resolveSettings({ ...env, POLYBOT_CONFIG: path.resolve(file) });
  const n = (key: string) => v[key] as number;
  const toxicity = Object.fromEntries(Object.keys(SETTINGS.strategy.toxicity).map((k) => [k, n(`strategy.toxicity.${k}`)])) as unknown as ToxicityConfig;
  const book = Object.fromEntries(Object.keys(SETTINGS.backtest.book).map((k) => [k, n(`backtest.book.${k}`)])) as Partial<BookModelConfig>;
  return {
    minEdge: n('strategy.minEdge'),
    kellyFraction: n('risk.kellyFraction'),
    bankrollUsd: n('risk.bankrollUsd'),
    maxOrderUsd: n('risk.maxOrderUsd'),
    latencyMs: n('backtest.latencyMs'),
    stepMinutes: v['backtest.stepMinutes'] as number[],
    twapSeconds: n('backtest.twapSeconds'),
    seed: n('backtest.seed'),
    breaker: { maxDailyLossUsd: n('risk.maxDailyLossUsd'), maxConsecutiveLosses: n('risk.maxConsecutiveLosses'), cooldownMs: n('risk.cooldownMs') },
    book,
    toxicity,
  };
}
