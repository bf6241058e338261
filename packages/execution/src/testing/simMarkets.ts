/**
 * Markets of a sim venue that tests can trade without racing a window's end: the sim's windows
 * follow the wall clock, so "the current market" may close (or sit inside the last seconds where
 * the engine refuses orders) in the middle of a test. Test-only.
 */
import type { SimVenue } from '@polybot/sim-venue';

export type SimMarket = SimVenue['state']['schedule']['markets'] extends Map<string, infer M> ? M : never;

/**
 * Every market of the earliest window that stays open at least `forMs` from now: the current
 * window's, or, when it ends sooner, the next window's (the venue quotes and accepts orders on it
 * before it starts). Throws when there is none, naming the wait.
 */
export function openSimMarkets(venue: SimVenue, forMs: number, nowMs = Date.now()): SimMarket[] {
  const open = [...venue.state.schedule.markets.values()].filter((m) => !m.closed && m.endMs > nowMs + forMs);
  if (!open.length) throw new Error(`no sim market stays open for ${forMs} ms: make the venue's windows longer`);
  const first = Math.min(...open.map((m) => m.startMs));
  return open.filter((m) => m.startMs === first);
}
