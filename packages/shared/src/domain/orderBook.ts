import { z } from 'zod';
import { EpochMsSchema, PriceSchema, TickSizeSchema, TokenIdSchema } from './primitives.js';
import { isOnStep } from '../money.js';

export const BookLevelSchema = z.object({ price: PriceSchema, size: z.number().positive() }).strict();
export type BookLevel = z.infer<typeof BookLevelSchema>;

/** Normalised book: both sides best first (bids descending, asks ascending). */
export const OrderBookSchema = z
  .object({
    tokenId: TokenIdSchema,
    conditionId: z.string(),
    bids: z.array(BookLevelSchema),
    asks: z.array(BookLevelSchema),
    timestampMs: EpochMsSchema,
    tickSize: z.number().positive(),
    minOrderSize: z.number().positive(),
    hash: z.string().optional(),
  })
  .strict();
export type OrderBook = z.infer<typeof OrderBookSchema>;

export type BookProblem = 'empty' | 'one_sided' | 'crossed' | 'unsorted' | 'off_grid';

/**
 * Flags a book that must not be used as is; an empty list means usable. `tickSize` is the market's
 * (a market-channel `book` message carries none, so a book's own field may be a placeholder).
 */
export function bookProblems(book: OrderBook, tickSize: number = book.tickSize): BookProblem[] {
  const problems: BookProblem[] = [];
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  if (!bestBid && !bestAsk) problems.push('empty');
  else if (!bestBid || !bestAsk) problems.push('one_sided');
  if (bestBid && bestAsk && bestBid.price >= bestAsk.price) problems.push('crossed');
  const sorted =
    book.bids.every((l, i) => i === 0 || l.price < book.bids[i - 1]!.price) && book.asks.every((l, i) => i === 0 || l.price > book.asks[i - 1]!.price);
  if (!sorted) problems.push('unsorted');
  // A level off the book's tick grid cannot be traded at: the venue refuses such a price.
  const onGrid = (l: { price: number }) => isOnStep(l.price, tickSize);
  if (!book.bids.every(onGrid) || !book.asks.every(onGrid)) problems.push('off_grid');
  return problems;
}

export function midPrice(book: OrderBook): number | null {
  const bid = book.bids[0];
  const ask = book.asks[0];
  return bid && ask ? (bid.price + ask.price) / 2 : null;
}

/**
 * A market's tick size changed at run time (the market channel's `tick_size_change`,
 * docs/polymarket-venue.md §5.2 item 5): ingestion hears it, execution's order signing follows it.
 */
export const TickSizeChangeSchema = z
  .object({
    tokenId: TokenIdSchema,
    tickSize: TickSizeSchema,
    atMs: z.number().int().nonnegative(),
  })
  .strict();
export type TickSizeChange = z.infer<typeof TickSizeChangeSchema>;
