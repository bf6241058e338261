import { z } from 'zod';

/** Fault switches, all off by default, settable at run time through POST /sim/faults. */
export const FaultsSchema = z
  .object({
    /** Probability that any API request gets 429 with Retry-After. */
    rate429: z.number().min(0).max(1).default(0),
    retryAfterSeconds: z.number().int().min(0).max(60).default(1),
    /** The next N API requests answer 500. */
    burst500: z.number().int().min(0).default(0),
    /** Extra latency added to every API request (ms); above a client's timeout this is a timeout. */
    delayMs: z.number().int().min(0).max(120_000).default(0),
    /** The next N accepted orders lose their response (the connection is destroyed after acceptance). */
    dropAfterAccept: z.number().int().min(0).default(0),
    /** Pretend every heartbeat has expired: cancel all of an owner's orders on its next heartbeat. */
    missHeartbeats: z.boolean().default(false),
    /** The next N Gamma responses are malformed JSON; the next N book responses violate the schema. */
    malformedGamma: z.number().int().min(0).default(0),
    malformedBooks: z.number().int().min(0).default(0),
    /** Probability that a trade ends FAILED on chain instead of MINED. */
    failTrades: z.number().min(0).max(1).default(0),
    /** The next N relayer transactions revert on chain: STATE_FAILED, no nonce used, nothing moved (relayer.ts). */
    failRelayer: z.number().int().min(0).default(0),
    /** The next N marketable GTC/GTD orders fail to delay: answered `unmatched`, resting (§5.3 item 11). */
    failDelays: z.number().int().min(0).default(0),
    /** The matching engine restarts for this long from now: trading endpoints answer 425 (§5.6 item 21). */
    restartForMs: z.number().int().min(0).max(600_000).default(0),
    /** Cancel-only mode: new orders get 503, cancels work (§5.6 item 21). */
    cancelOnly: z.boolean().default(false),
    /** Post-only mode: orders that are not post-only get 503 `post_only_mode` (§5.6 item 21). */
    postOnlyMode: z.boolean().default(false),
    /** The caller's IP is in a blocked jurisdiction (`GET /api/geoblock`, §5.6 item 22). */
    geoblocked: z.boolean().default(false),
    /** Every account is in closed-only mode (`GET /auth/ban-status/closed-only`, §5.6 item 21). */
    closedOnly: z.boolean().default(false),
    /**
     * `GET /time` (unix seconds, docs/polymarket.md §3) reads this far ahead of the host's clock: the
     * venue's clock against a client whose clock is off by as much the other way.
     */
    clockOffsetMs: z.number().int().min(-3_600_000).max(3_600_000).default(0),
  })
  .strict();
export type Faults = z.infer<typeof FaultsSchema>;

export function defaultFaults(): Faults {
  return FaultsSchema.parse({});
}

export interface FaultCounters {
  injected429: number;
  injected500: number;
  dropped: number;
  malformed: number;
  heartbeatsMissed: number;
}
