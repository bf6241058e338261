import { describe, expect, it } from 'vitest';
import type { Fill, Order, OrderRequest } from '@polybot/shared';
import { ageProblem, exposureFrom, hardLimitProblem, type HardLimits } from './hardLimits.js';

const NOW = 1_800_000_000_000;
const A = `0x${'a'.repeat(64)}` as const;
const B = `0x${'b'.repeat(64)}` as const;
const limits: HardLimits = { maxOrderUsd: 10, maxMarketExposureUsd: 25, maxTotalExposureUsd: 40, maxOrderAgeMs: 30_000, clockSkewMs: 2_000 };
const req = (over: Partial<OrderRequest> = {}): OrderRequest => ({
  id: 'o',
  signalId: 'o',
  createdAtMs: NOW,
  conditionId: A,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '1',
  side: 'BUY',
  orderType: 'FAK',
  postOnly: false,
  price: 0.5,
  size: 10,
  windowEndMs: NOW + 600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 5, cappedBy: null },
  ...over,
});
const fill = (size: number, price: number, status: Fill['status'] = 'CONFIRMED'): Fill => ({
  tradeId: `t${size}${price}${status}`,
  size,
  price,
  fee: 0,
  status,
  atMs: NOW,
});
const order = (r: Partial<OrderRequest>, state: Order['state'], fills: Fill[] = []): Order => ({
  request: req(r),
  venueOrderId: '0x1',
  state,
  filledSize: fills.filter((f) => f.status !== 'FAILED').reduce((s, f) => s + f.size, 0),
  fills,
  history: [],
  updatedAtMs: NOW,
});
const none = () => false;

describe('execution hard limits', () => {
  it('order notional: at the cap passes, a cent above is refused, and 1,000 times a normal size is refused', () => {
    expect(hardLimitProblem(req({ size: 20, price: 0.5 }), [], none, limits, NOW)).toBeNull(); // $10.00
    expect(hardLimitProblem(req({ size: 20.02, price: 0.5 }), [], none, limits, NOW)).toMatch(/notional \$10\.01 is over the \$10\.00/);
    expect(hardLimitProblem(req({ size: 11_490, price: 0.5 }), [], none, limits, NOW)).toMatch(/hard limit: order notional/);
    expect(hardLimitProblem(req({ size: Number.POSITIVE_INFINITY }), [], none, limits, NOW)).toMatch(/notional/);
  });

  it('market and total exposure count filled cost and what open BUY orders could still fill, not settled markets', () => {
    const held = [
      order({ id: 'f', conditionId: A }, 'filled', [fill(20, 0.5)]), // $10 filled
      order({ id: 'p', conditionId: A, size: 20, price: 0.25 }, 'partially_filled', [fill(8, 0.25)]), // $2 filled + 12 × 0.25 = $3 open
      order({ id: 'x', conditionId: A }, 'canceled', [fill(4, 0.5, 'FAILED')]), // failed trade: nothing
      order({ id: 'c', conditionId: A, size: 40, price: 0.5 }, 'canceled'), // cancelled unfilled: nothing
    ];
    expect(exposureFrom(held, A, none)).toEqual({ market: 15, total: 15 });
    expect(hardLimitProblem(req({ size: 20, price: 0.5 }), held, none, limits, NOW)).toBeNull(); // 15 + 10 = 25, the cap
    expect(hardLimitProblem(req({ size: 20.2, price: 0.5 }), held, none, limits, NOW)).toMatch(/notional/);
    expect(
      hardLimitProblem(req({ size: 20, price: 0.5 }), [...held, order({ id: 'q', conditionId: A, size: 1, price: 0.07 }, 'open')], none, limits, NOW),
    ).toMatch(/market exposure would be \$25\.07/);
    const other = [...held, order({ id: 'b', conditionId: B, size: 40, price: 0.5 }, 'open')]; // $20 open on B
    expect(hardLimitProblem(req({ size: 12, price: 0.5 }), other, none, limits, NOW)).toMatch(/total exposure would be \$41\.00/);
    // Once A is settled its positions no longer count.
    expect(hardLimitProblem(req({ size: 12, price: 0.5 }), other, (c) => c === A, limits, NOW)).toBeNull();
    // A SELL and an exempt unwind add no exposure (still bound by the notional).
    expect(hardLimitProblem(req({ side: 'SELL', size: 20, price: 0.5 }), other, none, limits, NOW)).toBeNull();
    expect(hardLimitProblem(req({ size: 20, price: 0.5 }), other, none, limits, NOW, true)).toBeNull();
  });

  it('order age: within the maximum plus the skew allowance passes; older, or dated in the future beyond the skew, is refused', () => {
    expect(ageProblem(req({ createdAtMs: NOW - 32_000 }), limits, NOW)).toBeNull();
    expect(ageProblem(req({ createdAtMs: NOW - 32_001 }), limits, NOW)).toMatch(/32001 ms old/);
    expect(ageProblem(req({ createdAtMs: NOW - 15 * 60_000 }), limits, NOW)).toMatch(/old/);
    expect(ageProblem(req({ createdAtMs: NOW + 2_000 }), limits, NOW)).toBeNull();
    expect(ageProblem(req({ createdAtMs: NOW + 2_001 }), limits, NOW)).toMatch(/future/);
    expect(hardLimitProblem(req({ createdAtMs: NOW - 60_000 }), [], none, limits, NOW, true)).toMatch(/old/); // exempt from exposure, not from age
  });
});
