import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { openSimMarkets } from './simMarkets.js';

let venue: SimVenue;
beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC', 'ETH'], seed: 1, misprice: 0 });
});
afterAll(async () => venue?.close());

describe('openSimMarkets', () => {
  it('gives the current window while it lasts, the next one near its end, and never a market that ends too soon', () => {
    const now = Date.now();
    const current = [...venue.state.schedule.markets.values()].filter((m) => !m.closed && m.startMs <= now && m.endMs > now);
    const end = current[0]!.endMs;
    const early = openSimMarkets(venue, 30_000, end - 60_000);
    expect(early.map((m) => m.conditionId).sort()).toEqual(current.map((m) => m.conditionId).sort());
    const late = openSimMarkets(venue, 30_000, end - 10_000);
    expect(late).toHaveLength(2);
    for (const m of late) expect(m.startMs).toBe(end); // the next window's
    expect(() => openSimMarkets(venue, 3_600_000, now)).toThrow(/no sim market stays open/);
  });
});
