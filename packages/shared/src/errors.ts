/**
 * One error class for the whole bot. The code decides how callers react:
 * `retryable` → try again with backoff; `outcomeUnknown` → the venue may have acted, reconcile before anything else.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: { retryable: false, outcomeUnknown: false },
  SCHEMA_INVALID: { retryable: false, outcomeUnknown: false },
  HTTP_TIMEOUT: { retryable: true, outcomeUnknown: true },
  HTTP_NETWORK: { retryable: true, outcomeUnknown: true },
  HTTP_SERVER: { retryable: true, outcomeUnknown: true },
  HTTP_RATE_LIMITED: { retryable: true, outcomeUnknown: false },
  HTTP_CLIENT: { retryable: false, outcomeUnknown: false },
  HTTP_NOT_FOUND: { retryable: false, outcomeUnknown: false },
  VENUE_REJECTED: { retryable: false, outcomeUnknown: false },
  ORACLE_STALE: { retryable: true, outcomeUnknown: false },
  PERSISTENCE_FAILED: { retryable: false, outcomeUnknown: false },
  PERSISTENCE_CORRUPT: { retryable: false, outcomeUnknown: false },
  LEASE_LOST: { retryable: false, outcomeUnknown: false },
  HALTED: { retryable: false, outcomeUnknown: false },
  INVALID_TRANSITION: { retryable: false, outcomeUnknown: false },
  LIVE_NOT_CONFIRMED: { retryable: false, outcomeUnknown: false },
} as const satisfies Record<string, { retryable: boolean; outcomeUnknown: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PolybotError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly outcomeUnknown: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PolybotError';
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.outcomeUnknown = ERROR_CODES[code].outcomeUnknown;
    this.details = opts.details;
  }
}

export function isPolybotError(err: unknown, code?: ErrorCode): err is PolybotError {
  return err instanceof PolybotError && (code === undefined || err.code === code);
}
