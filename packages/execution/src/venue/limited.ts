/**
 * The venue port behind the shared rate limiter: each call first waits its turn under the venue's
 * per-IP limit for its endpoint and the CLOB's overall one, shared by every process on this IP
 * (through Redis, `@polybot/shared/redisRateLimit`); cancels also under the signer's cancel bucket.
 * The order bucket is taken by placement itself (it also pauses it on a 429). Sources:
 * docs/polymarket-venue.md §5.6; docs/polymarket.md "Rate limits".
 */
import { VENUE_LIMITS, type NamedLimit, type RateLimiter } from '@polybot/shared';
import type { ClobPort } from './port.js';

export function rateLimitedPort<P extends ClobPort>(port: P, limiter: RateLimiter, signer: string): P {
  const L = VENUE_LIMITS;
  const limited =
    <A extends unknown[], R>(limits: NamedLimit[], fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      await limiter.acquire(limits);
      return fn(...a);
    };
  return {
    ...port,
    post: limited([L.clob], port.post.bind(port)),
    postMany: limited([L.clob], port.postMany.bind(port)),
    getOrder: limited([L.order, L.clob], port.getOrder.bind(port)),
    tradesFor: limited([L.trades, L.clob], port.tradesFor.bind(port)),
    cancel: limited([L.cancelBucket(signer), L.cancel, L.clob], port.cancel.bind(port)),
    cancelAll: limited([L.cancelAll, L.clob], port.cancelAll.bind(port)),
    heartbeat: limited([L.heartbeat, L.clob], port.heartbeat.bind(port)),
    winner: limited([L.markets, L.clob], port.winner.bind(port)),
    collateral: limited([L.balance, L.clob], port.collateral.bind(port)),
  };
}
