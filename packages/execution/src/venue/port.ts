import type { OrderRequest, OrderType } from '@polybot/shared';

/** What the venue said to a post. `unknown` is never a rejection: the order may exist; ask the venue. */
export type PostOutcome =
  | { kind: 'accepted'; status: string }
  | { kind: 'rejected'; message: string; killed: boolean }
  | { kind: 'duplicate' }
  | { kind: 'rate_limited'; retryAfterMs: number | null }
  | { kind: 'unknown'; message: string };

export interface VenueOrder {
  status: string;
  sizeMatched: number;
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
  status: string;
  atMs: number;
}

export interface Collateral {
  /** pUSD, in dollars. */
  balanceUsd: number;
  /** The smallest allowance granted to the exchange contracts, in dollars. */
  allowanceUsd: number;
}

/** The CLOB as execution needs it. Sim and live share one implementation on the official client. */
export interface ClobPort {
  /** Builds and signs the order; its id (the order hash) is known before posting. */
  sign(r: OrderRequest): Promise<{ id: string; signed: Record<string, unknown> }>;
  post(signed: Record<string, unknown>, orderType: OrderType): Promise<PostOutcome>;
  /** null when the venue does not know the order (it never arrived). Throws when the venue cannot answer. */
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
}
