import { describe, expect, it } from 'vitest';
import { anchoredProbability, fitAnchor, logit, MARKET_ONLY, sigmoid, type AnchorSample } from './marketAnchor.js';

describe('market-anchored fair value', () => {
  it('pools in log-odds as docs/quant.md §7 states (w 0.3/0.7, model 0.70, market 0.55 → 0.597404)', () => {
    expect(anchoredProbability(0.7, 0.55, { intercept: 0, wModel: 0.3, wMarket: 0.7 })).toBeCloseTo(0.597404, 6);
    expect(anchoredProbability(0.83, 0.41, MARKET_ONLY)).toBeCloseTo(0.41, 12);
    expect(sigmoid(logit(0.25))).toBeCloseTo(0.25, 12);
  });

  it('recovers the weights that generated the outcomes (maximum likelihood)', () => {
    // Deterministic pseudo-random samples from a known pool.
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const truth = { intercept: 0.1, wModel: 0.4, wMarket: 0.8 };
    const samples: AnchorSample[] = [];
    for (let i = 0; i < 20_000; i++) {
      const pMarket = 0.05 + 0.9 * rnd();
      const pModel = sigmoid(logit(pMarket) + (rnd() - 0.5) * 2);
      const q = anchoredProbability(pModel, pMarket, truth);
      samples.push({ pModel, pMarket, y: rnd() < q ? 1 : 0 });
    }
    const fit = fitAnchor(samples);
    expect(fit.wModel).toBeCloseTo(truth.wModel, 1);
    expect(fit.wMarket).toBeCloseTo(truth.wMarket, 1);
    expect(fit.intercept).toBeCloseTo(truth.intercept, 1);
  });

  it('stays at the market with too few samples', () => {
    const fit = fitAnchor([{ pModel: 0.9, pMarket: 0.5, y: 1 }]);
    expect({ a: fit.intercept, m: fit.wModel, k: fit.wMarket }).toEqual({ a: 0, m: 0, k: 1 });
  });
});
