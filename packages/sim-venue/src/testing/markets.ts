import type { SimMarket } from '../markets.js';
import type { PriceProcess } from '../prices.js';
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

/** An asset's latest simulated spot price (what a market's price to beat is compared with). */
export const spotOf = (venue: SimVenue, asset: string): number =>
  (venue.state.schedule as unknown as { prices: Map<string, PriceProcess> }).prices.get(asset)!.latest().value;

/**
 * Holds a market's price to beat at `beat()` until the venue's tick for its Up token is `want`, at
 * most `tries` polls 100 ms apart; returns the tick last read. The price to beat is set again on
 * every poll, so the market stays where the test puts it while spot moves (set once, at the money
 * with a market near its end, a small move put the price past 0.94 again: CI of 2026-12-02).
 */
export async function holdUntilTick(venue: SimVenue, m: SimMarket, want: number, beat: () => number, tries: number): Promise<number> {
  const tick = async () => ((await (await fetch(`${venue.url}/tick-size?token_id=${m.upToken}`)).json()) as { minimum_tick_size: number }).minimum_tick_size;
  for (let i = 0; i < tries; i++) {
    m.priceToBeat = beat();
    if ((await tick()) === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return tick();
}
