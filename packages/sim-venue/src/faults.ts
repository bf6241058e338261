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
