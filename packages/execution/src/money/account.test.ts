import { describe, expect, it } from 'vitest';
import { takerFee, type VenueAccount } from '@polybot/shared';
import { fundsProblem } from './account.js';

// Execution's funds check before signing: cost (plus the taker fee when marketable) against
// available pUSD, and no buy on a balance never read or read too long ago.
const account = (availableUsd: number): VenueAccount => ({
  wallet: '0xw',
  balanceUsd: availableUsd + 3,
  openOrdersUsd: 2,
  pendingUsd: 1,
  positionsUsd: 0,
  redeemableUsd: 0,
  redeemedUsd: 0,
  mergedUsd: 0,
  bankrollUsd: availableUsd,
  availableUsd,
  equityUsd: availableUsd + 2,
  atMs: 1_000,
});
const buy = { side: 'BUY' as const, orderType: 'FAK' as const, size: 10, price: 0.5, feeRate: 0.07 };
const fee = takerFee(10, 0.5, { rate: 0.07, exponent: 1 }); // 0.175

describe('fundsProblem', () => {
  it('lets a buy through that the available pUSD pays, fee included', () => {
    expect(fundsProblem(buy, { account: account(5 + fee), balanceAtMs: 1_000 }, 2_000, 30_000)).toBeNull();
  });

  it('refuses a marketable buy whose fee is what the account lacks, and names the parts', () => {
    const why = fundsProblem(buy, { account: account(5 + fee - 0.01), balanceAtMs: 1_000 }, 2_000, 30_000);
    expect(why).toMatch(/needs \$5\.1750 but the account has \$5\.1650 available/);
    expect(why).toMatch(/open orders \$2\.00 − unsettled fills \$1\.00/);
  });

  it("charges the market's fee exponent when the request carries one", () => {
    const fee2 = takerFee(10, 0.5, { rate: 0.07, exponent: 2 }); // 0.04375
    expect(fundsProblem({ ...buy, feeExponent: 2 }, { account: account(5 + fee2), balanceAtMs: 1_000 }, 2_000, 30_000)).toBeNull();
    expect(fundsProblem(buy, { account: account(5 + fee2), balanceAtMs: 1_000 }, 2_000, 30_000)).toMatch(/needs \$5\.1750/);
  });

  it('charges no taker fee to a resting order', () => {
    expect(fundsProblem({ ...buy, orderType: 'GTC' }, { account: account(5), balanceAtMs: 1_000 }, 2_000, 30_000)).toBeNull();
    expect(fundsProblem({ ...buy, orderType: 'GTC' }, { account: account(4.99), balanceAtMs: 1_000 }, 2_000, 30_000)).toMatch(/needs \$5\.0000/);
  });

  it('refuses every buy until the balance has been read, and after it goes stale', () => {
    expect(fundsProblem(buy, null, 2_000, 30_000)).toMatch(/not been read/);
    const rich = { account: account(1_000), balanceAtMs: 1_000 };
    expect(fundsProblem(buy, rich, 31_000, 30_000)).toBeNull();
    expect(fundsProblem(buy, rich, 31_001, 30_000)).toMatch(/last read 30\.0 s ago/);
  });

  it('never refuses a sell for cash', () => {
    expect(fundsProblem({ ...buy, side: 'SELL' }, null, 2_000, 30_000)).toBeNull();
    expect(fundsProblem({ ...buy, side: 'SELL' }, { account: account(0), balanceAtMs: 0 }, 99_000, 30_000)).toBeNull();
  });
});
