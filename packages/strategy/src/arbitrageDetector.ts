/**
 * Up + Down pays exactly 1 at resolution. Buying both at asks a and b is an arbitrage when
 * a + b + fee(a) + fee(b) < 1 (taker fee rate·p(1−p) per share). Both books are walked together;
 * the size is the largest that stays profitable pair by pair, within depth, minimums and the grid.
 * Rare on the real venue (the exchange mints and merges complementary orders): it must be right,
 * not frequent.
 */
import { floorToStep, isValidPrice, SIZE_STEP, takerFeePerShare, type BookLevel, type FeeSchedule } from '@polybot/shared';

export interface ArbLeg {
  outcome: 'UP' | 'DOWN';
  /** Worst price touched: the leg's FOK limit. */
  limitPrice: number;
  vwap: number;
  shares: number;
  /**
   * If this leg fills and the other does not: `sell` it back at the bid, or `hold` it and buy the
   * other side at its ask to complete the pair, whichever loses less at the current book.
   */
  onLoneFill: 'sell' | 'hold';
  loneFillLossPerShare: number;
}

export interface BuyBothArb {
  kind: 'buy_both';
  shares: number;
  /** Cost per pair including both taker fees (volume-weighted). */
  costPerPair: number;
  /** Guaranteed profit after fees if both legs fill (pUSD). */
  guaranteedProfit: number;
  legs: [ArbLeg, ArbLeg];
}

export interface SellBothArb {
  kind: 'sell_both';
  shares: number;
  proceedsPerPair: number;
  guaranteedProfit: number;
}

export interface ArbConstraints {
  tickSize: number;
  /** Minimum shares per leg (5 on the crypto markets). */
  minShares: number;
  /** Minimum notional of a marketable order ($1). */
  minNotional: number;
}

/**
 * A leg that filled alone: sell it back at its bid (paying the fee), or hold it and buy the other
 * side at its ask so the pair pays 1 — whichever loses less per share at the current book.
 */
export function loneFillRule(paidPerShare: number, ownBid: number | undefined, otherAsk: number | undefined, fee: Pick<FeeSchedule, 'rate' | 'exponent'>) {
  const sellLoss = ownBid === undefined ? Infinity : paidPerShare - (ownBid - takerFeePerShare(ownBid, fee));
  const holdLoss = otherAsk === undefined ? Infinity : paidPerShare + otherAsk + takerFeePerShare(otherAsk, fee) - 1;
  return { action: sellLoss <= holdLoss ? ('sell' as const) : ('hold' as const), lossPerShare: Math.min(sellLoss, holdLoss) };
}

const DEFAULTS: ArbConstraints = { tickSize: 0.01, minShares: 5, minNotional: 1 };

function walkPairs(
  a: readonly BookLevel[],
  b: readonly BookLevel[],
  unit: (pa: number, pb: number) => number,
): { shares: number; aValue: number; bValue: number; total: number; aWorst: number; bWorst: number } {
  let i = 0;
  let j = 0;
  let leftA = a[0]?.size ?? 0;
  let leftB = b[0]?.size ?? 0;
  let shares = 0;
  let aValue = 0;
  let bValue = 0;
  let total = 0;
  let aWorst = 0;
  let bWorst = 0;
  while (i < a.length && j < b.length) {
    const pa = a[i]!.price;
    const pb = b[j]!.price;
    const u = unit(pa, pb);
    if (!(u > 0)) break;
    const q = Math.min(leftA, leftB);
    shares += q;
    aValue += q * pa;
    bValue += q * pb;
    total += q * u;
    aWorst = pa;
    bWorst = pb;
    leftA -= q;
    leftB -= q;
    if (leftA <= 1e-9 && ++i < a.length) leftA = a[i]!.size;
    if (leftB <= 1e-9 && ++j < b.length) leftB = b[j]!.size;
  }
  return { shares, aValue, bValue, total, aWorst, bWorst };
}

export class ArbitrageDetector {
  constructor(
    private readonly fee: Pick<FeeSchedule, 'rate' | 'exponent'>,
    private readonly limits: ArbConstraints = DEFAULTS,
  ) {}

  private f(p: number): number {
    return takerFeePerShare(p, this.fee);
  }

  /** Both asks (best first). Null when no pair is profitable within the constraints. */
  buyBoth(
    upAsks: readonly BookLevel[],
    downAsks: readonly BookLevel[],
    upBids: readonly BookLevel[] = [],
    downBids: readonly BookLevel[] = [],
  ): BuyBothArb | null {
    const walked = walkPairs(upAsks, downAsks, (a, b) => 1 - (a + b + this.f(a) + this.f(b)));
    const shares = floorToStep(walked.shares, SIZE_STEP);
    if (shares < this.limits.minShares || walked.shares <= 0) return null;
    const vwapUp = walked.aValue / walked.shares;
    const vwapDown = walked.bValue / walked.shares;
    if (shares * vwapUp < this.limits.minNotional || shares * vwapDown < this.limits.minNotional) return null;
    // A limit off the market's tick grid would be refused by the venue: no pair rather than a bad leg.
    if (!isValidPrice(walked.aWorst, this.limits.tickSize) || !isValidPrice(walked.bWorst, this.limits.tickSize)) return null;
    // Profit per pair is averaged over the walk; scale to the rounded size (flooring drops the worst
    // shares, so the true profit is at least this).
    const profitPerPair = walked.total / walked.shares;
    const guaranteedProfit = Number((profitPerPair * shares).toFixed(6));
    if (!(guaranteedProfit > 0)) return null;
    // A leg that fills alone is a naked position. Either sell it back at its bid (paying the
    // fee), or hold it and complete the pair by buying the other side at its current ask (then the
    // pair pays 1 at resolution). Whichever loses less at the current book.
    const leg = (outcome: 'UP' | 'DOWN', vwap: number, worst: number, ownBids: readonly BookLevel[], otherAsks: readonly BookLevel[]): ArbLeg => {
      const rule = loneFillRule(vwap + this.f(vwap), ownBids[0]?.price, otherAsks[0]?.price, this.fee);
      return { outcome, limitPrice: worst, vwap, shares, onLoneFill: rule.action, loneFillLossPerShare: rule.lossPerShare };
    };
    return {
      kind: 'buy_both',
      shares,
      costPerPair: 1 - profitPerPair,
      guaranteedProfit,
      legs: [leg('UP', vwapUp, walked.aWorst, upBids, downAsks), leg('DOWN', vwapDown, walked.bWorst, downBids, upAsks)],
    };
  }

  /** Both bids above 1 plus fees: for inventory already held (or a fresh split). */
  sellBoth(upBids: readonly BookLevel[], downBids: readonly BookLevel[]): SellBothArb | null {
    const walked = walkPairs(upBids, downBids, (a, b) => a + b - this.f(a) - this.f(b) - 1);
    const shares = floorToStep(walked.shares, SIZE_STEP);
    if (shares < this.limits.minShares || walked.shares <= 0) return null;
    const profitPerPair = walked.total / walked.shares;
    return { kind: 'sell_both', shares, proceedsPerPair: 1 + profitPerPair, guaranteedProfit: Number((profitPerPair * shares).toFixed(6)) };
  }
}
