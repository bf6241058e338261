/**
 * What the analysis worker derives from the raw oracle feed before a strategy pass — the TWAP
 * average so far, the spot a few seconds ago, the model's parameters — as plain functions, so the
 * recording replay derives them exactly as the live worker does.
 */
import type { Market } from '@polybot/shared';
import type { JumpParams } from './jumpDiffusionModel.js';
import { DEFAULT_TOXICITY } from './toxicityFilter.js';
import { estimateJumpDiffusion, resample, type Estimate } from './volatilityEstimator.js';

export interface PricePoint {
  timestampMs: number;
  price: number;
}

/** How much oracle history a pass reads (the TWAP window and the spot-move lookback fit in it). */
export const RECENT_MS = 120_000;
/** Calibration reads three hours of oracle history at a 5 s spacing, and is redone once a minute. */
export const CALIBRATION_LOOKBACK_MS = 3 * 3_600_000;
export const CALIBRATION_EVERY_MS = 60_000;
/** The model's parameters until there is enough history to estimate them (annualised σ, jumps per year, log-jump mean/std). */
export const FALLBACK_PARAMS: JumpParams = { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0, jumpStd: 0.004 };
const CALIBRATION_SPACING_MS = 5_000;

/** Average of the settlement feed over the elapsed part of a TWAP window; null outside it or for point settlement. */
export function twapAverageSoFar(market: Market, recent: readonly PricePoint[], nowMs: number): number | null {
  if (market.settlement.kind !== 'twap') return null;
  const from = market.windowEndMs - market.settlement.lookbackSeconds * 1000;
  if (nowMs <= from) return null;
  let sum = 0;
  let n = 0;
  for (const p of recent) {
    if (p.timestampMs > from && p.timestampMs <= nowMs) {
      sum += p.price;
      n++;
    }
  }
  return n ? sum / n : null;
}

/** The last price at least `windowMs` old, for the unabsorbed-move measure. */
export function spotBefore(recent: readonly PricePoint[], nowMs: number, windowMs = DEFAULT_TOXICITY.spotMoveWindowMs): number | null {
  let found: number | null = null;
  for (const p of recent) if (p.timestampMs <= nowMs - windowMs) found = p.price;
  return found;
}

/** Jump-diffusion parameters from oracle history (oldest first), the fallback until there is enough. */
export function calibrateParams(history: readonly PricePoint[], fallback: JumpParams): { params: JumpParams; estimate: Estimate } {
  const estimate = estimateJumpDiffusion(resample(history, CALIBRATION_SPACING_MS), CALIBRATION_SPACING_MS / 1000, fallback);
  return { params: { sigma: estimate.sigma, lambdaPerYear: estimate.lambdaPerYear, jumpMean: estimate.jumpMean, jumpStd: estimate.jumpStd }, estimate };
}
