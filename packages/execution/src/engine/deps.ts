/** What every job of the engine shares: the order record, the venue, the config, one clock. */
import type { Logger } from 'pino';
import type { BookLevel, OrderRequest, RateLimiter } from '@polybot/shared';
import type { Clock } from '../clock.js';
import type { HardLimits } from '../hardLimits.js';
import type { OrderManager } from '../orderManager.js';
import type { ClobPort } from '../venue/port.js';

export interface EngineConfig {
  /** No new order, and resting ones are cancelled, this close to the window's end. */
  cancelBeforeEndMs: number;
  /** Wait after a window ends before asking for its resolution. */
  settleAfterMs: number;
  /** The venue's per-signer order bucket (standard tier 40/s, burst 60), kept by `limiter`. */
  ordersPerS?: number;
  orderBurst?: number;
  /** The rate limiter orders wait on: the worker passes the one shared through Redis (default: one in memory). */
  limiter?: RateLimiter;
  /** Whose order bucket it is (the signer's address): every process signing for it shares it. */
  signer?: string;
  /** Back-off after a 429 when the venue's Retry-After is not visible to us. */
  rateLimitBackoffMs?: number;
  /** Posts tried per job when the venue answers 429 (the order is not there: safe to re-send). */
  maxRateLimitedPosts?: number;
  /** An in-flight order the venue never saw is given up (expired) this long after its window ends. */
  giveUpAfterEndMs?: number;
  /** Heartbeat period; a resting order is never posted on a heartbeat older than this. */
  heartbeatEveryMs?: number;
  /** A pair whose first leg could not be placed this long after risk decided it is dropped (default 10 s). */
  pairStartTimeoutMs?: number;
  /** Execution's own hard limits (see hardLimits.ts); the worker always sets them, unit tests may leave them out. */
  limits?: HardLimits;
  /** The one clock of the engine (default: the system clock). */
  clock?: Clock;
  /**
   * Up+Down pairs of a market merged back into pUSD (money/treasury.ts): settlement books only what
   * is still held, and waits while a merge is in flight. Absent: nothing is ever merged.
   */
  merged?: (conditionId: string) => { shares: number; costUsd: number; feesUsd: number; pending: boolean };
  /** Execution's own check that the account can pay for an order, after `alsoUsd` that other orders of its batch take (null = it can); refused before signing. */
  funds?: (r: OrderRequest, alsoUsd?: number) => string | null;
}

/** The current book of a token, best first on both sides (null: none). Used to unwind a lone arbitrage leg. */
export type BookReader = (tokenId: string) => Promise<{ bids: BookLevel[]; asks: BookLevel[] } | null>;

export interface EngineDeps {
  manager: OrderManager;
  port: ClobPort;
  cfg: EngineConfig;
  logger: Logger;
  isHalted: () => Promise<boolean>;
  books: BookReader | undefined;
  clock: Clock;
}
