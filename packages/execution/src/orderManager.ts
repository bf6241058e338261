/**
 * Owns every order: the state machine, overfill protection, provisional fills, and an outbox of
 * execution events, all persisted (the worker's SQLite store) before anything is acknowledged.
 */
import type { Logger } from 'pino';
import {
  ExecutionEventSchema,
  TERMINAL_ORDER_STATES,
  type ExecutionEvent,
  type Fill,
  type Order,
  type OrderRequest,
  type PairOrderRequest,
  type TradeStatus,
} from '@polybot/shared';
import { canApply, transitionOn, type OrderEvent } from './orderStateMachine.js';
import type { VenueOrder } from './venue/port.js';
import { emptyOrdersFile, FINAL_PAIR_STATES, loadOrdersFile, writeOrdersFile, type OrdersFile, type PairRecord, type PairState } from './orderStore.js';

/** Shares to 1e-6 (a marketable BUY's shares have 4 decimals; the venue counts in 1e-6 units). */
const r2 = (v: number) => Math.round(v * 1e6) / 1e6;
const STATUS_RANK: Record<TradeStatus, number> = { MATCHED: 0, RETRYING: 1, MINED: 2, CONFIRMED: 3, FAILED: 3 };

/** The venue's view of one order, in domain terms (the adapter translated its strings). */
export type VenueView = VenueOrder;

/**
 * Where the records live (the worker's is SQLite, `sqliteStore.ts`). `save` writes what changed in
 * one transaction or throws; it names the records that may leave memory (history stays on disk).
 * `data.settlements` are written in that transaction too; the manager drops them from memory after.
 */
export interface OrderPersistence {
  load(): OrdersFile;
  /** `changed`: the orders and pairs changed since the last successful save (the others are not serialised again). */
  save(
    data: OrdersFile,
    nowMs: number,
    quarantined?: ReadonlyArray<{ event: unknown; reason: string }>,
    changed?: { orders: ReadonlySet<string>; pairs: ReadonlySet<string> },
  ): { evictOrders: string[]; evictPairs: string[] };
  findOrder(id: string): Order | undefined;
  findPair(id: string): PairRecord | undefined;
  /** A market's settled mark on disk (asked only for markets with no order in memory). */
  isSettled?(conditionId: string): boolean;
}

export class OrderManager {
  private data: OrdersFile;
  private readonly file: string | null;
  private readonly store: OrderPersistence | null;
  /** Events that failed their schema, set aside on the next commit. */
  private quarantine: Array<{ event: unknown; reason: string }> = [];
  /** `data.settled` as a set (asked for every order in memory at each placement's hard limits). */
  private settledIndex: Set<string>;
  /** Orders in memory per market: a market with none may have its settled mark only on disk. */
  private readonly ordersPerMarket = new Map<string, number>();
  /** The orders in memory by id (`get` is asked several times per order job; a scan grows with the orders held). */
  private readonly byId = new Map<string, Order>();
  /**
   * Orders and pairs changed since the last successful commit: every change to a record goes through
   * this class (`touch`), so the store serialises only these. Cleared only once a save returned.
   */
  private changed = { orders: new Set<string>(), pairs: new Set<string>() };

  /** `source`: a persistence (the worker's SQLite store), a JSON file path (tools and unit tests), or nothing. */
  constructor(
    source: string | OrderPersistence | null,
    private readonly logger: Logger,
    initial?: OrdersFile,
  ) {
    this.file = typeof source === 'string' ? source : null;
    this.store = source !== null && typeof source === 'object' ? source : null;
    this.data = initial ?? (this.store ? this.store.load() : this.file ? loadOrdersFile(this.file) : emptyOrdersFile());
    this.settledIndex = new Set(this.data.settled);
    for (const o of this.data.orders) {
      this.countOrder(o.request.conditionId, 1);
      this.byId.set(o.request.id, o);
    }
  }

  private countOrder(conditionId: string, by: 1 | -1): void {
    const n = (this.ordersPerMarket.get(conditionId) ?? 0) + by;
    if (n > 0) this.ordersPerMarket.set(conditionId, n);
    else this.ordersPerMarket.delete(conditionId);
  }

  /** Persists what changed (one transaction in the store); throws (and so stops trading) when it cannot. */
  commit(nowMs: number): void {
    this.data.updatedAtMs = nowMs;
    if (this.file) writeOrdersFile(this.file, this.data);
    if (!this.store) {
      this.changed = { orders: new Set(), pairs: new Set() }; // only a store reads them: kept bounded without one
      return;
    }
    const { evictOrders, evictPairs } = this.store.save(this.data, nowMs, this.quarantine, this.changed);
    this.quarantine = [];
    this.changed = { orders: new Set(), pairs: new Set() };
    // Settlement events are history once in the store (its `settlements` table), never state.
    if (this.data.settlements.length) this.data.settlements = [];
    if (evictOrders.length) {
      const gone = new Set(evictOrders);
      this.data.orders = this.data.orders.filter((o) => {
        if (!gone.has(o.request.id)) return true;
        this.countOrder(o.request.conditionId, -1);
        this.byId.delete(o.request.id);
        return false;
      });
      for (const id of evictOrders) delete this.data.signed[id];
      // A settled mark leaves memory with its market's last order (it is on disk: `isSettled` asks the store).
      if (this.data.settled.some((c) => !this.ordersPerMarket.has(c))) {
        this.data.settled = this.data.settled.filter((c) => this.ordersPerMarket.has(c));
        this.settledIndex = new Set(this.data.settled);
      }
    }
    if (evictPairs.length) {
      const gone = new Set(evictPairs);
      this.data.pairs = this.data.pairs.filter((p) => !gone.has(p.request.id));
    }
  }

  /**
   * Events that fail their schema leave the outbox for the store's quarantine (recorded, never
   * shipped, never a blocker), each replaced by an `outbox` error event that says so. Returns how many.
   */
  setAsideInvalidEvents(nowMs: number): number {
    const bad: Array<{ event: unknown; reason: string }> = [];
    const ok: ExecutionEvent[] = [];
    for (const e of this.data.outbox) {
      const p = ExecutionEventSchema.safeParse(e);
      if (p.success) ok.push(e);
      else
        bad.push({
          event: e,
          reason: p.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; '),
        });
    }
    if (!bad.length) return 0;
    this.data.outbox = ok;
    this.quarantine.push(...bad);
    for (const b of bad) {
      const id = typeof (b.event as { id?: unknown } | null)?.id === 'string' ? (b.event as { id: string }).id : 'without an id';
      this.logger.error({ eventId: id, reason: b.reason }, 'outbox event failed its schema: set aside');
      this.emitError('outbox', `event ${id} failed its schema and was set aside: ${b.reason}`, nowMs);
    }
    this.commit(nowMs);
    return bad.length;
  }

  snapshot(): OrdersFile {
    return structuredClone(this.data);
  }
  /** An order by id: in memory, or from the store's history (a job redelivered long after). */
  get(id: string): Order | undefined {
    return this.byId.get(id) ?? this.store?.findOrder(id);
  }
  all(): readonly Order[] {
    return this.data.orders;
  }
  nonTerminal(): Order[] {
    return this.data.orders.filter((o) => !TERMINAL_ORDER_STATES.has(o.state));
  }
  signedOrder(id: string): Record<string, unknown> | undefined {
    return this.data.signed[id];
  }
  /** In memory for every market with an order in memory; for any other, the store's mark on disk. */
  isSettled(conditionId: string): boolean {
    if (this.settledIndex.has(conditionId)) return true;
    if (this.ordersPerMarket.has(conditionId)) return false;
    return this.store?.isSettled?.(conditionId) ?? false;
  }
  outbox(): readonly ExecutionEvent[] {
    return this.data.outbox;
  }
  /** Events are removed only after they reached the queue. */
  ackOutbox(ids: readonly string[], nowMs: number): void {
    if (!ids.length) return;
    const set = new Set(ids);
    this.data.outbox = this.data.outbox.filter((e) => !set.has(e.id));
    this.commit(nowMs);
  }

  private emit(e: ExecutionEvent): void {
    if (!this.data.outbox.some((x) => x.id === e.id)) this.data.outbox.push(e);
  }

  private orderEvent(o: Order, nowMs: number, reason?: string): void {
    this.emit({
      id: `ord-${o.request.id}-${o.state}`,
      atMs: nowMs,
      type: 'order',
      orderId: o.request.id,
      signalId: o.request.signalId,
      conditionId: o.request.conditionId,
      asset: o.request.asset,
      state: o.state,
      ...(reason ? { reason: reason.slice(0, 300) } : {}),
    });
  }

  /** Signed and about to be posted: recorded as submitted with its hash before the post. */
  create(request: OrderRequest, venueOrderId: string, signed: Record<string, unknown>, nowMs: number): Order {
    if (this.get(request.id)) throw new Error(`order ${request.id} exists already`);
    const o: Order = {
      request,
      venueOrderId,
      state: 'submitted',
      filledSize: 0,
      fills: [],
      history: [
        { from: null, to: 'new', atMs: nowMs },
        { from: 'new', to: 'submitted', atMs: nowMs },
      ],
      updatedAtMs: nowMs,
    };
    this.data.orders.push(o);
    this.byId.set(request.id, o);
    this.countOrder(request.conditionId, 1);
    this.changed.orders.add(request.id);
    this.data.signed[request.id] = signed;
    this.orderEvent(o, nowMs);
    return o;
  }

  /** A request refused before it was signed (off the grid, below the minimum): recorded, never sent. */
  createRejected(request: OrderRequest, reason: string, nowMs: number): Order {
    if (this.get(request.id)) throw new Error(`order ${request.id} exists already`);
    const o: Order = {
      request,
      venueOrderId: null,
      state: 'rejected',
      filledSize: 0,
      fills: [],
      history: [
        { from: null, to: 'new', atMs: nowMs },
        { from: 'new', to: 'rejected', atMs: nowMs, note: reason.slice(0, 300) },
      ],
      updatedAtMs: nowMs,
    };
    this.data.orders.push(o);
    this.byId.set(request.id, o);
    this.countOrder(request.conditionId, 1);
    this.changed.orders.add(request.id);
    this.orderEvent(o, nowMs, reason);
    return o;
  }

  getPair(id: string): PairRecord | undefined {
    return this.data.pairs.find((p) => p.request.id === id) ?? this.store?.findPair(id);
  }
  /** Pairs not yet final (in placement, or with a lone leg to unwind). */
  openPairs(): PairRecord[] {
    return this.data.pairs.filter((p) => !FINAL_PAIR_STATES.has(p.state));
  }
  allPairs(): readonly PairRecord[] {
    return this.data.pairs;
  }

  /** A pair about to be placed: recorded (and committed by the caller) before its first leg is signed. */
  createPair(request: PairOrderRequest, nowMs: number): PairRecord {
    if (this.getPair(request.id)) throw new Error(`pair ${request.id} exists already`);
    const p: PairRecord = {
      request,
      state: 'placing',
      lockedProfitUsd: null,
      unwind: null,
      history: [{ atMs: nowMs, state: 'placing', note: `${request.shares} pairs, worst cost ${request.worstCostPerPair.toFixed(5)} a pair` }],
      updatedAtMs: nowMs,
    };
    this.data.pairs.push(p);
    this.changed.pairs.add(request.id);
    return p;
  }

  /** Moves a pair on, with a note for the audit trail. */
  setPairState(id: string, state: PairState, note: string, nowMs: number, patch: Partial<Pick<PairRecord, 'lockedProfitUsd' | 'unwind'>> = {}): void {
    const p = this.getPair(id);
    if (!p) return;
    this.changed.pairs.add(id);
    Object.assign(p, patch);
    p.state = state;
    p.updatedAtMs = nowMs;
    p.history.push({ atMs: nowMs, state, note: note.slice(0, 300) });
  }

  /**
   * Moves an order on an event, along the (state, event) table. An illegal pair throws
   * (INVALID_TRANSITION): callers feeding venue input they cannot vouch for check `canApply` first.
   * Returns false when the event leaves the state as it is (asking to cancel twice).
   */
  transition(id: string, event: OrderEvent, nowMs: number, note?: string): boolean {
    const o = this.get(id);
    if (!o) return false;
    const to = transitionOn(o.state, event);
    if (to === o.state) return false;
    this.changed.orders.add(id);
    o.history.push({ from: o.state, to, atMs: nowMs, ...(note ? { note: note.slice(0, 300) } : {}) });
    o.state = to;
    o.updatedAtMs = nowMs;
    this.orderEvent(o, nowMs, note);
    return true;
  }

  /** A venue-reported event: applied when the table allows it from where the order is, else logged as an anomaly. */
  private venueEvent(o: Order, event: OrderEvent, nowMs: number, note?: string): void {
    if (canApply(o.state, event)) {
      this.transition(o.request.id, event, nowMs, note);
      return;
    }
    // Already there (a cancelled order reported cancelled again) is no news; anything else is.
    if (!(event === 'cancel' && o.state === 'canceled')) {
      this.logger.warn({ orderId: o.request.id, from: o.state, event, note }, 'anomaly: venue event refused by the state table');
    }
  }

  /**
   * A trade for this order, new or with a new on-chain status. Fills are clamped to the remaining
   * size (overfill protection); a FAILED trade undoes its fill; a repeated (trade, status) is a no-op.
   */
  applyFill(id: string, f: Fill, nowMs: number): boolean {
    const o = this.get(id);
    if (!o) return false;
    // Marked before any change below (marking one that ends unchanged costs one comparison, no write).
    this.changed.orders.add(id);
    const existing = o.fills.find((x) => x.tradeId === f.tradeId);
    if (existing) {
      // Statuses only move forward (a late MATCHED after MINED is stale); FAILED and CONFIRMED are final.
      if (STATUS_RANK[f.status] <= STATUS_RANK[existing.status] || existing.status === 'FAILED' || existing.status === 'CONFIRMED') return false;
      existing.status = f.status;
      if (f.status === 'FAILED') o.filledSize = r2(o.filledSize - existing.size);
      this.fillEvent(o, existing, nowMs);
      this.settleFillState(o, nowMs);
      return true;
    }
    if (f.status === 'FAILED') {
      // Heard of only once it had failed: keep a tombstone so a stale MATCHED arriving later is ignored.
      o.fills.push({ ...f });
      o.updatedAtMs = nowMs;
      return true;
    }
    const remaining = r2(o.request.size - o.filledSize);
    let size = f.size;
    if (size > remaining + 1e-9) {
      this.logger.warn({ orderId: id, tradeId: f.tradeId, size: f.size, remaining }, 'overfill clamped to the remaining size');
      size = Math.max(0, remaining);
    }
    if (size <= 0) return false;
    const fee = size === f.size ? f.fee : Number(((f.fee * size) / f.size).toFixed(6));
    const fill: Fill = { ...f, size, fee };
    o.fills.push(fill);
    o.filledSize = r2(o.filledSize + size);
    o.updatedAtMs = nowMs;
    this.fillEvent(o, fill, nowMs);
    this.settleFillState(o, nowMs);
    return true;
  }

  private fillEvent(o: Order, f: Fill, nowMs: number): void {
    this.emit({
      // One trade can fill two of our orders (say, one as taker and one as maker): the id names both.
      id: `fill-${f.tradeId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64)}-${o.request.id.slice(0, 64)}-${f.status}`,
      atMs: nowMs,
      type: 'fill',
      orderId: o.request.id,
      signalId: o.request.signalId,
      conditionId: o.request.conditionId,
      asset: o.request.asset,
      outcome: o.request.outcome,
      // Only a SELL (an unwound lone leg) says so: every earlier event is a BUY.
      ...(o.request.side === 'SELL' ? { side: 'SELL' as const } : {}),
      tradeId: f.tradeId,
      status: f.status,
      size: f.size,
      price: f.price,
      fee: f.fee,
    });
  }

  private settleFillState(o: Order, nowMs: number): void {
    if (TERMINAL_ORDER_STATES.has(o.state)) return;
    if (o.filledSize >= o.request.size - 1e-9) this.transition(o.request.id, 'fill_complete', nowMs);
    else if (o.filledSize > 0 && o.state !== 'partially_filled') this.transition(o.request.id, 'fill_partial', nowMs);
  }

  /** The venue's view of an order (status, matched size) → our state. Fills come from trades. */
  applyVenueStatus(id: string, v: VenueView, nowMs: number): void {
    const o = this.get(id);
    if (!o) return;
    switch (v.status) {
      case 'live':
      case 'delayed':
        if (o.state === 'submitted' && v.status === 'live') this.transition(id, v.sizeMatched > 0 ? 'fill_partial' : 'accept', nowMs);
        return;
      case 'canceled':
        // A venue cancel at resolution or a killed FAK/FOK is a cancel, not an error.
        this.venueEvent(o, 'cancel', nowMs, v.note ?? 'CANCELED');
        return;
      case 'invalid':
        this.venueEvent(o, 'reject', nowMs, v.note ?? 'INVALID');
        return;
      case 'matched':
        if (o.state === 'submitted' && v.sizeMatched === 0) this.transition(id, 'accept', nowMs);
        return;
    }
  }

  markSettled(conditionId: string, event: ExecutionEvent): void {
    if (!this.settledIndex.has(conditionId)) {
      this.data.settled.push(conditionId);
      this.settledIndex.add(conditionId);
    }
    if (event.type === 'settlement' && !this.data.settlements.some((e) => e.id === event.id)) this.data.settlements.push(event);
    this.emit(event);
  }

  emitError(source: Extract<ExecutionEvent, { type: 'error' }>['source'], message: string, nowMs: number): void {
    // Two different errors in the same millisecond are two events (the id carries a hash of the message).
    let h = 0;
    for (let i = 0; i < message.length; i++) h = (Math.imul(h, 31) + message.charCodeAt(i)) | 0;
    this.emit({ id: `err-exec-${source}-${nowMs}-${(h >>> 0).toString(36)}`, atMs: nowMs, type: 'error', source, message: message.slice(0, 500) });
  }

  /** Positions per market and outcome from fills: confirmed and pending shares, cost and fees. */
  positions(): Array<{
    conditionId: string;
    asset: Order['request']['asset'];
    outcome: 'UP' | 'DOWN';
    confirmed: number;
    pending: number;
    costUsd: number;
    feesUsd: number;
    windowEndMs: number;
  }> {
    const map = new Map<
      string,
      {
        conditionId: string;
        asset: Order['request']['asset'];
        outcome: 'UP' | 'DOWN';
        confirmed: number;
        pending: number;
        costUsd: number;
        feesUsd: number;
        windowEndMs: number;
      }
    >();
    for (const o of this.data.orders) {
      for (const f of o.fills) {
        if (f.status === 'FAILED') continue;
        const key = `${o.request.conditionId}-${o.request.outcome}`;
        const p = map.get(key) ?? {
          conditionId: o.request.conditionId,
          asset: o.request.asset,
          outcome: o.request.outcome,
          confirmed: 0,
          pending: 0,
          costUsd: 0,
          feesUsd: 0,
          windowEndMs: o.request.windowEndMs,
        };
        const signed = o.request.side === 'BUY' ? 1 : -1;
        if (f.status === 'CONFIRMED') p.confirmed = r2(p.confirmed + signed * f.size);
        else p.pending = r2(p.pending + signed * f.size);
        p.costUsd += signed * f.size * f.price;
        p.feesUsd += f.fee;
        map.set(key, p);
      }
    }
    return [...map.values()];
  }
}

export function tradeStatusOf(s: string): TradeStatus | null {
  const u = s.toUpperCase();
  for (const t of ['MATCHED', 'MINED', 'CONFIRMED', 'RETRYING', 'FAILED'] as const) if (u.startsWith(t)) return t;
  return null;
}
