import { describe, expect, it } from 'vitest';
import { takerFee, type Order, type VenueAccount } from '@polybot/shared';
import { chainAtRead, fundsProblem, venueAccount } from './account.js';
import type { ChainAction } from './store.js';

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

// The venue account counts a relayer batch's pUSD from when it is seen mined (the balance shows it
// from then), not from STATE_CONFIRMED: a merge mined but not confirmed was $13.48 of equity counted
// twice in a sim run (the balance up, the pairs still held), a redemption $227.55.
describe('venueAccount with redemptions and merges on chain', () => {
  const CID = `0x${'a'.repeat(64)}`;
  const CID2 = `0x${'b'.repeat(64)}`;
  const action = (kind: 'merge' | 'redeem', conditionId: string, state: ChainAction['state'], minedAtMs: number | null): ChainAction => ({
    id: `${kind}-${conditionId.slice(2, 6)}`,
    kind,
    conditionId,
    asset: 'BTC',
    shares: 10,
    amountUsd: 10,
    costUsd: kind === 'merge' ? 9.6 : 0,
    feesUsd: 0,
    winner: kind === 'redeem' ? 'UP' : null,
    calls: [{ target: '0x1', data: '0x', value: '0' }],
    state,
    attempt: 1,
    nonce: null,
    deadlineS: null,
    batch: null,
    transactionId: 't',
    transactionHash: null,
    minedAtMs,
    error: null,
    history: [],
    createdAtMs: 0,
    updatedAtMs: 0,
  });
  // 10 Up at 0.50 and 10 Down at 0.46 held in CID (not settled); CID2 settled, Up won.
  const positions = [
    { conditionId: CID, asset: 'BTC' as const, outcome: 'UP' as const, confirmed: 10, pending: 0, costUsd: 5, feesUsd: 0, windowEndMs: 0 },
    { conditionId: CID, asset: 'BTC' as const, outcome: 'DOWN' as const, confirmed: 10, pending: 0, costUsd: 4.6, feesUsd: 0, windowEndMs: 0 },
  ];
  const at = (balanceUsd: number, actions: ChainAction[]) =>
    venueAccount({ wallet: '0xw', balanceUsd, orders: [], positions, isSettled: (c) => c === CID2, actions, nowMs: 5 });

  it('a merge submitted, not yet mined: the pairs are still held and the balance has not moved', () => {
    const a = at(50, [action('merge', CID, 'submitted', null)]);
    expect(a.positionsUsd).toBeCloseTo(9.6, 9);
    expect(a.mergedUsd).toBe(0);
    expect(a.equityUsd).toBeCloseTo(59.6, 9);
  });

  it('a merge seen mined: the balance has its $10 and the pairs are gone at their cost, as the ledger books the merge', () => {
    for (const m of [action('merge', CID, 'submitted', 4), action('merge', CID, 'confirmed', 4), action('merge', CID, 'confirmed', null)]) {
      const a = at(60, [m]);
      expect(a.positionsUsd).toBeCloseTo(0, 9);
      expect(a.mergedUsd).toBe(10);
      expect(a.equityUsd).toBeCloseTo(60, 9);
    }
  });

  it('a redemption is redeemable until seen mined, then in the balance', () => {
    expect(at(50, [action('redeem', CID2, 'submitted', null)])).toMatchObject({ redeemableUsd: 10, redeemedUsd: 0 });
    expect(at(60, [action('redeem', CID2, 'submitted', 4)])).toMatchObject({ redeemableUsd: 0, redeemedUsd: 10 });
    // Failed for good: the winning shares are still held and still pay.
    expect(at(50, [action('redeem', CID2, 'failed', null)])).toMatchObject({ redeemableUsd: 10 });
  });
});

// Which fills the balance holds: the venue's trades read just before and just after it, not the
// statuses execution heard a moment earlier (a 110 s sim run counted ~$20 of mined fills twice).
describe('venueAccount around the balance read', () => {
  const CID = `0x${'c'.repeat(64)}`;
  const order = (id: string, status: 'MATCHED' | 'MINED', size = 10, price = 0.5, fee = 0.1) =>
    ({
      request: { id, side: 'BUY', conditionId: CID, size, price },
      state: 'filled',
      filledSize: size,
      venueOrderId: `v-${id}`,
      fills: [{ tradeId: `t-${id}`, size, price, fee, status, atMs: 1 }],
    }) as unknown as Order;
  const orders = [order('a', 'MATCHED', 20), order('b', 'MINED'), order('c', 'MATCHED'), order('d', 'MATCHED')];
  const positions = [{ conditionId: CID, asset: 'BTC' as const, outcome: 'UP' as const, confirmed: 40, pending: 0, costUsd: 20, feesUsd: 0.4, windowEndMs: 0 }];
  const acct = (atRead?: ReturnType<typeof chainAtRead>) =>
    venueAccount({ wallet: '0xw', balanceUsd: 100, orders, positions, isSettled: () => false, actions: [], nowMs: 5, ...(atRead ? { atRead } : {}) });

  it('classifies each trade: mined before the read, still matched after it, or mined during it', () => {
    const r = chainAtRead(
      new Map([
        ['v-a|t-a', 'MINED'],
        ['v-b|t-b', 'MATCHED'],
        ['v-c|t-c', 'MATCHED'],
      ]),
      new Map([
        ['v-a|t-a', 'CONFIRMED'],
        ['v-b|t-b', 'MATCHED'],
        ['v-c|t-c', 'MINED'],
        ['v-d|t-d', 'MATCHED'],
      ]),
    );
    expect([...r.onChain]).toEqual(['v-a|t-a']);
    expect([...r.offChain].sort()).toEqual(['v-b|t-b', 'v-d|t-d']);
    expect([...r.uncertain]).toEqual(['v-c|t-c']);
    // a: execution still says MATCHED, but the balance holds it: not pending. b: execution heard MINED
    // since, but the balance was read before: pending. c: either (pending, and uncertain). d: pending.
    const a = acct(r);
    expect(a.pendingUsd).toBeCloseTo(3 * 5.1, 9);
    expect(a.uncertainUsd).toBeCloseTo(5.1, 9);
    expect(a.equityUsd).toBeCloseTo(100 - 15.3 + 20, 9);
    // By the statuses alone, a ($10.10) and c and d are pending and b is not: $5 too low, with nothing to say so.
    const byStatus = acct();
    expect(byStatus.pendingUsd).toBeCloseTo(10.1 + 2 * 5.1, 9);
    expect(byStatus.uncertainUsd).toBeUndefined();
  });
});
