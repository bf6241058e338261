/**
 * money.json: every redemption, merge and approval batch (a "chain action") and how far it got,
 * with an outbox of the execution events its confirmation produced. Written atomically (the same
 * temp-file, fsync, rename, fsync-directory as orders.json) before each relayer request, so a
 * crash at any point leaves a record that says what may have reached the relayer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AssetSchema, ExecutionEventSchema, PolybotError, type ExecutionEvent } from '@polybot/shared';
import { writeJsonAtomic } from '../orderStore.js';

export const ChainActionStateSchema = z.enum([
  /** Decided; nothing signed yet (also after an attempt that provably did nothing on chain). */
  'planned',
  /** Nonce read and batch signed and recorded; it may or may not have reached the relayer. */
  'signed',
  /** The relayer accepted it (transaction id known); polling until confirmed or failed. */
  'submitted',
  /** STATE_CONFIRMED: done, its event emitted. */
  'confirmed',
  /** Given up after its attempts failed on chain (each left no trace), or refused outright. */
  'failed',
]);
export type ChainActionState = z.infer<typeof ChainActionStateSchema>;
export const FINAL_ACTION_STATES: ReadonlySet<ChainActionState> = new Set(['confirmed', 'failed']);

const CallSchema = z.object({ target: z.string(), value: z.string(), data: z.string() }).strict();

export const ChainActionSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,120}$/),
    kind: z.enum(['redeem', 'merge', 'approve']),
    conditionId: z.string().nullable(),
    asset: AssetSchema.nullable(),
    /** merge: pairs merged; redeem: winning shares redeemed (each pays 1 pUSD). */
    shares: z.number().nonnegative(),
    /** pUSD the action brings in (merge: the pairs; redeem: the winning shares). */
    amountUsd: z.number().nonnegative(),
    /** merge: what the merged shares cost and their fees, taken off the market's position. */
    costUsd: z.number(),
    feesUsd: z.number().nonnegative(),
    winner: z.enum(['UP', 'DOWN']).nullable(),
    calls: z.array(CallSchema).min(1),
    state: ChainActionStateSchema,
    attempt: z.number().int().positive(),
    nonce: z.string().nullable(),
    deadlineS: z.number().int().nullable(),
    /** The signed submit body of the current attempt (re-sent unchanged after a lost answer). */
    batch: z.record(z.string(), z.unknown()).nullable(),
    transactionId: z.string().nullable(),
    transactionHash: z.string().nullable(),
    /**
     * When the relayer was first seen reporting the batch STATE_MINED: its effects are on chain and
     * in the pUSD balance from then on, while the action stays `submitted` until STATE_CONFIRMED (the
     * SDK's success). The venue account and the risk ledger (the merge event) count it from here.
     */
    minedAtMs: z.number().int().nullable().default(null),
    error: z.string().nullable(),
    history: z.array(z.object({ atMs: z.number().int(), state: ChainActionStateSchema, note: z.string() }).strict()),
    createdAtMs: z.number().int(),
    updatedAtMs: z.number().int(),
  })
  .strict();
export type ChainAction = z.infer<typeof ChainActionSchema>;

export const MoneyFileSchema = z
  .object({
    version: z.literal(1),
    updatedAtMs: z.number().int(),
    actions: z.array(ChainActionSchema),
    outbox: z.array(ExecutionEventSchema),
  })
  .strict();
export type MoneyFile = z.infer<typeof MoneyFileSchema>;

export function loadMoneyFile(file: string): MoneyFile {
  if (!existsSync(file)) return { version: 1, updatedAtMs: 0, actions: [], outbox: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PolybotError(
      'PERSISTENCE_CORRUPT',
      `${file} is not valid JSON (${(err as Error).message}); it was left untouched. Check the relayer's transactions before moving it aside.`,
    );
  }
  const parsed = MoneyFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new PolybotError('PERSISTENCE_CORRUPT', `${file} does not match the money schema (${first}); it was left untouched.`);
  }
  return parsed.data;
}

/** The record and its outbox, in memory; `commit` writes it whole (small: bounded below). */
export class MoneyStore {
  private data: MoneyFile;
  constructor(
    private readonly file: string | null,
    initial?: MoneyFile,
  ) {
    this.data = initial ?? (file ? loadMoneyFile(file) : { version: 1, updatedAtMs: 0, actions: [], outbox: [] });
  }
  commit(nowMs: number): void {
    this.data.updatedAtMs = nowMs;
    // Keep it bounded: final actions older than a day are dropped (their events went out with them).
    const cutoff = nowMs - 86_400_000;
    this.data.actions = this.data.actions.filter((a) => !FINAL_ACTION_STATES.has(a.state) || a.updatedAtMs >= cutoff);
    if (this.file) writeJsonAtomic(this.file, this.data);
  }
  actions(): readonly ChainAction[] {
    return this.data.actions;
  }
  get(id: string): ChainAction | undefined {
    return this.data.actions.find((a) => a.id === id);
  }
  add(a: ChainAction): void {
    if (this.get(a.id)) throw new Error(`chain action ${a.id} exists already`);
    this.data.actions.push(a);
  }
  move(a: ChainAction, state: ChainActionState, note: string, nowMs: number, patch: Partial<ChainAction> = {}): void {
    Object.assign(a, patch);
    a.state = state;
    a.updatedAtMs = nowMs;
    a.history.push({ atMs: nowMs, state, note: note.slice(0, 300) });
  }
  emit(e: ExecutionEvent): void {
    if (!this.data.outbox.some((x) => x.id === e.id)) this.data.outbox.push(e);
  }
  outbox(): readonly ExecutionEvent[] {
    return this.data.outbox;
  }
  ackOutbox(ids: readonly string[], nowMs: number): void {
    if (!ids.length) return;
    const set = new Set(ids);
    this.data.outbox = this.data.outbox.filter((e) => !set.has(e.id));
    this.commit(nowMs);
  }
}
