/**
 * Per-signer token buckets (docs/polymarket-venue.md §5.6 item 20; docs.polymarket.com
 * api-reference/trading-rate-limits). Standard tier: orders refill 40/s with a burst of 60,
 * cancels 80/s with a burst of 120. `POST /order` costs 1, `POST /orders` the number of orders
 * (all or nothing); `DELETE /order` 1, `DELETE /orders` the number of ids, cancel-all and
 * cancel-market-orders 1 + the number cancelled (the balance may go negative). Over the limit:
 * 429 with `Retry-After`. Every answer carries `Poly-RateLimit-Remaining`, `-Reset` and `-Tier`.
 */
export const STANDARD_TIER = { name: 'Standard', order: { refill: 40, burst: 60 }, cancel: { refill: 80, burst: 120 } } as const;

export type BucketKind = 'order' | 'cancel';

interface Bucket {
  tokens: number;
  atMs: number;
}

export interface LimitVerdict {
  ok: boolean;
  headers: Record<string, string>;
  /** Seconds to wait (429 only). */
  retryAfterS?: number;
}

export class RateLimits {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly tier = STANDARD_TIER) {}

  private bucket(owner: string, kind: BucketKind, nowMs: number): Bucket {
    const cfg = this.tier[kind];
    const key = `${kind}:${owner}`;
    const b = this.buckets.get(key) ?? { tokens: cfg.burst, atMs: nowMs };
    b.tokens = Math.min(cfg.burst, b.tokens + ((nowMs - b.atMs) * cfg.refill) / 1000);
    b.atMs = nowMs;
    this.buckets.set(key, b);
    return b;
  }

  private headers(b: Bucket, kind: BucketKind): Record<string, string> {
    const cfg = this.tier[kind];
    const resetS = Math.max(0, Math.ceil((cfg.burst - b.tokens) / cfg.refill));
    return {
      'Poly-RateLimit-Remaining': String(Math.max(0, Math.floor(b.tokens))),
      'Poly-RateLimit-Reset': String(resetS),
      'Poly-RateLimit-Tier': this.tier.name,
    };
  }

  /** Takes `cost` tokens, all or nothing; a cost above the burst never passes. */
  take(owner: string, kind: BucketKind, cost: number, nowMs: number): LimitVerdict {
    const cfg = this.tier[kind];
    const b = this.bucket(owner, kind, nowMs);
    if (cost > b.tokens) {
      const retryAfterS = cost > cfg.burst ? 60 : Math.max(1, Math.ceil((cost - b.tokens) / cfg.refill));
      return { ok: false, headers: this.headers(b, kind), retryAfterS };
    }
    b.tokens -= cost;
    return { ok: true, headers: this.headers(b, kind) };
  }

  /** Charges after the fact (cancel-all: 1 + what it cancelled; the balance may go negative). */
  charge(owner: string, kind: BucketKind, cost: number, nowMs: number): Record<string, string> {
    const b = this.bucket(owner, kind, nowMs);
    b.tokens -= cost;
    return this.headers(b, kind);
  }
}
