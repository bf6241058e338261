/**
 * The venue as execution needs it, in domain terms. Venue strings (order and trade statuses,
 * error texts, HTTP statuses) are translated by the adapter (`clobV2.ts`, the paper venue, the
 * test fake); nothing above this port parses them.
 */
import type { OrderRequest, OrderType, TradeStatus } from '@polybot/shared';

/** Why the venue refused an order, by kind (the text is kept for the record). */
export type RejectReason =
  | 'killed' // FOK not fully filled / FAK found nothing: cancelled unfilled
  | 'post_only_crosses'
  | 'min_size'
  | 'precision'
  | 'tick_size'
  | 'balance'
  | 'market_not_ready'
  | 'auth' // signer / maker / owner / signature
  | 'expiration'
  | 'other';

/** Venue-wide states in which new orders are not taken (cancels still are). */
export type VenueMode = 'restarting' | 'cancel_only' | 'post_only';

/** What the venue said to a post. A lost or unreadable answer is not an outcome: the port throws VenueOutcomeUnknownError. */
export type PostOutcome =
  | { kind: 'accepted'; status: 'live' | 'matched' | 'delayed' | 'unmatched'; makingAmount: number; takingAmount: number }
  | { kind: 'rejected'; reason: RejectReason; message: string }
  | { kind: 'duplicate' }
  | { kind: 'rate_limited'; retryAfterMs: number | null }
  | { kind: 'unavailable'; mode: VenueMode; retryAfterMs: number | null };

/** An order the venue still lists as active, or one it reports final. */
export type VenueOrderStatus = 'live' | 'delayed' | 'matched' | 'canceled' | 'invalid';

export interface VenueOrder {
  status: VenueOrderStatus;
  sizeMatched: number;
  /** The venue's own words for a final status (a kill reason, "market resolved"). */
  note?: string;
}

export interface VenueTrade {
  id: string;
  /** Our order this trade filled (the taker order, or one of ours among the makers). */
  orderId: string;
  size: number;
  price: number;
  /** Makers pay no fee. A taker fee the venue did not state is computed from the market's rate. */
  role: 'taker' | 'maker';
  fee: number | null;
  status: TradeStatus;
  atMs: number;
}

export interface Collateral {
  /** pUSD, in dollars. */
  balanceUsd: number;
  /** The smallest allowance granted to the exchange contracts, in dollars. */
  allowanceUsd: number;
}

/** The request as it will reach the venue (price and shares the amounts stand for), its id and the signed order. */
export interface SignedRequest {
  id: string;
  signed: Record<string, unknown>;
  request: OrderRequest;
}

/** The answer to a post was lost or unreadable (timeout, connection reset, 5xx): the order may exist. Reconcile. */
export class VenueOutcomeUnknownError extends Error {
  readonly kind = 'outcome_unknown';
  constructor(message: string) {
    super(message);
    this.name = 'VenueOutcomeUnknownError';
  }
}

/** The request cannot be sent on the venue's rules as it stands (recorded as rejected, never posted). */
export class OrderSizingError extends Error {
  readonly kind = 'sizing';
  constructor(message: string) {
    super(message);
    this.name = 'OrderSizingError';
  }
}

export function isOutcomeUnknown(err: unknown): err is VenueOutcomeUnknownError {
  return err instanceof VenueOutcomeUnknownError || (typeof err === 'object' && err !== null && (err as { kind?: unknown }).kind === 'outcome_unknown');
}

/** The CLOB as execution needs it. Sim and live share one implementation. */
export interface ClobPort {
  /** Sizes the request on the venue's precision rules, builds and signs it; its id (the order hash) is known before posting. Throws when it cannot be sized. */
  sign(r: OrderRequest): Promise<SignedRequest>;
  /** Throws VenueOutcomeUnknownError when the answer is lost (the order may exist). */
  post(signed: Record<string, unknown>, orderType: OrderType, postOnly?: boolean): Promise<PostOutcome>;
  /** Several orders in one request (`POST /orders`, ≤ 15); one outcome per order, in order. */
  postMany(orders: ReadonlyArray<{ signed: Record<string, unknown>; orderType: OrderType; postOnly?: boolean }>): Promise<PostOutcome[]>;
  /** null when the venue lists no such active order (never arrived, or final: filled, cancelled). Throws when the venue cannot answer. */
  getOrder(id: string): Promise<VenueOrder | null>;
  tradesFor(conditionId: string): Promise<VenueTrade[]>;
  cancel(id: string): Promise<void>;
  cancelAll(): Promise<void>;
  heartbeat(previousId: string): Promise<string>;
  /** The winning outcome once the market has resolved, else null. */
  winner(conditionId: string): Promise<'UP' | 'DOWN' | null>;
  /** pUSD balance and allowance (checked at start-up). */
  collateral(): Promise<Collateral>;
  /**
   * `/balance-allowance` for pUSD or one outcome token, in base units (1e6 = 1 pUSD or 1 share), after
   * `/balance-allowance/update` when `refresh` (the CLOB caches balances; polymarket-venue.md §1, §4).
   * Absent on venues without an account (paper).
   */
  balanceAllowance?(
    asset: { kind: 'collateral' } | { kind: 'token'; tokenId: string },
    refresh: boolean,
  ): Promise<{ balance: bigint; allowances: Record<string, bigint> }>;
  /** The market's current tick size (cached; refreshed by `tickSizeChanged`). */
  tickSize?(tokenId: string): Promise<number>;
  /** The venue said the tick changed (market channel `tick_size_change`, or a tick-size rejection). */
  tickSizeChanged?(tokenId: string, tick?: number): void;
}
