/**
 * A fair value anchored on the market (docs/quant.md §7, logit pooling): the model's P(Up) and the
 * market's mid combined in log-odds,
 *
 *   q = σ(a + wModel·logit(pModel) + wMarket·logit(pMarket)),
 *
 * the weights fitted by maximum likelihood (logistic regression) on earlier windows only. A fitted
 * wModel near 0 says the model adds nothing the market does not already know. Pure.
 */

export interface AnchorWeights {
  intercept: number;
  wModel: number;
  wMarket: number;
}

/** The market's own price, unchanged: what a fit returns when it has nothing to learn from. */
export const MARKET_ONLY: AnchorWeights = { intercept: 0, wModel: 0, wMarket: 1 };

/** Probabilities are clamped to [1e-6, 1 − 1e-6] before any logarithm (a book at 0.001 or a model at 0 stays finite). */
export const P_CLAMP = 1e-6;

export const clampProbability = (p: number): number => Math.min(1 - P_CLAMP, Math.max(P_CLAMP, p));

export function logit(p: number): number {
  const q = clampProbability(p);
  return Math.log(q / (1 - q));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** q from the model's P(Up) and the market's, by the weights. */
export function anchoredProbability(pModel: number, pMarket: number, w: AnchorWeights): number {
  return sigmoid(w.intercept + w.wModel * logit(pModel) + w.wMarket * logit(pMarket));
}

export interface AnchorSample {
  pModel: number;
  pMarket: number;
  y: 0 | 1;
}

export interface AnchorFit extends AnchorWeights {
  /** Samples fitted. */
  n: number;
  /** Mean log loss of the fitted q on the samples. */
  logLoss: number;
  iterations: number;
}

/** Solves the 3×3 system A·x = b by Gaussian elimination with partial pivoting; null if singular. */
function solve3(a: number[][], b: number[]): number[] | null {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-12) return null;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < 3; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = m[r]![3]!;
    for (let k = r + 1; k < 3; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Maximum-likelihood logistic regression of the outcome on [1, logit(pModel), logit(pMarket)] by
 * Newton's method, with a small ridge penalty pulling the weights toward MARKET_ONLY (so a fit on
 * few or collinear samples stays at the market instead of diverging). Fewer than 10 samples: MARKET_ONLY.
 */
export function fitAnchor(samples: readonly AnchorSample[], ridge = 1e-3, maxIterations = 50): AnchorFit {
  const xs = samples.map((s) => [1, logit(s.pModel), logit(s.pMarket)] as const);
  const prior = [MARKET_ONLY.intercept, MARKET_ONLY.wModel, MARKET_ONLY.wMarket];
  let beta = [...prior];
  const lossOf = (b: number[]) => {
    let l = 0;
    samples.forEach((s, i) => {
      const x = xs[i]!;
      const q = clampProbability(sigmoid(b[0]! * x[0] + b[1]! * x[1] + b[2]! * x[2]));
      l -= s.y * Math.log(q) + (1 - s.y) * Math.log(1 - q);
    });
    return samples.length ? l / samples.length : NaN;
  };
  let iterations = 0;
  if (samples.length >= 10) {
    const n = samples.length;
    for (; iterations < maxIterations; iterations++) {
      const g = [0, 0, 0];
      const h = [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ];
      samples.forEach((s, i) => {
        const x = xs[i]!;
        const q = sigmoid(beta[0]! * x[0] + beta[1]! * x[1] + beta[2]! * x[2]);
        const wgt = q * (1 - q);
        for (let a = 0; a < 3; a++) {
          g[a]! += (q - s.y) * x[a]!;
          for (let b = 0; b < 3; b++) h[a]![b]! += wgt * x[a]! * x[b]!;
        }
      });
      for (let a = 0; a < 3; a++) {
        g[a] = g[a]! / n + ridge * (beta[a]! - prior[a]!);
        for (let b = 0; b < 3; b++) h[a]![b] = h[a]![b]! / n + (a === b ? ridge : 0);
      }
      const step = solve3(h, g);
      if (!step) break;
      beta = beta.map((v, a) => v - step[a]!);
      if (Math.max(...step.map(Math.abs)) < 1e-9) {
        iterations++;
        break;
      }
    }
  }
  return { intercept: beta[0]!, wModel: beta[1]!, wMarket: beta[2]!, n: samples.length, logLoss: lossOf(beta), iterations };
}
