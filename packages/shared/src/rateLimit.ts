/**
 * Rate limits as the venue states them, and the one limiter interface every caller uses (the HTTP
 * layer for reads, execution for orders and venue calls). The limiter itself is shared by every
 * process through Redis (`@polybot/shared/redisRateLimit`); `LocalRateLimiter` is the same thing in
 * one process's memory, for a process alone (tests, CLIs) and while Redis does not answer.
 *
 * - `window`: at most `limit` starts in any `windowMs` (the per-IP Cloudflare limits, "N per 10 s"),
 *   kept exactly as a sliding log of start times;
 * - `bucket`: a token bucket of `burst` tokens refilled at `ratePerS` (the per-signer order and
 *   cancel buckets, "40/s burst 60").
 *
 * One request may count against several limits at once; it passes all of them or takes from none.
 * Sources: docs/polymarket.md "Rate limits"; docs/polymarket-venue.md §5.6.
 */
export type RateLimit = { kind: 'window'; limit: number; windowMs: number } | { kind: 'bucket'; ratePerS: number; burst: number };
export const window10s = (limit: number): RateLimit => ({ kind: 'window', limit, windowMs: 10_000 });

export interface NamedLimit {
  /** Which limit (e.g. `clob.polymarket.com POST /order`): every process naming it shares it. */
  name: string;
  limit: RateLimit;
}

export interface RateLimiter {
  /** Waits until `cost` may start under every one of `limits`, then takes it from each. */
  acquire(limits: readonly NamedLimit[], cost?: number): Promise<void>;
  /** Nothing starts under `limit` for `ms` (the venue answered 429); a bucket restarts empty. */
  pause(limit: NamedLimit, ms: number): Promise<void>;
}

/**
 * The venue's limits execution keeps to (per 10 s with about 10 % headroom; the per-signer buckets
 * at the standard tier). The read limits of the HTTP layer are `POLYMARKET_RATE_RULES` in http.ts.
 */
export const VENUE_LIMITS = {
  orderBucket: (signer: string, ratePerS = 40, burst = 60): NamedLimit => ({ name: `clob orders ${signer}`, limit: { kind: 'bucket', ratePerS, burst } }),
  cancelBucket: (signer: string): NamedLimit => ({ name: `clob cancels ${signer}`, limit: { kind: 'bucket', ratePerS: 80, burst: 120 } }),
  cancel: { name: 'clob DELETE /order', limit: window10s(2_700) },
  cancelAll: { name: 'clob DELETE /cancel-all', limit: window10s(225) },
  order: { name: 'clob /data/order', limit: window10s(450) },
  trades: { name: 'clob /data/trades', limit: window10s(450) },
  balance: { name: 'clob /balance-allowance', limit: window10s(180) },
  markets: { name: 'clob /markets', limit: window10s(270) },
  heartbeat: { name: 'clob /heartbeats', limit: window10s(450) },
  clob: { name: 'clob *', limit: window10s(8_100) },
} satisfies Record<string, NamedLimit | ((...a: never[]) => NamedLimit)>;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Throws when `cost` is not a whole number ≥ 1, or can never pass one of `limits`. */
export function checkCost(limits: readonly NamedLimit[], cost: number): void {
  if (!(Number.isInteger(cost) && cost >= 1)) throw new RangeError(`a rate-limit cost is a whole number ≥ 1, not ${cost}`);
  for (const { name, limit: l } of limits) {
    const cap = l.kind === 'window' ? l.limit : l.burst;
    if (cost > cap) throw new RangeError(`a request costing ${cost} never passes ${name} (${cap})`);
  }
}

/** The same limits in one process's memory: for a process alone (tests, CLIs) and while Redis is away. */
export class LocalRateLimiter implements RateLimiter {
  private readonly logs = new Map<string, number[]>();
  private readonly buckets = new Map<string, { tokens: number; ts: number }>();
  private readonly paused = new Map<string, number>();
  constructor(private readonly clock: { now: () => number; sleep: (ms: number) => Promise<void> } = { now: Date.now, sleep: defaultSleep }) {}

  /** 0 when taken from every limit, else the longest wait (nothing taken). */
  tryTake(limits: readonly NamedLimit[], cost = 1): number {
    checkCost(limits, cost);
    const now = this.clock.now();
    let wait = 0;
    for (const { name, limit: l } of limits) {
      const p = this.paused.get(name) ?? 0;
      let w = 0;
      if (p > now) w = p - now;
      else if (l.kind === 'window') {
        const log = this.logs.get(name) ?? [];
        while (log.length > 0 && log[0]! <= now - l.windowMs) log.shift();
        this.logs.set(name, log);
        if (log.length + cost > l.limit) w = Math.max(1, log[log.length + cost - l.limit - 1]! + l.windowMs - now);
      } else {
        const b = this.buckets.get(name) ?? { tokens: l.burst, ts: now };
        b.tokens = Math.min(l.burst, b.tokens + ((now - Math.min(b.ts, now)) * l.ratePerS) / 1000);
        b.ts = now;
        this.buckets.set(name, b);
        if (b.tokens < cost) w = Math.max(1, Math.ceil(((cost - b.tokens) * 1000) / l.ratePerS));
      }
      wait = Math.max(wait, w);
    }
    if (wait > 0) return wait;
    for (const { name, limit: l } of limits) {
      if (l.kind === 'window') for (let i = 0; i < cost; i++) this.logs.get(name)!.push(now);
      else this.buckets.get(name)!.tokens -= cost;
    }
    return 0;
  }

  async acquire(limits: readonly NamedLimit[], cost = 1): Promise<void> {
    for (let wait = this.tryTake(limits, cost); wait > 0; wait = this.tryTake(limits, cost)) await this.clock.sleep(wait);
  }

  async pause({ name, limit }: NamedLimit, ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    this.paused.set(name, Math.max(this.paused.get(name) ?? 0, until));
    if (limit.kind === 'bucket') this.buckets.set(name, { tokens: 0, ts: until });
  }
}
