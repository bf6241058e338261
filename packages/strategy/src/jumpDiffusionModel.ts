/**
 * P(Up) = P(S_T ≥ K) for the Up/Down digital under Merton jump diffusion with log-normal jumps,
 * S a martingale over the window (the jump compensator −λτk keeps it so), and the settlement rule
 * of the market: the point price at the end, or a TWAP over its last `lookback` seconds.
 */
import { normCdf } from './normal.js';

export const YEAR_SECONDS = 365 * 24 * 3600;
const MASS_EPS = 1e-12;
const MAX_TERMS = 200;

export interface JumpParams {
  /** Annualised diffusive volatility (365-day year). */
  sigma: number;
  /** Expected jumps per year. */
  lambdaPerYear: number;
  /** Mean and standard deviation of the log jump. */
  jumpMean: number;
  jumpStd: number;
}

/**
 * The Merton series with general drift r (used by the reference tests; the contract uses r = 0).
 * `variance` is the diffusive variance σ²τ in years; jumps arrive at rate λ over `tau` years with
 * log-size N(m, δ²). Stops once the remaining Poisson mass is below 1e-12 (capped: round-off can
 * stall the mass just below 1). A zero-variance term is the step function of its numerator.
 */
export function mertonProbAbove(logMoneyness: number, variance: number, tau: number, r: number, lambda: number, m: number, delta: number): number {
  const k = Math.exp(m + (delta * delta) / 2) - 1;
  const lt = lambda * tau;
  const base = logMoneyness + r * tau - variance / 2 - lt * k;
  let w = Math.exp(-lt);
  let mass = 0;
  let p = 0;
  for (let n = 0; n < MAX_TERMS; n++) {
    if (n > 0) w *= lt / n;
    const num = base + n * m;
    const v = variance + n * delta * delta;
    // Ties resolve Up: a degenerate term with a zero numerator counts as above.
    const term = v > 0 ? normCdf(num / Math.sqrt(v)) : num >= 0 ? 1 : 0;
    p += w * term;
    mass += w;
    if (1 - mass < MASS_EPS || lt === 0) break;
  }
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

export interface PriceInputs extends JumpParams {
  spot: number;
  strike: number;
  secondsLeft: number;
  /** TWAP lookback in seconds; 0 or absent for point settlement. */
  twapSeconds?: number;
  /** Inside the averaging window: the average of the price over its elapsed part (seconds·price / elapsed). */
  averageSoFar?: number;
}

/** P(Up). Down is exactly 1 − Up. Always in [0, 1], never NaN for finite inputs. */
export function probabilityUp(i: PriceInputs): number {
  const w = i.twapSeconds ?? 0;
  const tauS = Math.max(0, i.secondsLeft);
  if (!(i.spot > 0) || !(i.strike > 0)) return NaN;
  let spot = i.spot;
  let varSeconds: number;
  let jumpScaleMean = 1;
  let jumpScaleSq = 1;
  if (w > 0 && tauS < w) {
    // Inside the averaging window: the settled part is known, the rest moves less.
    const elapsed = w - tauS;
    const avg = i.averageSoFar ?? i.spot;
    spot = (avg * elapsed + tauS * i.spot) / w;
    varSeconds = (tauS * tauS * tauS) / (3 * w * w);
    jumpScaleMean = tauS / (2 * w);
    jumpScaleSq = (tauS * tauS) / (3 * w * w);
  } else if (w > 0) {
    varSeconds = tauS - (2 * w) / 3;
    // A jump inside the last w seconds moves the average by (T − u)/w of its size.
    const f = (tauS - w) / tauS;
    jumpScaleMean = f + (1 - f) / 2;
    jumpScaleSq = f + (1 - f) / 3;
  } else varSeconds = tauS;
  if (tauS === 0) return spot >= i.strike ? 1 : 0;
  const tau = tauS / YEAR_SECONDS;
  return mertonProbAbove(
    Math.log(spot / i.strike),
    (i.sigma * i.sigma * varSeconds) / YEAR_SECONDS,
    tau,
    0,
    i.lambdaPerYear,
    i.jumpMean * jumpScaleMean,
    i.jumpStd * Math.sqrt(jumpScaleSq),
  );
}

export class JumpDiffusionModel {
  constructor(readonly params: JumpParams) {}
  probabilityUp(inputs: Omit<PriceInputs, keyof JumpParams>): number {
    return probabilityUp({ ...this.params, ...inputs });
  }
}
