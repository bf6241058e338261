import type { SimVenue } from '../server.js';

/**
 * A market of this venue that trades now and still has `minLeftMs` to run (optionally of one asset),
 * waiting for the next window when none has. With 60 s windows an order sent in a window's last
 * seconds met its resolution (CANCELED_MARKET_RESOLVED, CI of 2026-12-02), so tests never race a
 * window's end.
 */
export async function liveMarket(venue: SimVenue, opts: { minLeftMs?: number; asset?: string; waitMs?: number } = {}) {
  const minLeftMs = opts.minLeftMs ?? 12_000;
  const deadline = Date.now() + (opts.waitMs ?? 25_000);
  for (;;) {
    const now = Date.now();
    const m = [...venue.state.schedule.markets.values()].find(
      (x) => !x.closed && (opts.asset === undefined || x.asset === opts.asset) && x.startMs <= now && x.endMs - now >= minLeftMs,
    );
    if (m) return m;
    if (now > deadline) throw new Error('no live market');
    await new Promise((r) => setTimeout(r, 250));
  }
}
