/**
 * orders.json: every state change written atomically (temp file, fsync, rename, fsync of the
 * directory) before anything is acknowledged. A corrupt file stops the worker and is never overwritten.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { EpochMsSchema, ExecutionEventSchema, OrderSchema, PairOrderRequestSchema, PolybotError, type Order } from '@polybot/shared';

export const ORDERS_FILE_VERSION = 1;

/**
 * A two-legged arbitrage and how far it got. Its legs and any unwind are ordinary orders (ids
 * `<leg signal id>` and `<pair id>-unwind`); this record says which belong together and what was decided.
 */
export const PairStateSchema = z.enum([
  /** Legs being placed or in flight. */
  'placing',
  /** Both legs filled the same size: the profit is locked. */
  'complete',
  /** The first leg did not fill: the second was never placed, nothing is held. */
  'abandoned',
  /** One leg filled alone: an unwind is due (waits while halted or without a book). */
  'lone',
  /** The unwind order is placed; done when it is final. */
  'unwinding',
  /** The unwind is final (what it filled is in its order). */
  'unwound',
  /** The lone leg is kept to resolution (too late, no book, or below the venue minimum). */
  'held',
]);
export type PairState = z.infer<typeof PairStateSchema>;
export const FINAL_PAIR_STATES: ReadonlySet<PairState> = new Set(['complete', 'abandoned', 'unwound', 'held']);

export const PairRecordSchema = z
  .object({
    request: PairOrderRequestSchema,
    state: PairStateSchema,
    /** Once complete: pairs held × 1 − what both legs cost with fees (pUSD). */
    lockedProfitUsd: z.number().nullable(),
    /** The lone-leg decision made at the book when it happened. */
    unwind: z
      .object({ action: z.enum(['sell', 'hold']), shares: z.number().positive(), lossPerShare: z.number(), signalRule: z.enum(['sell', 'hold']) })
      .strict()
      .nullable(),
    history: z.array(z.object({ atMs: EpochMsSchema, state: PairStateSchema, note: z.string() }).strict()),
    updatedAtMs: EpochMsSchema,
  })
  .strict();
export type PairRecord = z.infer<typeof PairRecordSchema>;

export const OrdersFileSchema = z
  .object({
    version: z.literal(ORDERS_FILE_VERSION),
    updatedAtMs: z.number().int(),
    orders: z.array(OrderSchema),
    /** Signed orders by id, so a lost post can be re-sent as the very same order (same hash). */
    signed: z.record(z.string(), z.record(z.string(), z.unknown())),
    /** Markets whose positions were settled (a settlement event was emitted). */
    settled: z.array(z.string()),
    /** Execution events written with the state change that caused them, removed once enqueued (an outbox). */
    outbox: z.array(ExecutionEventSchema),
    /** Arbitrage pairs (absent in files written before pairs existed). */
    pairs: z.array(PairRecordSchema).default([]),
    /** Each market's settlement event, kept for trade history (daily PnL); absent in older files. */
    settlements: z.array(ExecutionEventSchema).default([]),
  })
  .strict();
export type OrdersFile = z.infer<typeof OrdersFileSchema>;

export function emptyOrdersFile(): OrdersFile {
  return { version: ORDERS_FILE_VERSION, updatedAtMs: 0, orders: [], signed: {}, settled: [], outbox: [], pairs: [], settlements: [] };
}

export function loadOrdersFile(file: string): OrdersFile {
  if (!existsSync(file)) return emptyOrdersFile();
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolybotError(
      'PERSISTENCE_CORRUPT',
      `${file} is not valid JSON (${(err as Error).message}); it was left untouched. Restore it from a backup or move it aside after checking the venue's open orders.`,
    );
  }
  const parsed = OrdersFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new PolybotError('PERSISTENCE_CORRUPT', `${file} does not match the orders schema (${first}); it was left untouched.`);
  }
  return parsed.data;
}

export function writeOrdersFile(file: string, data: OrdersFile): void {
  writeJsonAtomic(file, data);
}

/** Temp file, fsync, rename, fsync of the directory: after a crash the file is the old or the new one, whole. */
export function writeJsonAtomic(file: string, data: unknown): void {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}`;
  const body = `${JSON.stringify(data, null, 1)}\n`;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch (err) {
    throw new PolybotError('PERSISTENCE_FAILED', `could not write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export type { Order };
