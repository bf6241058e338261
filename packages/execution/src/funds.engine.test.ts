/** The engine asks execution's funds check before signing, and a batch's legs are paid from one balance. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PairOrderRequestSchema, type OrderRequest, type VenueAccount } from '@polybot/shared';
import { ManualClock } from './clock.js';
import { ExecutionEngine } from './executionEngine.js';
import { fundsProblem } from './money/account.js';
import { OrderManager } from './orderManager.js';
import { FakeClob } from './testing/fakeClob.js';

const logger = pino({ level: 'silent' });
const T0 = 1_900_000_000_000;
const CID = `0x${'e'.repeat(64)}` as const;
const request = (id: string, over: Partial<OrderRequest> = {}): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: T0,
  conditionId: CID,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '11',
  side: 'BUY',
  orderType: 'FOK',
  postOnly: false,
  price: 0.5,
  size: 20,
  windowEndMs: T0 + 3_600_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 10, cappedBy: null },
  ...over,
});
/** An account with `availableUsd` of pUSD free, read just now. */
const account = (availableUsd: number): VenueAccount => ({
  wallet: '0xw',
  balanceUsd: availableUsd,
  openOrdersUsd: 0,
  pendingUsd: 0,
  positionsUsd: 0,
  redeemableUsd: 0,
  redeemedUsd: 0,
  mergedUsd: 0,
  bankrollUsd: availableUsd,
  availableUsd,
  equityUsd: availableUsd,
  atMs: T0,
});

function setup(availableUsd: number) {
  const manager = new OrderManager(null, logger);
  const venue = new FakeClob();
  const clock = new ManualClock(T0);
  const a = { account: account(availableUsd), balanceAtMs: T0 };
  const engine = new ExecutionEngine(
    manager,
    venue,
    { cancelBeforeEndMs: 5_000, settleAfterMs: 0, clock, funds: (r, alsoUsd) => fundsProblem(r, a, clock.now(), 30_000, alsoUsd) },
    logger,
    async () => false,
  );
  return { manager, venue, engine };
}
const pair = () =>
  PairOrderRequestSchema.parse({
    kind: 'pair',
    id: 'arb-1',
    createdAtMs: T0,
    conditionId: CID,
    asset: 'BTC',
    shares: 20,
    worstCostPerPair: 0.97,
    expectedProfitUsd: 0.2,
    legs: [request('arb-1-UP', { price: 0.5 }), request('arb-1-DOWN', { outcome: 'DOWN', tokenId: '22', price: 0.45 })],
    onLoneFill: { UP: 'hold', DOWN: 'hold' },
  });

describe('funds in the engine', () => {
  it('refuses a single buy the account cannot pay before signing it, and places one it can', async () => {
    const { engine, manager, venue } = setup(10);
    expect(await engine.place(request('big', { size: 21 }))).toBe('rejected');
    expect(manager.get('big')!.history.at(-1)!.note).toMatch(/needs \$10\.8675 but the account has \$10\.0000 available/);
    expect(venue.signedRequests).toHaveLength(0);
    const rich = setup(11);
    expect(await rich.engine.place(request('ok'))).toBe('filled');
  });

  it('pays the two legs of a pair from one balance: each alone fits, both together do not, so neither is signed', async () => {
    // UP 20 × 0.5 = $10 + $0.35 fee, DOWN 20 × 0.45 = $9 + $0.3465 fee: $19.70 together against $15.
    const { engine, manager, venue } = setup(15);
    await engine.placePair(pair());
    expect(venue.signedRequests).toHaveLength(0);
    expect(venue.posts).toBe(0);
    const notes = [manager.get('arb-1-UP'), manager.get('arb-1-DOWN')].map((o) => o?.history.at(-1)?.note ?? '');
    expect(notes.join(' ')).toMatch(/needs \$9\.3465 after \$10\.3500 for the other orders of its batch but the account has \$15\.0000 available/);
    // With enough for both, both legs are signed and posted together.
    const rich = setup(20);
    await rich.engine.placePair(pair());
    expect(rich.venue.signedRequests.map((r) => r.id).sort()).toEqual(['arb-1-DOWN', 'arb-1-UP']);
  });
});
