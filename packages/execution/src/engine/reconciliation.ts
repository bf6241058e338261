/**
 * Reconciliation: ask the venue what became of an order (its status, then its market's trades)
 * and apply it; re-send an in-flight order the venue never saw; cancel what rests near the end.
 */
import { feeOf, takerFee, TERMINAL_ORDER_STATES, type Order } from '@polybot/shared';
import { ageProblem } from '../hardLimits.js';
import { tradeStatusOf } from '../orderManager.js';
import type { VenueOrder, VenueTrade } from '../venue/port.js';
import type { EngineDeps } from './deps.js';
import type { Placement } from './placement.js';

export type TradesCache = Map<string, Promise<VenueTrade[]>>;

export class Reconciliation {
  /** Set once by the engine (reconciliation and placement call each other). */
  placement!: Placement;
  /**
   * In-flight orders already reported as too old to re-send (once per process), with their window's
   * end: only orders within their window are re-sent, so an entry leaves once its window is over.
   */
  private readonly staleReported = new Map<string, number>();

  constructor(private readonly d: EngineDeps) {}

  /** The trades of a market, read once per pass (or fresh when there is no pass cache). */
  private trades(conditionId: string, cache?: TradesCache, fresh = false): Promise<VenueTrade[]> {
    let t = fresh ? undefined : cache?.get(conditionId);
    if (!t) {
      t = this.d.port.tradesFor(conditionId);
      // A read kept for later in the pass may never be awaited (no other order of the market asks):
      // its failure must not become an unhandled rejection, which would stop the process. Whoever
      // awaits it still sees the error.
      t.catch(() => undefined);
      cache?.set(conditionId, t);
    }
    return t;
  }

  /**
   * Asks the venue what happened to an order and applies it (trades, then status). Returns the
   * venue's view (null: it lists no such active order).
   *
   * The venue's order lookup is empty for an order that is not active: filled, cancelled, killed,
   * or never arrived (docs/polymarket-venue.md §5.4 item 14). Then the trades say what it filled;
   * an order the venue had acknowledged (or that traded) is final with those fills; one never heard
   * of is re-sent as the very same signed order, and a duplicate answer proves it was there.
   */
  async reconcile(o: Order, nowMs: number, tradesCache?: TradesCache): Promise<VenueOrder | null> {
    const { manager, port, cfg, logger } = this.d;
    if (!o.venueOrderId) return null;
    const conditionId = o.request.conditionId;
    // Trades read earlier in the pass are older than the status read now: a fill since then is missing.
    const readBeforeStatus = tradesCache?.has(conditionId) ?? false;
    const v = await port.getOrder(o.venueOrderId);
    if (v === null) {
      this.applyTrades(o, await this.trades(conditionId, tradesCache, readBeforeStatus), nowMs);
      if (readBeforeStatus) tradesCache?.set(conditionId, this.trades(conditionId, undefined, true));
      if (TERMINAL_ORDER_STATES.has(o.state)) return null;
      const seenByVenue = o.fills.length > 0 || o.history.some((h) => h.to === 'open' || h.to === 'partially_filled');
      if (seenByVenue) {
        // Acknowledged (or traded) and no longer active: final, with what the trades show.
        manager.transition(o.request.id, 'cancel', nowMs, 'no longer active at the venue');
        return null;
      }
      // Never heard of: it may yet arrive (a timed-out post can still be on its way). Re-sending the
      // very same signed order is safe: the venue refuses a second order with the same hash.
      const signed = manager.signedOrder(o.request.id);
      const tradable = o.state === 'submitted' && nowMs < o.request.windowEndMs - cfg.cancelBeforeEndMs;
      // Too old to send now (a restart long after it was signed): kept in flight, never re-sent.
      const stale = cfg.limits ? ageProblem(o.request, cfg.limits, nowMs) : null;
      if (signed && tradable && stale) {
        if (!this.staleReported.has(o.request.id)) {
          for (const [id, endMs] of this.staleReported) if (nowMs > endMs) this.staleReported.delete(id);
          this.staleReported.set(o.request.id, o.request.windowEndMs);
          logger.error({ orderId: o.request.id, breach: stale }, 'in-flight order not re-sent: over the hard order-age limit');
          manager.emitError('limit', `${o.request.id} not re-sent: ${stale}`, nowMs);
        }
      } else if (signed && tradable && !(await this.d.isHalted())) {
        logger.warn({ orderId: o.request.id }, 'venue lists no such active order; re-sending the same signed order');
        await this.placement.postAndApply(o, signed, nowMs, true);
      } else if (o.state === 'cancel_requested' && signed && nowMs < o.request.windowEndMs + (cfg.giveUpAfterEndMs ?? 120_000)) {
        // We asked to cancel one we never heard of: whether it got there shows by a duplicate post, but
        // posting it now would trade it. Wait (its trades, if any, still arrive) until the market is over.
      } else if (nowMs > o.request.windowEndMs + (cfg.giveUpAfterEndMs ?? 120_000)) {
        // The market is over and the venue still lists nothing: it can no longer appear.
        manager.transition(o.request.id, 'expire', nowMs, 'never reached the venue');
      }
      // Otherwise (halted, or too late to send) it stays in flight and is asked about again.
      return null;
    }
    this.applyTrades(o, await this.trades(conditionId, tradesCache), nowMs);
    if (readBeforeStatus && Math.abs(o.filledSize - v.sizeMatched) > 1e-6) {
      // The venue matched a different size than those trades say (a fill, or a cancel after one, came
      // in between): read them again before the status, or a final status would hide that fill for good.
      this.applyTrades(o, await this.trades(conditionId, tradesCache, true), nowMs);
    }
    manager.applyVenueStatus(o.request.id, v, nowMs);
    return v;
  }

  private applyTrades(o: Order, trades: readonly VenueTrade[], nowMs: number): void {
    const mine = trades.filter((t) => t.orderId === o.venueOrderId);
    for (const t of [...mine].sort((a, b) => a.atMs - b.atMs)) {
      const status = tradeStatusOf(t.status);
      if (!status || status === 'RETRYING') continue;
      const fee = t.role === 'maker' ? 0 : (t.fee ?? takerFee(t.size, t.price, feeOf(o.request)));
      this.d.manager.applyFill(o.request.id, { tradeId: t.id, size: t.size, price: t.price, fee, status, atMs: t.atMs || nowMs }, nowMs);
    }
  }

  /** Final already, or after asking the venue (a redelivered pair job must not wait for the poll). */
  async isFinal(o: Order, nowMs: number): Promise<boolean> {
    if (TERMINAL_ORDER_STATES.has(o.state)) return true;
    await this.reconcile(o, nowMs);
    return TERMINAL_ORDER_STATES.has(o.state);
  }

  /** One pass over every order not settled on chain: reconcile it, and cancel what rests near its window's end. */
  async pass(nowMs: number): Promise<void> {
    const { manager, port, cfg, logger } = this.d;
    const tradesCache: TradesCache = new Map(); // one trades read per market per pass
    for (const o of manager.all()) {
      const pendingFills = o.fills.some((f) => f.status !== 'CONFIRMED' && f.status !== 'FAILED');
      if (TERMINAL_ORDER_STATES.has(o.state) && !pendingFills) continue;
      if (TERMINAL_ORDER_STATES.has(o.state) && nowMs > o.request.windowEndMs + 600_000) continue;
      try {
        const v = await this.reconcile(o, nowMs, tradesCache);
        const live = v !== null && (v.status === 'live' || v.status === 'delayed');
        if (!TERMINAL_ORDER_STATES.has(o.state) && o.state !== 'cancel_requested' && nowMs > o.request.windowEndMs - cfg.cancelBeforeEndMs && o.venueOrderId) {
          if (manager.transition(o.request.id, 'request_cancel', nowMs, 'window about to end')) await port.cancel(o.venueOrderId);
        } else if (o.state === 'cancel_requested' && live && o.venueOrderId) {
          // Our cancel did not land (the venue was restarting, or the call failed): send it again.
          await port.cancel(o.venueOrderId);
        }
      } catch (err) {
        logger.warn({ orderId: o.request.id, err: (err as Error).message }, 'reconcile failed; will retry');
      }
    }
  }
}
