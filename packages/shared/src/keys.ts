import type { Asset } from './domain/primitives.js';

/**
 * Redis key names shared by every process. All keys live under the queue prefix, which is
 * hash-tagged by default (`{polybot}`), so the same code runs on Redis Cluster.
 */
export function redisKeys(prefix: string) {
  return {
    oracleLatest: (asset: Asset) => `${prefix}:oracle:latest:${asset}`,
    /** Sorted set of recent oracle ticks (score = timestamp ms) for calibration. */
    oracleHistory: (asset: Asset) => `${prefix}:oracle:history:${asset}`,
    priceToBeat: (conditionId: string) => `${prefix}:ptb:${conditionId}`,
    /** Sorted set of recent top-of-book change times per token (score = ms), capped and expiring. */
    bookChanges: (tokenId: string) => `${prefix}:book:changes:${tokenId}`,
    breaker: `${prefix}:risk:breaker`,
    breakerTrips: `${prefix}:risk:breaker:trips`,
    riskLedger: `${prefix}:risk:ledger`,
    /** Hash of exposure reserved by orders risk sent and execution has not finished (order id → reservation). */
    riskReservations: `${prefix}:risk:reservations`,
    /** The limits the risk worker runs with (the daily-loss limit a resume is checked against). */
    riskLimits: `${prefix}:risk:limits`,
    /** Sorted set of recent errors (score = time) for the error-rate rule. */
    riskErrors: `${prefix}:risk:errors`,
    /** A signal already decided by some risk replica (short TTL): redeliveries are not re-sized. */
    riskDecided: (signalId: string) => `${prefix}:risk:decided:${signalId}`,
    executionLease: `${prefix}:execution:lease`,
    /** Pub/sub channel for control messages (halt → cancel open orders). */
    controlChannel: `${prefix}:control`,
    /** Pub/sub channel: the market channel's `tick_size_change`, from ingestion to execution (TickSizeChangeSchema). */
    tickSizeChannel: `${prefix}:tick-size`,
    workerHeartbeat: (kind: string, id: string) => `${prefix}:workers:${kind}:${id}`,
    workersPattern: `${prefix}:workers:*`,
    status: (name: string) => `${prefix}:status:${name}`,
    /** The last UTC day (YYYY-MM-DD) whose daily summary alert went out. */
    alertsDailySummaryDay: `${prefix}:alerts:daily-summary-day`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
