/**
 * The venue's per-signer token bucket, mirrored locally (standard tier: 40 orders/s, burst 60) so
 * we wait instead of earning 429s; a 429 pauses the bucket for the venue's Retry-After. Pure: the
 * caller passes the clock.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  private pausedUntilMs = 0;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes `cost` tokens and returns 0, or returns how long to wait (ms) and takes nothing. */
  take(nowMs: number, cost = 1): number {
    if (cost > this.burst) throw new RangeError(`a request costing ${cost} never passes a bucket of ${this.burst}`);
    if (nowMs < this.pausedUntilMs) return this.pausedUntilMs - nowMs;
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.ratePerS) / 1000);
    this.lastMs = nowMs;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - this.tokens) * 1000) / this.ratePerS);
  }

  /** The venue said 429: nothing goes out before `untilMs`, and the bucket restarts empty. */
  pause(untilMs: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, untilMs);
    this.tokens = 0;
    this.lastMs = Math.max(this.lastMs, untilMs);
  }
}

/** The venue accepts at most 15 orders per batch request. */
export const MAX_BATCH = 15;
export function chunk<T>(items: readonly T[], size = MAX_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
