/**
 * Fractional Kelly on the fee-adjusted price, then every cap, rounded down to the grid; below the
 * market's minimum the answer is zero (no order).
 */
import { floorToStep, SIZE_STEP, type TradeSignal } from '@polybot/shared';

export interface SizerConfig {
  kellyFraction: number;
  maxOrderUsd: number;
  maxMarketExposureUsd: number;
  maxAssetExposureUsd: number;
  maxTotalExposureUsd: number;
  /** Largest share of bankroll one order may use. */
  maxBankrollShare: number;
}

export const DEFAULT_SIZER: SizerConfig = {
  kellyFraction: 0.25,
  maxOrderUsd: 25,
  maxMarketExposureUsd: 50,
  maxAssetExposureUsd: 100,
  maxTotalExposureUsd: 200,
  maxBankrollShare: 0.05,
};

export interface Exposure {
  market: number;
  asset: number;
  total: number;
}

export interface SafeSize {
  shares: number;
  notionalUsd: number;
  /** Which limit bound the size (null when Kelly itself did). */
  cappedBy: string | null;
  /** Why the size is zero, when it is. */
  zeroReason: string | null;
}

export class KellySizer {
  constructor(readonly config: SizerConfig = DEFAULT_SIZER) {}

  /** `usd` brought under every cap (order, bankroll share, exposures, the book's depth in USD), and the cap that bound it. */
  capped(usd: number, bankrollUsd: number, exposure: Exposure, depthUsd: number, cashUsd = Infinity): { usd: number; cappedBy: string | null } {
    const c = this.config;
    const caps: Array<[string, number]> = [
      ['max_order_usd', c.maxOrderUsd],
      ['bankroll_share', c.maxBankrollShare * Math.max(0, bankrollUsd)],
      ['market_exposure', c.maxMarketExposureUsd - exposure.market],
      ['asset_exposure', c.maxAssetExposureUsd - exposure.asset],
      ['total_exposure', c.maxTotalExposureUsd - exposure.total],
      ['depth', depthUsd],
      // What the account can still spend at the venue (balance − open orders − unsettled fills).
      ['available_cash', cashUsd],
    ];
    let cappedBy: string | null = null;
    for (const [name, cap] of caps) {
      if (cap < usd) {
        usd = Math.max(0, cap);
        cappedBy = name;
      }
    }
    return { usd, cappedBy };
  }

  size(s: TradeSignal, bankrollUsd: number, exposure: Exposure, shrink = 1, cashUsd = Infinity): SafeSize {
    const c = this.config;
    const price = s.limitPrice;
    const kellyUsd = Math.max(0, c.kellyFraction * s.kellyFraction * shrink * bankrollUsd);
    const { usd, cappedBy } = this.capped(kellyUsd, bankrollUsd, exposure, s.maxShares * price, cashUsd);
    // Priced at the limit (the worst fill), so the notional can never exceed a cap.
    const shares = floorToStep(usd / price, SIZE_STEP);
    const notionalUsd = Number((shares * price).toFixed(6));
    const marketable = s.orderType === 'FOK' || s.orderType === 'FAK';
    const zero = (why: string): SafeSize => ({ shares: 0, notionalUsd: 0, cappedBy, zeroReason: why });
    if (shares <= 0) return zero('no size after caps');
    if (marketable && notionalUsd < 1) return zero('below the $1 minimum for a marketable order');
    if (!marketable && shares < s.market.minOrderSize) return zero(`below the market minimum of ${s.market.minOrderSize} shares`);
    return { shares, notionalUsd, cappedBy, zeroReason: null };
  }
}
