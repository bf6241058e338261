/** Micro-benchmarks for `pnpm bench` (figures come from here, never from unit tests). */
import { probabilityUp } from './jumpDiffusionModel.js';

export function benchPricing(durationMs = 1_000): { evalsPerSec: number; evals: number } {
  let evals = 0;
  let sink = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 10_000; i++) {
      sink += probabilityUp({ spot: 100 + (i % 50) * 0.01, strike: 100, secondsLeft: 60 + (i % 840), sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0.0005, jumpStd: 0.006, twapSeconds: i % 2 ? 60 : 0 });
    }
    evals += 10_000;
    now = performance.now();
  }
  if (sink < 0) throw new Error('unreachable');
  return { evals, evalsPerSec: Math.round(evals / ((now - start) / 1000)) };
}
