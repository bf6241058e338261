/**
 * Placement, reconciliation and settlement on top of the OrderManager and a ClobPort. No queue and
 * no Redis in here: the worker feeds it jobs and ships its outbox.
 */
import type { Logger } from 'pino';
import { isOnStep, isValidPrice, roundToStep, SIZE_STEP, takerFee, TERMINAL_ORDER_STATES, type Order, type OrderRequest } from '@polybot/shared';
import { tradeStatusOf, type OrderManager } from './orderManager.js';
import { TokenBucket } from './rateLimiter.js';
import type { ClobPort, VenueTrade } from './venue/port.js';

export interface EngineConfig {
  /** No new order, and resting ones are cancelled, this close to the window's end. */
  cancelBeforeEndMs: number;
  /** Wait after a window ends before asking for its resolution. */
  settleAfterMs: number;
  /** Local mirror of the venue's per-signer order bucket (standard tier 40/s, burst 60). */
  ordersPerS?: number;
  orderBurst?: number;
  /** Back-off after a 429 when the venue's Retry-After is not visible to us. */
  rateLimitBackoffMs?: number;
  /** Posts tried per job when the venue answers 429 (the order is not there: safe to re-send). */
  maxRateLimitedPosts?: number;
  /** An in-flight order the venue never saw is given up (expired) this long after its window ends. */
  giveUpAfterEndMs?: number;
  /** Heartbeat period; a resting order is never posted on a heartbeat older than this. */
  heartbeatEveryMs?: number;
}

/** Why a request cannot become an order as it stands (null = fine). Float drift never reaches the venue. */
export function gridProblem(r: OrderRequest): string | null {
  if (!isValidPrice(r.price, r.tickSize)) return `price ${r.price} is not on the ${r.tickSize} tick grid within [tick, 1 − tick]`;
  if (!isOnStep(r.size, SIZE_STEP)) return `size ${r.size} is not on the ${SIZE_STEP} share grid`;
  const resting = r.orderType === 'GTC' || r.orderType === 'GTD';
  if (resting && r.size < r.minOrderSize - 1e-9) return `size ${r.size} is below the market minimum ${r.minOrderSize}`;
  if (r.orderType === 'GTD' && r.expiresAtMs === undefined) return 'a GTD order needs expiresAtMs';
  return null;
}

/** The same request with price and size snapped exactly onto their grids (0.57000000001 → 0.57). */
function onGrid(r: OrderRequest): OrderRequest {
  return { ...r, price: roundToStep(r.price, r.tickSize), size: roundToStep(r.size, SIZE_STEP) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ExecutionEngine {
  private lock: Promise<unknown> = Promise.resolve();
  private heartbeatId = '';
  private lastHeartbeatOkMs = 0;
  private readonly bucket: TokenBucket;

  constructor(
    readonly manager: OrderManager,
    private readonly port: ClobPort,
    private readonly cfg: EngineConfig,
    private readonly logger: Logger,
    private readonly isHalted: () => Promise<boolean>,
  ) {
    this.bucket = new TokenBucket(cfg.ordersPerS ?? 40, cfg.orderBurst ?? 60, Date.now());
  }

  /** One mutation at a time: jobs, polls and halts never interleave their writes. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** An order job. Idempotent: a known signal is reconciled, never placed again. */
  place(r: OrderRequest, nowMs = Date.now()): Promise<string> {
    return this.exclusive(async () => {
      const existing = this.manager.get(r.id);
      if (existing) {
        await this.reconcile(existing, nowMs);
        this.manager.commit(nowMs);
        return `known order (${existing.state})`;
      }
      if (await this.isHalted()) return 'refused: circuit breaker is open';
      if (nowMs > r.windowEndMs - this.cfg.cancelBeforeEndMs) return 'refused: too close to the window end';
      const problem = gridProblem(r);
      if (problem) {
        this.logger.warn({ orderId: r.id, problem }, 'order request refused before signing');
        this.manager.createRejected(r, problem, nowMs);
        this.manager.emitError('rejected', `${r.id}: ${problem}`, nowMs);
        this.manager.commit(nowMs);
        return 'rejected';
      }
      const request = onGrid(r);
      const { id, signed } = await this.port.sign(request);
      if (request.orderType === 'GTC' || request.orderType === 'GTD') await this.freshHeartbeat();
      this.manager.create(request, id, signed, nowMs);
      this.manager.commit(nowMs); // persisted with its hash before it is posted
      await this.postAndApply(this.manager.get(r.id)!, signed, Date.now());
      this.manager.commit(Date.now());
      return this.manager.get(r.id)!.state;
    });
  }

  /** Posts within the venue's rate limit; a 429 pauses the bucket and the same signed order is re-sent. */
  private async postRateLimited(o: Order, signed: Record<string, unknown>) {
    const attempts = this.cfg.maxRateLimitedPosts ?? 3;
    for (let i = 1; ; i++) {
      for (let wait = this.bucket.take(Date.now()); wait > 0; wait = this.bucket.take(Date.now())) await sleep(wait);
      const out = await this.port.post(signed, o.request.orderType);
      if (out.kind !== 'rate_limited' || i >= attempts) return out;
      const backoff = out.retryAfterMs ?? this.cfg.rateLimitBackoffMs ?? 1_000;
      this.logger.warn({ orderId: o.request.id, backoffMs: backoff, attempt: i }, 'venue rate limit (429): backing off');
      this.bucket.pause(Date.now() + backoff);
    }
  }

  private async postAndApply(o: Order, signed: Record<string, unknown>, nowMs: number): Promise<void> {
    const out = await this.postRateLimited(o, signed);
    const id = o.request.id;
    switch (out.kind) {
      case 'accepted':
        this.logger.info({ orderId: id, status: out.status }, 'order accepted by the venue');
        if (out.status.toLowerCase() === 'live') this.manager.transition(id, 'open', nowMs);
        if (out.status.toLowerCase() !== 'delayed') await this.reconcile(o, nowMs);
        return;
      case 'rejected':
        this.logger.warn({ orderId: id, reason: out.message }, out.killed ? 'order killed unfilled' : 'order rejected by the venue');
        this.manager.transition(id, out.killed ? 'canceled' : 'rejected', nowMs, out.message);
        return;
      case 'duplicate':
        await this.reconcile(o, nowMs);
        return;
      case 'rate_limited':
      case 'unknown':
        // The venue may have it: stay in flight and ask it later; never assume a rejection.
        this.logger.warn({ orderId: id, outcome: out.kind, ...(out.kind === 'unknown' ? { err: out.message } : {}) }, 'order outcome unknown; will reconcile');
        this.manager.emitError('venue', `post ${id}: ${out.kind}`, nowMs);
        return;
    }
  }

  /** Asks the venue what happened to an order and applies it (status, then trades). */
  async reconcile(o: Order, nowMs: number, tradesCache?: Map<string, Promise<VenueTrade[]>>): Promise<void> {
    if (!o.venueOrderId) return;
    const v = await this.port.getOrder(o.venueOrderId);
    if (v === null) {
      // An in-flight order (or one we asked to cancel before hearing of it) the venue has not seen.
      if (o.state !== 'submitted' && !(o.state === 'cancel_requested' && o.fills.length === 0)) return;
      // It may yet arrive (a timed-out post can still be on its way). Re-sending the very same
      // signed order is safe: the venue refuses a second order with the same hash.
      const signed = this.manager.signedOrder(o.request.id);
      const tradable = o.state === 'submitted' && nowMs < o.request.windowEndMs - this.cfg.cancelBeforeEndMs;
      if (signed && tradable && !(await this.isHalted())) {
        this.logger.warn({ orderId: o.request.id }, 'venue does not know an in-flight order; re-sending the same signed order');
        await this.postAndApply(o, signed, nowMs);
      } else if (nowMs > o.request.windowEndMs + (this.cfg.giveUpAfterEndMs ?? 120_000)) {
        // The market is over and the venue still has no such order: it can no longer appear.
        this.manager.transition(o.request.id, 'expired', nowMs, 'never reached the venue');
      }
      // Otherwise (halted, or too late to send) it stays in flight and is asked about again.
      return;
    }
    const conditionId = o.request.conditionId;
    let trades = tradesCache?.get(conditionId);
    if (!trades) {
      trades = this.port.tradesFor(conditionId);
      tradesCache?.set(conditionId, trades);
    }
    const mine = (await trades).filter((t) => t.orderId === o.venueOrderId);
    for (const t of [...mine].sort((a, b) => a.atMs - b.atMs)) {
      const status = tradeStatusOf(t.status);
      if (!status || status === 'RETRYING') continue;
      const fee = t.role === 'maker' ? 0 : (t.fee ?? takerFee(t.size, t.price, { rate: o.request.feeRate, exponent: 1 }));
      this.manager.applyFill(o.request.id, { tradeId: t.id, size: t.size, price: t.price, fee, status, atMs: t.atMs || nowMs }, nowMs);
    }
    this.manager.applyVenueStatus(o.request.id, v, nowMs);
  }

  /** The periodic pass: reconcile what is in flight, cancel near the end, settle ended windows. */
  poll(nowMs = Date.now()): Promise<void> {
    return this.exclusive(async () => {
      const tradesCache = new Map<string, Promise<VenueTrade[]>>(); // one trades read per market per pass
      for (const o of this.manager.all()) {
        const pendingFills = o.fills.some((f) => f.status !== 'CONFIRMED' && f.status !== 'FAILED');
        if (TERMINAL_ORDER_STATES.has(o.state) && !pendingFills) continue;
        if (TERMINAL_ORDER_STATES.has(o.state) && nowMs > o.request.windowEndMs + 600_000) continue;
        try {
          await this.reconcile(o, nowMs, tradesCache);
          if (!TERMINAL_ORDER_STATES.has(o.state) && o.state !== 'cancel_requested' && nowMs > o.request.windowEndMs - this.cfg.cancelBeforeEndMs && o.venueOrderId) {
            if (this.manager.transition(o.request.id, 'cancel_requested', nowMs, 'window about to end')) await this.port.cancel(o.venueOrderId);
          }
        } catch (err) {
          this.logger.warn({ orderId: o.request.id, err: (err as Error).message }, 'reconcile failed; will retry');
        }
      }
      await this.settle(nowMs);
      this.manager.commit(nowMs);
    });
  }

  private async settle(nowMs: number): Promise<void> {
    const byMarket = new Map<string, ReturnType<OrderManager['positions']>>();
    for (const p of this.manager.positions()) {
      if (this.manager.isSettled(p.conditionId) || nowMs < p.windowEndMs + this.cfg.settleAfterMs) continue;
      byMarket.set(p.conditionId, [...(byMarket.get(p.conditionId) ?? []), p]);
    }
    for (const [conditionId, positions] of byMarket) {
      const unsettledFills = this.manager
        .all()
        .some((o) => o.request.conditionId === conditionId && o.fills.some((f) => f.status === 'MATCHED' || f.status === 'MINED'));
      if (unsettledFills) continue; // wait until every trade is final on chain
      const winner = await this.port.winner(conditionId).catch(() => null);
      if (!winner) continue;
      const up = positions.find((p) => p.outcome === 'UP');
      const down = positions.find((p) => p.outcome === 'DOWN');
      const upShares = Math.max(0, (up?.confirmed ?? 0) + (up?.pending ?? 0));
      const downShares = Math.max(0, (down?.confirmed ?? 0) + (down?.pending ?? 0));
      const cost = positions.reduce((s, p) => s + p.costUsd, 0);
      const fees = positions.reduce((s, p) => s + p.feesUsd, 0);
      const payout = winner === 'UP' ? upShares : downShares;
      const pnl = Number((payout - cost - fees).toFixed(6));
      this.manager.markSettled(conditionId, {
        id: `set-${conditionId}`,
        atMs: nowMs,
        type: 'settlement',
        conditionId,
        asset: positions[0]!.asset,
        winner,
        upShares,
        downShares,
        costUsd: Number(cost.toFixed(6)),
        feesUsd: Number(fees.toFixed(6)),
        payoutUsd: payout,
        realisedPnlUsd: pnl,
      });
      this.logger.info({ conditionId, winner, payout, pnl }, 'position settled');
    }
  }

  /** Halt: cancel every open order at the venue. */
  cancelAll(reason: string, nowMs = Date.now()): Promise<void> {
    return this.exclusive(async () => {
      for (const o of this.manager.nonTerminal()) this.manager.transition(o.request.id, 'cancel_requested', nowMs, reason);
      this.manager.commit(nowMs);
      await this.port.cancelAll();
      this.logger.warn({ reason }, 'cancelled every open order');
    });
  }

  /**
   * A resting order must not be posted on a lapsed heartbeat (the venue would cancel it within
   * moments): beat first when the last one is older than the period. Best effort; a failure shows
   * up in the periodic heartbeat.
   */
  private async freshHeartbeat(): Promise<void> {
    if (Date.now() - this.lastHeartbeatOkMs < (this.cfg.heartbeatEveryMs ?? 5_000)) return;
    try {
      this.heartbeatId = await this.port.heartbeat(this.heartbeatId);
      this.lastHeartbeatOkMs = Date.now();
    } catch {
      this.heartbeatId = '';
    }
  }

  /** Keeps resting orders alive at the venue (10 s without a heartbeat cancels them all). */
  async heartbeat(nowMs = Date.now()): Promise<void> {
    // Any order not final may rest at the venue (an in-flight one too).
    if (this.manager.nonTerminal().length === 0) return;
    try {
      this.heartbeatId = await this.port.heartbeat(this.heartbeatId);
      this.lastHeartbeatOkMs = Date.now();
    } catch (err) {
      this.heartbeatId = '';
      await this.exclusive(async () => {
        this.manager.emitError('heartbeat', `heartbeat failed: ${(err as Error).message}`, nowMs);
        this.manager.commit(nowMs);
      });
      this.logger.error({ err: (err as Error).message }, 'heartbeat failed: the venue may have cancelled every order; re-reading');
      await this.poll(nowMs);
    }
  }
}
