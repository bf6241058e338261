/**
 * The order store: SQLite (better-sqlite3) in WAL mode, `$POLYBOT_DATA_DIR/orders.db`.
 *
 * - One transaction per commit: the orders, pairs, settled markets and outbox events that changed
 *   since the last commit, all or nothing (synchronous=FULL: a commit that returned is on disk).
 *   Nothing is rewritten that did not change.
 * - History stays queryable (`openOrderHistory`: orders and fills since a time, by market) and
 *   leaves memory a day after its window ended (`OrderManager` asks `findOrder` for it then).
 * - A database SQLite cannot read, or a row that breaks the schema, stops execution with a clear
 *   message and is never written to. A failed write throws PERSISTENCE_FAILED and is rolled back:
 *   the caller stops rather than trade unrecorded.
 * - An `orders.json` from before is migrated on first start (one transaction), then renamed
 *   `orders.json.migrated`; a corrupt one stops the worker and is left untouched, as before.
 * - Each market's settlement event is kept in `settlements`, written in the same transaction as the
 *   `settled` mark and the outbox event, for trade history (daily PnL). It is history: never loaded
 *   into memory. A store written before that table existed gets, once, the settlements still in its
 *   outbox and in the `orders.json.migrated` it came from (the ones already shipped are gone).
 * - Merges of Up+Down pairs into pUSD realise their PnL when they confirm (risk books them then):
 *   the worker records each merge event in `merges` before it ships it from money.json's outbox
 *   (`recordMerges`, idempotent by id), so trade history's daily PnL is risk's.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { ExecutionEventSchema, OrderSchema, PolybotError, TERMINAL_ORDER_STATES, type ExecutionEvent, type Order } from '@polybot/shared';
import type { OrderPersistence } from './orderManager.js';
import { emptyOrdersFile, loadOrdersFile, PairRecordSchema, type OrdersFile, type PairRecord } from './orderStore.js';

export {
  emptyOrdersFile,
  loadOrdersFile,
  writeOrdersFile,
  writeJsonAtomic,
  OrdersFileSchema,
  ORDERS_FILE_VERSION,
  PairRecordSchema,
  FINAL_PAIR_STATES,
  type OrdersFile,
  type PairRecord,
  type PairState,
} from './orderStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, condition_id TEXT NOT NULL, asset TEXT NOT NULL, state TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, window_end_ms INTEGER NOT NULL,
  active INTEGER NOT NULL, json TEXT NOT NULL, signed TEXT);
CREATE INDEX IF NOT EXISTS orders_active ON orders(active);
CREATE INDEX IF NOT EXISTS orders_updated ON orders(updated_at_ms);
CREATE INDEX IF NOT EXISTS orders_market ON orders(condition_id, updated_at_ms);
CREATE TABLE IF NOT EXISTS fills (
  order_id TEXT NOT NULL, trade_id TEXT NOT NULL, condition_id TEXT NOT NULL, asset TEXT NOT NULL, outcome TEXT NOT NULL,
  side TEXT NOT NULL, status TEXT NOT NULL, size REAL NOT NULL, price REAL NOT NULL, fee REAL NOT NULL, at_ms INTEGER NOT NULL,
  PRIMARY KEY (order_id, trade_id));
CREATE INDEX IF NOT EXISTS fills_at ON fills(at_ms);
CREATE INDEX IF NOT EXISTS fills_market ON fills(condition_id, at_ms);
CREATE TABLE IF NOT EXISTS pairs (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at_ms INTEGER NOT NULL, active INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settled (condition_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, reason TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settlements (
  id TEXT PRIMARY KEY, condition_id TEXT NOT NULL, asset TEXT NOT NULL, at_ms INTEGER NOT NULL, realised_pnl_usd REAL NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS settlements_at ON settlements(at_ms);
CREATE INDEX IF NOT EXISTS settlements_market ON settlements(condition_id, at_ms);
CREATE TABLE IF NOT EXISTS merges (
  id TEXT PRIMARY KEY, condition_id TEXT NOT NULL, asset TEXT NOT NULL, at_ms INTEGER NOT NULL, realised_pnl_usd REAL NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS merges_at ON merges(at_ms);
`;
const SCHEMA_VERSION = '2';

/** A market's settlement: what was held, the winner, cost, fees, payout and realised PnL. */
export type SettlementEvent = Extract<ExecutionEvent, { type: 'settlement' }>;
export const SettlementEventSchema = ExecutionEventSchema.refine(
  (e) => e.type === 'settlement',
  'not a settlement event',
) as unknown as z.ZodType<SettlementEvent>;
const isSettlement = (e: unknown): e is SettlementEvent => SettlementEventSchema.safeParse(e).success;

/** Up+Down pairs merged into pUSD: the PnL realised at the merge is amountUsd − costUsd − feesUsd. */
export type MergeEvent = Extract<ExecutionEvent, { type: 'merge' }>;
export const MergeEventSchema = ExecutionEventSchema.refine((e) => e.type === 'merge', 'not a merge event') as unknown as z.ZodType<MergeEvent>;
export const mergePnlUsd = (e: MergeEvent): number => Math.round((e.amountUsd - e.costUsd - e.feesUsd) * 1e6) / 1e6;

const SignedSchema = z.record(z.string(), z.unknown());

function corrupt(file: string, why: string): PolybotError {
  return new PolybotError(
    'PERSISTENCE_CORRUPT',
    `${file} cannot be read as the order store (${why}); it was left untouched. Restore it from a backup, or move it aside after checking the venue's open orders.`,
  );
}

/** Opens read-only first and checks it, so a damaged file is never written to. */
function checkReadable(file: string): void {
  if (!existsSync(file)) return;
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check') as Array<Record<string, unknown>>;
    const verdict = rows.map((r) => String(Object.values(r)[0])).join('; ');
    if (verdict !== 'ok') throw corrupt(file, `integrity check: ${verdict.slice(0, 200)}`);
  } catch (err) {
    if (err instanceof PolybotError) throw err;
    throw corrupt(file, (err as Error).message);
  } finally {
    db?.close();
  }
}

function parseRow<T>(file: string, schema: z.ZodType<T>, json: string, what: string): T {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw corrupt(file, `${what} is not JSON: ${(err as Error).message}`);
  }
  const p = schema.safeParse(v);
  if (!p.success)
    throw corrupt(
      file,
      `${what} breaks the schema: ${p.error.issues
        .slice(0, 2)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return p.data;
}

/** Frozen: terminal, every fill final, and its window long over (nothing can change it any more). */
const frozen = (o: Order, nowMs: number) =>
  TERMINAL_ORDER_STATES.has(o.state) && o.fills.every((f) => f.status === 'CONFIRMED' || f.status === 'FAILED') && nowMs > o.request.windowEndMs + 600_000;

/**
 * The orders and pairs the caller changed since its last successful commit (`OrderManager`, the only
 * writer of its records, names each one it touches). Without it every record in play is serialised
 * and compared, which grows with the orders held (a day's worth) at every commit.
 */
export interface ChangedRecords {
  orders: ReadonlySet<string>;
  pairs: ReadonlySet<string>;
}

export interface SqliteStoreOptions {
  /** Frozen orders (and final pairs) leave memory this long after their window ended (default a day). */
  retainMs?: number;
  /** How long a write waits for a lock held by another connection before it fails (default 5 s). */
  busyTimeoutMs?: number;
}

export class SqliteOrderStore implements OrderPersistence {
  private readonly db: Database.Database;
  private readonly orderJson = new Map<string, string>();
  private readonly pairJson = new Map<string, string>();
  /** Settled markets written, of those the caller still holds (it drops the ones no order in memory refers to). */
  private settledSaved = new Set<string>();
  private readonly outboxSaved = new Set<string>();
  /** Statements compiled once, on first use (not at every commit: two commits per order). */
  private stmts: ReturnType<SqliteOrderStore['prepare']> | null = null;
  readonly retainMs: number;

  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    this.retainMs = opts.retainMs ?? 24 * 3_600_000;
    checkReadable(file);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(opts.busyTimeoutMs ?? 5_000))}`);
      this.db.exec(SCHEMA);
      this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
    } catch (err) {
      throw new PolybotError('PERSISTENCE_FAILED', `cannot open ${file} for writing: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The records still in play, plus a migrated orders.json on first start. */
  load(): OrdersFile {
    this.migrateJson();
    this.backfillSettlements();
    const data = emptyOrdersFile();
    for (const r of this.db.prepare('SELECT id, json, signed FROM orders WHERE active = 1 ORDER BY created_at_ms, rowid').all() as Array<{
      id: string;
      json: string;
      signed: string | null;
    }>) {
      const o = parseRow(this.file, OrderSchema, r.json, `order ${r.id}`);
      data.orders.push(o);
      this.orderJson.set(r.id, r.json);
      if (r.signed) data.signed[r.id] = parseRow(this.file, SignedSchema, r.signed, `signed order ${r.id}`);
    }
    for (const r of this.db.prepare('SELECT id, json FROM pairs WHERE active = 1 ORDER BY rowid').all() as Array<{ id: string; json: string }>) {
      data.pairs.push(parseRow(this.file, PairRecordSchema, r.json, `pair ${r.id}`));
      this.pairJson.set(r.id, r.json);
    }
    // Only the settled marks of markets with an order in play: the rest is asked for by `isSettled`.
    for (const r of this.db
      .prepare('SELECT condition_id FROM settled WHERE condition_id IN (SELECT condition_id FROM orders WHERE active = 1)')
      .all() as Array<{ condition_id: string }>) {
      data.settled.push(r.condition_id);
      this.settledSaved.add(r.condition_id);
    }
    for (const r of this.db.prepare('SELECT id, json FROM outbox ORDER BY seq').all() as Array<{ id: string; json: string }>) {
      // An event that fails its schema is set aside, never a blocker (the outbox quarantines it on the next commit).
      let v: unknown;
      try {
        v = JSON.parse(r.json);
      } catch {
        v = { id: r.id, unreadable: r.json.slice(0, 200) };
      }
      data.outbox.push(v as ExecutionEvent);
      this.outboxSaved.add(r.id);
    }
    const updated = this.db.prepare(`SELECT value FROM meta WHERE key = 'updatedAtMs'`).get() as { value: string } | undefined;
    data.updatedAtMs = updated ? Number(updated.value) : 0;
    return data;
  }

  /** An order no longer in memory (history), by id. */
  findOrder(id: string): Order | undefined {
    const r = this.db.prepare('SELECT json FROM orders WHERE id = ?').get(id) as { json: string } | undefined;
    return r ? parseRow(this.file, OrderSchema, r.json, `order ${id}`) : undefined;
  }

  /** Whether a market was settled (its mark is on disk even when no order of it is in memory any more). */
  isSettled(conditionId: string): boolean {
    return this.statements().isSettled.get(conditionId) !== undefined;
  }

  findPair(id: string): PairRecord | undefined {
    const r = this.db.prepare('SELECT json FROM pairs WHERE id = ?').get(id) as { json: string } | undefined;
    return r ? parseRow(this.file, PairRecordSchema, r.json, `pair ${id}`) : undefined;
  }

  /**
   * Writes what changed, in one transaction, and says which records may leave memory (already on
   * disk as they are). Throws PERSISTENCE_FAILED (nothing written) when it cannot.
   */
  save(
    data: OrdersFile,
    nowMs: number,
    quarantined: ReadonlyArray<{ event: unknown; reason: string }> = [],
    changed?: ChangedRecords,
  ): { evictOrders: string[]; evictPairs: string[]; ordersWritten: number } {
    const evictOrders: string[] = [];
    const evictPairs: string[] = [];
    const orderRows: Array<{ o: Order; json: string; active: number; isNew: boolean }> = [];
    for (const o of data.orders) {
      const id = o.request.id;
      const isFrozen = frozen(o, nowMs);
      const leaves = isFrozen && nowMs > o.request.windowEndMs + this.retainMs;
      if (leaves) evictOrders.push(id);
      if (isFrozen && this.orderJson.has(id) && !leaves) continue; // cannot have changed
      // Written before and not changed since (the caller names what it changed): not serialised again.
      if (changed && !changed.orders.has(id) && this.orderJson.has(id) && !leaves) continue;
      const json = JSON.stringify(o);
      if (this.orderJson.get(id) === json && !leaves) continue;
      orderRows.push({ o, json, active: leaves ? 0 : 1, isNew: !this.orderJson.has(id) });
    }
    const pairRows: Array<{ p: PairRecord; json: string; active: number }> = [];
    const legsLeaving = new Set(evictOrders);
    const inMemory = data.pairs.length ? new Set(data.orders.map((o) => o.request.id)) : null;
    for (const p of data.pairs) {
      const leaves = p.request.legs.every((l) => legsLeaving.has(l.id) || !inMemory!.has(l.id)) && nowMs > p.request.legs[0].windowEndMs + this.retainMs;
      if (leaves) evictPairs.push(p.request.id);
      if (changed && !changed.pairs.has(p.request.id) && this.pairJson.has(p.request.id) && !leaves) continue;
      const json = JSON.stringify(p);
      if (this.pairJson.get(p.request.id) === json && !leaves) continue;
      pairRows.push({ p, json, active: leaves ? 0 : 1 });
    }
    // The caller drops settled marks no order in memory refers to any more: so does this set.
    if (this.settledSaved.size > data.settled.length) this.settledSaved = new Set(data.settled.filter((c) => this.settledSaved.has(c)));
    const newSettled = data.settled.filter((c) => !this.settledSaved.has(c));
    // Settlement events are history: written (once, by id) and then dropped from memory by the caller.
    const settlements = data.settlements.filter(isSettlement);
    const inOutbox = new Set(data.outbox.map((e) => e.id));
    const newEvents = data.outbox.filter((e) => !this.outboxSaved.has(e.id));
    const ackedEvents = [...this.outboxSaved].filter((id) => !inOutbox.has(id));
    if (!orderRows.length && !pairRows.length && !newSettled.length && !settlements.length && !newEvents.length && !ackedEvents.length && !quarantined.length)
      return { evictOrders, evictPairs, ordersWritten: 0 };
    try {
      const { upsertOrder, delFills, insFill, upsertPair, insSettled, insSettlement, insEvent, delEvent, insQuarantine, setMeta } = this.statements();
      const tx = this.db.transaction(() => {
        for (const { o, json, active, isNew } of orderRows) {
          const r = o.request;
          const signed = isNew && data.signed[r.id] ? JSON.stringify(data.signed[r.id]) : null;
          upsertOrder.run({
            id: r.id,
            cid: r.conditionId,
            asset: r.asset,
            state: o.state,
            created: r.createdAtMs,
            updated: o.updatedAtMs,
            end: r.windowEndMs,
            active,
            json,
            signed,
          });
          delFills.run(r.id);
          for (const f of o.fills) insFill.run(r.id, f.tradeId, r.conditionId, r.asset, r.outcome, r.side, f.status, f.size, f.price, f.fee, f.atMs);
        }
        for (const { p, json, active } of pairRows) upsertPair.run(p.request.id, p.state, p.updatedAtMs, active, json);
        for (const c of newSettled) insSettled.run(c);
        for (const e of settlements) insSettlement(e);
        for (const e of newEvents) insEvent.run(e.id, JSON.stringify(e));
        for (const id of ackedEvents) delEvent.run(id);
        for (const q of quarantined) {
          const id = typeof (q.event as { id?: unknown })?.id === 'string' ? (q.event as { id: string }).id : `unknown-${nowMs}`;
          insQuarantine.run(id, nowMs, q.reason.slice(0, 500), JSON.stringify(q.event) ?? 'null');
        }
        setMeta.run(String(nowMs));
      });
      tx();
    } catch (err) {
      throw new PolybotError('PERSISTENCE_FAILED', `could not write ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    // Only once it is on disk.
    for (const { o, json } of orderRows) this.orderJson.set(o.request.id, json);
    for (const { p, json } of pairRows) this.pairJson.set(p.request.id, json);
    for (const c of newSettled) this.settledSaved.add(c);
    for (const e of newEvents) this.outboxSaved.add(e.id);
    for (const id of ackedEvents) this.outboxSaved.delete(id);
    for (const id of evictOrders) this.orderJson.delete(id);
    for (const id of evictPairs) this.pairJson.delete(id);
    return { evictOrders, evictPairs, ordersWritten: orderRows.length };
  }

  private statements(): ReturnType<SqliteOrderStore['prepare']> {
    return (this.stmts ??= this.prepare());
  }

  private prepare() {
    const upsertOrder = this.db.prepare(
      `INSERT INTO orders (id, condition_id, asset, state, created_at_ms, updated_at_ms, window_end_ms, active, json, signed)
       VALUES (@id, @cid, @asset, @state, @created, @updated, @end, @active, @json, @signed)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at_ms = excluded.updated_at_ms, active = excluded.active, json = excluded.json,
         signed = CASE WHEN excluded.active = 0 THEN NULL ELSE COALESCE(orders.signed, excluded.signed) END`,
    );
    const delFills = this.db.prepare('DELETE FROM fills WHERE order_id = ?');
    const insFill = this.db.prepare(
      'INSERT INTO fills (order_id, trade_id, condition_id, asset, outcome, side, status, size, price, fee, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const upsertPair = this.db.prepare(
      `INSERT INTO pairs (id, state, updated_at_ms, active, json) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at_ms = excluded.updated_at_ms, active = excluded.active, json = excluded.json`,
    );
    const insSettled = this.db.prepare('INSERT OR IGNORE INTO settled (condition_id) VALUES (?)');
    const insSettlement = this.settlementInsert();
    const insEvent = this.db.prepare('INSERT OR IGNORE INTO outbox (id, json) VALUES (?, ?)');
    const delEvent = this.db.prepare('DELETE FROM outbox WHERE id = ?');
    const insQuarantine = this.db.prepare('INSERT OR REPLACE INTO quarantine (id, at_ms, reason, json) VALUES (?, ?, ?, ?)');
    const setMeta = this.db.prepare(`INSERT INTO meta (key, value) VALUES ('updatedAtMs', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    const isSettled = this.db.prepare('SELECT 1 FROM settled WHERE condition_id = ?');
    return { upsertOrder, delFills, insFill, upsertPair, insSettled, insSettlement, insEvent, delEvent, insQuarantine, setMeta, isSettled };
  }

  /** What this store holds in memory (tests and diagnostics): it follows the records still in play. */
  held(): { orders: number; pairs: number; settled: number; outbox: number } {
    return { orders: this.orderJson.size, pairs: this.pairJson.size, settled: this.settledSaved.size, outbox: this.outboxSaved.size };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Merge events into history (one transaction; one row per id, so re-recording is a no-op). Other
   * events, and any that fails the merge schema (money.json is parsed whole at load), are left out.
   */
  recordMerges(events: readonly ExecutionEvent[]): number {
    const merges = events.filter((e): e is MergeEvent => MergeEventSchema.safeParse(e).success);
    if (!merges.length) return 0;
    try {
      const ins = this.db.prepare('INSERT OR IGNORE INTO merges (id, condition_id, asset, at_ms, realised_pnl_usd, json) VALUES (?, ?, ?, ?, ?, ?)');
      this.db.transaction(() => {
        for (const e of merges) ins.run(e.id, e.conditionId, e.asset, e.atMs, mergePnlUsd(e), JSON.stringify(e));
      })();
    } catch (err) {
      throw new PolybotError('PERSISTENCE_FAILED', `could not write ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    return merges.length;
  }

  private settlementInsert(): (e: SettlementEvent) => void {
    const ins = this.db.prepare('INSERT OR IGNORE INTO settlements (id, condition_id, asset, at_ms, realised_pnl_usd, json) VALUES (?, ?, ?, ?, ?, ?)');
    return (e) => void ins.run(e.id, e.conditionId, e.asset, e.atMs, e.realisedPnlUsd, JSON.stringify(e));
  }

  /**
   * Once per store: settlement events written before the `settlements` table existed (those still
   * in the outbox, and those of the orders.json it was migrated from). Unreadable leftovers are
   * skipped, never a reason to stop trading: this is history, not state.
   */
  private backfillSettlements(): void {
    if (this.db.prepare(`SELECT value FROM meta WHERE key = 'settlementsBackfilled'`).get()) return;
    const found: SettlementEvent[] = [];
    for (const r of this.db.prepare('SELECT json FROM outbox ORDER BY seq').all() as Array<{ json: string }>) {
      try {
        const e: unknown = JSON.parse(r.json);
        if (isSettlement(e)) found.push(e);
      } catch {
        // an unreadable outbox row is the quarantine's business
      }
    }
    const migrated = path.join(path.dirname(this.file), 'orders.json.migrated');
    let note = `outbox: ${found.length}`;
    if (existsSync(migrated)) {
      try {
        const old = loadOrdersFile(migrated);
        const before = found.length;
        found.push(...[...old.settlements, ...old.outbox].filter(isSettlement));
        note += `; ${migrated}: ${found.length - before}`;
      } catch (err) {
        note += `; ${migrated} skipped: ${(err as Error).message.slice(0, 200)}`;
      }
    }
    try {
      const ins = this.settlementInsert();
      this.db.transaction(() => {
        for (const e of found) ins(e);
        this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('settlementsBackfilled', ?)`).run(note);
      })();
    } catch (err) {
      throw new PolybotError('PERSISTENCE_FAILED', `could not write ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** orders.json from before the store: moved in whole, in one transaction, then renamed. */
  private migrateJson(): void {
    const json = path.join(path.dirname(this.file), 'orders.json');
    if (!existsSync(json)) return;
    const done = this.db.prepare(`SELECT value FROM meta WHERE key = 'migrated'`).get();
    if (done) return;
    const old = loadOrdersFile(json); // corrupt: PERSISTENCE_CORRUPT, the file untouched
    for (const o of old.orders) this.orderJson.delete(o.request.id);
    this.save(old, old.updatedAtMs || Date.now());
    this.db
      .prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated', ?)`)
      .run(`${json} at ${new Date().toISOString()}: ${old.orders.length} orders`);
    renameSync(json, `${json}.migrated`);
    // The rows are on disk; start from them as any restart does.
    this.orderJson.clear();
    this.pairJson.clear();
    this.settledSaved.clear();
    this.outboxSaved.clear();
  }
}

export function openOrderStore(file: string, opts?: SqliteStoreOptions): SqliteOrderStore {
  return new SqliteOrderStore(file, opts);
}

export interface HistoryQuery {
  /** Only records updated (orders) or traded (fills) at or after this time (ms). */
  sinceMs?: number;
  conditionId?: string;
  limit?: number;
}

export interface FillRow {
  orderId: string;
  tradeId: string;
  conditionId: string;
  asset: string;
  outcome: string;
  side: string;
  status: string;
  size: number;
  price: number;
  fee: number;
  atMs: number;
}

/**
 * Trade history, read-only, for tools (the CLI, reports) while execution runs: WAL lets readers in
 * beside the one writer. Every order parsed by the same schema.
 */
export function openOrderHistory(file: string) {
  if (!existsSync(file)) throw new PolybotError('CONFIG_INVALID', `no order store at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const hasTable = (name: string) => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  const where = (q: HistoryQuery, timeCol: string) => {
    const parts: string[] = [];
    const args: Array<string | number> = [];
    if (q.sinceMs !== undefined) {
      parts.push(`${timeCol} >= ?`);
      args.push(q.sinceMs);
    }
    if (q.conditionId !== undefined) {
      parts.push('condition_id = ?');
      args.push(q.conditionId);
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
  };
  return {
    /** Orders updated since a time (oldest first), optionally of one market. */
    orders(q: HistoryQuery = {}): Order[] {
      const w = where(q, 'updated_at_ms');
      const rows = db.prepare(`SELECT id, json FROM orders ${w.sql} ORDER BY created_at_ms, rowid LIMIT ?`).all(...w.args, q.limit ?? -1) as Array<{
        id: string;
        json: string;
      }>;
      return rows.map((r) => parseRow(file, OrderSchema, r.json, `order ${r.id}`));
    },
    /** Fills (one row per trade and order, with its latest status) since a time, optionally of one market. */
    fills(q: HistoryQuery = {}): FillRow[] {
      const w = where(q, 'at_ms');
      return db
        .prepare(
          `SELECT order_id AS orderId, trade_id AS tradeId, condition_id AS conditionId, asset, outcome, side, status, size, price, fee, at_ms AS atMs FROM fills ${w.sql} ORDER BY at_ms, rowid LIMIT ?`,
        )
        .all(...w.args, q.limit ?? -1) as FillRow[];
    },
    order(id: string): Order | undefined {
      const r = db.prepare('SELECT json FROM orders WHERE id = ?').get(id) as { json: string } | undefined;
      return r ? parseRow(file, OrderSchema, r.json, `order ${id}`) : undefined;
    },
    pairs(): PairRecord[] {
      return (db.prepare('SELECT id, json FROM pairs ORDER BY rowid').all() as Array<{ id: string; json: string }>).map((r) =>
        parseRow(file, PairRecordSchema, r.json, `pair ${r.id}`),
      );
    },
    /**
     * Settlement events (oldest first) since a time, optionally of one market: the `settlements`
     * table, plus any still in the outbox of a store execution has not opened since that table came.
     */
    settlements(q: HistoryQuery = {}): SettlementEvent[] {
      const out = new Map<string, SettlementEvent>();
      if (hasTable('settlements')) {
        const w = where(q, 'at_ms');
        const rows = db.prepare(`SELECT id, json FROM settlements ${w.sql} ORDER BY at_ms, rowid LIMIT ?`).all(...w.args, q.limit ?? -1) as Array<{
          id: string;
          json: string;
        }>;
        for (const r of rows) out.set(r.id, parseRow(file, SettlementEventSchema, r.json, `settlement ${r.id}`));
      }
      for (const r of db.prepare('SELECT id, json FROM outbox ORDER BY seq').all() as Array<{ id: string; json: string }>) {
        if (out.has(r.id) || !r.json.includes('"settlement"')) continue;
        let v: unknown;
        try {
          v = JSON.parse(r.json);
        } catch {
          continue; // the quarantine's business
        }
        if (!isSettlement(v)) continue;
        if (q.sinceMs !== undefined && v.atMs < q.sinceMs) continue;
        if (q.conditionId !== undefined && v.conditionId !== q.conditionId) continue;
        out.set(v.id, v);
      }
      const all = [...out.values()].sort((a, b) => a.atMs - b.atMs);
      return q.limit !== undefined && q.limit >= 0 ? all.slice(0, q.limit) : all;
    },
    /** Merges of Up+Down pairs into pUSD (oldest first) since a time, optionally of one market. */
    merges(q: HistoryQuery = {}): MergeEvent[] {
      if (!hasTable('merges')) return [];
      const w = where(q, 'at_ms');
      const rows = db.prepare(`SELECT id, json FROM merges ${w.sql} ORDER BY at_ms, rowid LIMIT ?`).all(...w.args, q.limit ?? -1) as Array<{
        id: string;
        json: string;
      }>;
      return rows.map((r) => parseRow(file, MergeEventSchema, r.json, `merge ${r.id}`));
    },
    /** Events set aside because they failed their schema. */
    quarantined(): Array<{ id: string; atMs: number; reason: string; json: string }> {
      return db.prepare('SELECT id, at_ms AS atMs, reason, json FROM quarantine ORDER BY at_ms').all() as Array<{
        id: string;
        atMs: number;
        reason: string;
        json: string;
      }>;
    },
    /** Events written and not yet shipped to the queue. */
    outboxSize(): number {
      return (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    },
    close: (): void => void db.close(),
  };
}
export type OrderHistory = ReturnType<typeof openOrderHistory>;

/** Every order in the store (tests and tools). */
export function readOrders(file: string): Order[] {
  const h = openOrderHistory(file);
  try {
    return h.orders();
  } finally {
    h.close();
  }
}
