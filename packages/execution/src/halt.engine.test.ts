/**
 * A halt against the sim venue over HTTP: cancels that fail (the venue restarting, 425) are sent
 * again until the venue confirms no order is left, and heartbeats stop while halted, so the venue's
 * dead-man switch cancels what a failed cancel left.
 */
import { pino } from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { openSimMarkets } from './testing/simMarkets.js';
import { createClobV2Port } from './venue/clobV2.js';
import { simWallet } from './venue/wallet.js';

const logger = pino({ level: 'silent' });
const HEARTBEAT_TIMEOUT_MS = 1_500;
/** One venue with the real 10 s dead-man switch (a cancel's retries are what clears it), one with a short one. */
let slow: SimVenue;
let fast: SimVenue;
let venue: SimVenue;

beforeAll(async () => {
  slow = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC'], seed: 17, misprice: 0 });
  fast = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC'], seed: 18, misprice: 0, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });
});
afterAll(async () => {
  await slow?.close();
  await fast?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const faults = (body: Record<string, unknown>) => fetch(`${venue.url}/sim/faults`, { method: 'POST', body: JSON.stringify(body) });
async function venueStatus(id: string): Promise<string | undefined> {
  const all = ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: Array<{ id: string; status: string }> }).orders;
  return all.find((o) => o.id === id)?.status;
}

/** A resting bid well under the book: it stays open until cancelled. */
function restingBid(id: string): OrderRequest {
  const m = openSimMarkets(venue, 120_000)[0]!;
  return {
    id,
    signalId: id,
    createdAtMs: Date.now(),
    conditionId: m.conditionId as `0x${string}`,
    asset: 'BTC',
    outcome: 'UP',
    tokenId: m.upToken,
    side: 'BUY',
    orderType: 'GTC',
    postOnly: true,
    price: 0.02,
    size: 60,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 1.2, cappedBy: null },
  };
}

/** An engine on its own venue account (its own heartbeat session), halted when `state.halted` says so. */
async function setup() {
  const key = generatePrivateKey();
  const port = await createClobV2Port({ host: venue.url, privateKey: key, timeoutMs: 3_000, ...(await simWallet(venue.url, key)) });
  const manager = new OrderManager(null, logger);
  const state = { halted: false };
  const engine = new ExecutionEngine(manager, port, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 }, logger, async () => state.halted);
  return { engine, manager, state };
}

describe('halt against the sim venue', () => {
  it('a cancel refused while the venue restarts is sent again until the venue confirms none is left', async () => {
    venue = slow;
    const { engine, manager, state } = await setup();
    expect(await engine.place(restingBid('halt-a'))).toBe('open');
    const venueId = manager.get('halt-a')!.venueOrderId!;
    expect(await venueStatus(venueId)).toBe('LIVE');

    await faults({ restartForMs: 2_500 }); // cancels answer 425 for 2.5 s
    state.halted = true;
    expect(await engine.haltSweep('halt: test')).toBe(1); // the cancel failed: one left
    expect(await venueStatus(venueId)).toBe('LIVE');
    expect(manager.get('halt-a')!.state).toBe('cancel_requested');
    // No new order while halted, whatever the queue sends.
    expect(await engine.place(restingBid('halt-a2'))).toMatch(/refused: circuit breaker is open/);

    let left = 1;
    let passes = 1;
    for (; left > 0 && passes < 40; passes++) {
      await sleep(250);
      left = await engine.haltSweep('halt: test');
    }
    expect(left).toBe(0);
    expect(passes).toBeGreaterThan(2); // it took retries, not one lucky call (the dead-man switch is 10 s away here)
    expect(await venueStatus(venueId)).toBe('CANCELED');
    expect(manager.get('halt-a')!.state).toBe('canceled');
    expect(await engine.haltSweep('halt: test')).toBe(0);
  }, 30_000);

  it('heartbeats stop while halted, so the dead-man switch cancels an order a failed cancel left', async () => {
    venue = fast;
    const { engine, manager, state } = await setup();
    const placed = await engine.place(restingBid('halt-b'));
    expect(placed, JSON.stringify(manager.get('halt-b')?.history)).toBe('open');
    const venueId = manager.get('halt-b')!.venueOrderId!;
    // Not halted: heartbeats keep the order alive well past the venue's timeout.
    for (let t = 0; t < HEARTBEAT_TIMEOUT_MS * 2; t += 300) {
      await engine.heartbeat();
      await sleep(300);
    }
    expect(await venueStatus(venueId)).toBe('LIVE');

    // Halted while the venue restarts: our cancel fails, and no heartbeat goes out any more.
    await faults({ restartForMs: 8_000 });
    state.halted = true;
    expect(await engine.haltSweep('halt: test')).toBe(1);
    let status = await venueStatus(venueId);
    const start = Date.now();
    while (status === 'LIVE' && Date.now() - start < 6_000) {
      await engine.heartbeat(); // skipped: halted
      await sleep(250);
      status = await venueStatus(venueId);
    }
    expect(status).toBe('CANCELED'); // the venue's own switch, during its restart, before any cancel of ours got through
    expect(Date.now() - start).toBeLessThan(8_000);
    // The sweep then finds it final without a cancel of ours getting through.
    expect(await engine.haltSweep('halt: test')).toBe(0);
    expect(manager.get('halt-b')!.state).toBe('canceled');
    await faults({ restartForMs: 0 });
  }, 30_000);
});
