/**
 * The venue's trading modes and rate limits, through the real adapter against the sim venue
 * (docs/polymarket-venue.md §5.6 items 20-21):
 * - 425 while the matching engine restarts: no new order is posted until its Retry-After has
 *   passed; cancels refused meanwhile are sent again by the poll; trading resumes by itself;
 * - 503 cancel-only: no new orders, cancels go out, trading resumes by itself; 503 post-only mode
 *   lets post-only orders through;
 * - 429: the order bucket pauses for the venue's Retry-After (not the configured fallback), then
 *   the same signed order is re-sent; `Poly-RateLimit-*` headers reach the engine, and an empty
 *   bucket pauses it until the reset the venue states.
 * Time for the engine is a manual clock (the Retry-After windows pass without sleeping), so each
 * assertion is on what was sent and when it was allowed, never on how long something took.
 */
import { pino } from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NamedLimit, OrderRequest, RateLimiter } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { ManualClock } from './clock.js';
import { ExecutionEngine } from './executionEngine.js';
import { OrderManager } from './orderManager.js';
import { openSimMarkets } from './testing/simMarkets.js';
import { createClobV2Port } from './venue/clobV2.js';
import type { ClobPort } from './venue/port.js';
import { simWallet } from './venue/wallet.js';

const logger = pino({ level: 'silent' });
let venue: SimVenue;
let port: ClobPort;
const headers: Array<{ remaining: number | null; resetS: number | null; warning: boolean }> = [];

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC'], seed: 29, misprice: 0 });
  const key = generatePrivateKey();
  port = await createClobV2Port({
    host: venue.url,
    privateKey: key,
    timeoutMs: 3_000,
    ...(await simWallet(venue.url, key)),
    onRateLimitHeaders: (h) => headers.push(h),
  });
});
afterAll(async () => venue?.close());
afterEach(async () => faults({ cancelOnly: false, postOnlyMode: false, rate429: 0, restartForMs: 0 }));

async function faults(f: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${venue.url}/sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
  if (!res.ok) throw new Error(`faults: ${res.status}`);
}
const venueOrder = async (id: string | null | undefined) =>
  ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: Array<{ id: string; status: string }> }).orders.find((o) => o.id === id);

/** A resting bid far under the market: 5 Up at 0.02. */
function bid(id: string, over: Partial<OrderRequest> = {}): OrderRequest {
  const m = openSimMarkets(venue, 60_000)[0]!;
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
    postOnly: false,
    price: 0.02,
    size: 5,
    windowEndMs: m.endMs,
    tickSize: 0.01,
    minOrderSize: 5,
    negRisk: false,
    feeRate: 0.07,
    sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 0.1, cappedBy: null },
    ...over,
  };
}

/** A limiter that never waits and records every pause (what the engine asked of the order bucket). */
function recordingLimiter(onPause?: (l: NamedLimit, ms: number) => Promise<void>) {
  const pauses: Array<{ name: string; ms: number }> = [];
  const limiter: RateLimiter = {
    acquire: async () => undefined,
    pause: async (l, ms) => {
      pauses.push({ name: l.name, ms });
      await onPause?.(l, ms);
    },
  };
  return { limiter, pauses };
}

function engineWith(extra: { limiter?: RateLimiter; maxRateLimitedPosts?: number } = {}) {
  const clock = new ManualClock(Date.now());
  let posts = 0;
  const counted: ClobPort = { ...port, post: (s, t, p) => (posts++, port.post(s, t, p)) };
  const manager = new OrderManager(null, logger);
  const engine = new ExecutionEngine(
    manager,
    counted,
    { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000, rateLimitBackoffMs: 7, clock, ...extra },
    logger,
    async () => false,
  );
  return { engine, manager, clock, posts: () => posts };
}

describe('425: the matching engine restarts', () => {
  it('no new order until its Retry-After; a refused cancel is sent again; trading resumes by itself', async () => {
    const { engine, manager, clock, posts } = engineWith();
    expect(await engine.place(bid('r-rest'))).toBe('open');
    await faults({ restartForMs: 1_500 });
    expect(await engine.place(bid('r-1'))).toBe('rejected');
    expect(manager.get('r-1')!.history.at(-1)!.note).toMatch(/venue restarting/);
    expect(engine.venuePaused()).toBe('restarting');
    const before = posts();
    expect(await engine.place(bid('r-2'))).toMatch(/^refused: the venue is restarting/);
    expect(posts()).toBe(before); // not even sent
    expect(manager.get('r-2')).toBeUndefined(); // nothing recorded: the job can come again
    // The venue refuses cancels too while restarting: ours stays requested ...
    await expect(engine.cancelAll('test halt')).rejects.toThrow(/425/);
    expect(manager.get('r-rest')!.state).toBe('cancel_requested');
    // ... and once the restart is over (2 s: the Retry-After), the poll sends it again and new orders go out.
    await new Promise((r) => setTimeout(r, 1_600));
    clock.advance(2_001);
    expect(engine.venuePaused()).toBeNull();
    await engine.poll();
    expect((await venueOrder(manager.get('r-rest')!.venueOrderId))!.status).toBe('CANCELED');
    await engine.poll(); // the next pass reads it final
    expect(manager.get('r-rest')!.state).toBe('canceled');
    expect(await engine.place(bid('r-3'))).toBe('open');
  });
});

describe('503: cancel-only and post-only modes', () => {
  it('cancel-only: new orders refused and not sent, cancels go out, trading resumes by itself', async () => {
    const { engine, manager, clock, posts } = engineWith();
    expect(await engine.place(bid('c-rest'))).toBe('open');
    await faults({ cancelOnly: true });
    expect(await engine.place(bid('c-1'))).toBe('rejected');
    expect(manager.get('c-1')!.history.at(-1)!.note).toMatch(/venue cancel-only/);
    const before = posts();
    expect(await engine.place(bid('c-2'))).toMatch(/^refused: the venue is cancel_only/);
    expect(posts()).toBe(before);
    await engine.cancelAll('halt during cancel-only');
    expect((await venueOrder(manager.get('c-rest')!.venueOrderId))!.status).toBe('CANCELED');
    await faults({ cancelOnly: false });
    expect(await engine.place(bid('c-3'))).toMatch(/^refused/); // still inside the 5 s the venue asked for
    clock.advance(5_001);
    expect(await engine.place(bid('c-4'))).toBe('open');
  });

  it('post-only mode: a post-only order goes through, any other is refused', async () => {
    const { engine, manager } = engineWith();
    await faults({ postOnlyMode: true });
    expect(await engine.place(bid('p-1'))).toBe('rejected');
    expect(manager.get('p-1')!.history.at(-1)!.note).toMatch(/venue post-only/);
    expect(engine.venuePaused(false)).toBe('post_only');
    expect(engine.venuePaused(true)).toBeNull();
    expect(await engine.place(bid('p-2', { postOnly: true }))).toBe('open');
  });
});

describe('rate limits', () => {
  it("429: the order bucket pauses for the venue's Retry-After, then the same signed order is re-sent and accepted", async () => {
    const { limiter, pauses } = recordingLimiter(async () => faults({ rate429: 0 })); // the limit lifts while we wait
    const { engine, manager, posts } = engineWith({ limiter, maxRateLimitedPosts: 3 });
    await faults({ rate429: 1, retryAfterSeconds: 3 });
    expect(await engine.place(bid('l-1'))).toBe('open');
    expect(pauses).toEqual([{ name: expect.stringMatching(/order/i), ms: 3_000 }]); // not the 7 ms fallback
    expect(posts()).toBe(2);
    expect((await venueOrder(manager.get('l-1')!.venueOrderId))!.status).toBe('LIVE');
  });

  it('reports Poly-RateLimit-* headers; an empty bucket pauses orders until the reset the venue states', async () => {
    const { limiter, pauses } = recordingLimiter();
    const { engine } = engineWith({ limiter });
    headers.length = 0;
    expect(await engine.place(bid('h-1'))).toBe('open');
    const seen = headers.at(-1)!;
    expect(seen.remaining).toEqual(expect.any(Number));
    expect(seen.remaining).toBeGreaterThan(0);
    expect(seen.resetS).toEqual(expect.any(Number));
    expect(pauses).toEqual([]);
    engine.noteRateLimit({ remaining: 0, resetS: 4, warning: true }); // what the worker wires onRateLimitHeaders to
    await new Promise((r) => setTimeout(r, 0));
    expect(pauses).toEqual([{ name: expect.stringMatching(/order/i), ms: 4_000 }]);
  });
});
