/**
 * Placement, reconciliation and settlement on top of the OrderManager and a ClobPort. No queue and
 * no Redis in here: the worker feeds it jobs and ships its outbox.
 */
import type { Logger } from 'pino';
import {
  isOnStep,
  isValidPrice,
  roundToStep,
  SIZE_STEP,
  takerFee,
  TERMINAL_ORDER_STATES,
  type BookLevel,
  type Order,
  type OrderRequest,
  type PairOrderRequest,
} from '@polybot/shared';
import { tradeStatusOf, type OrderManager } from './orderManager.js';
import { FINAL_PAIR_STATES, type PairRecord, type PairState } from './orderStore.js';
import { loneLegChoice } from './pairs.js';
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
  /** A pair whose first leg could not be placed this long after risk decided it is dropped (default 10 s). */
  pairStartTimeoutMs?: number;
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
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');

/** The current book of a token, best first on both sides (null: none). Used to unwind a lone arbitrage leg. */
export type BookReader = (tokenId: string) => Promise<{ bids: BookLevel[]; asks: BookLevel[] } | null>;

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
    /** Without books a lone arbitrage leg waits (and is held if the window ends first). */
    private readonly books?: BookReader,
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
    return this.exclusive(() => this.placeOne(r, nowMs));
  }

  /** The body of `place`, for callers already holding the lock (pairs place their legs through it). */
  private async placeOne(r: OrderRequest, nowMs: number): Promise<string> {
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
  }

  /**
   * A pair job: both legs of an arbitrage. The pair is recorded before its first leg is signed; the
   * legs and any unwind are ordinary orders with deterministic ids, so a redelivered job or a
   * restart only advances the pair from where orders.json says it is (never places a leg twice).
   */
  placePair(p: PairOrderRequest, nowMs = Date.now()): Promise<string> {
    return this.exclusive(async () => {
      if (!this.manager.getPair(p.id)) {
        if (await this.isHalted()) return 'refused: circuit breaker is open';
        if (nowMs > p.legs[0].windowEndMs - this.cfg.cancelBeforeEndMs) return 'refused: too close to the window end';
        this.manager.createPair(p, nowMs);
        this.manager.commit(nowMs);
      }
      await this.advancePair(p.id, nowMs);
      this.manager.commit(Date.now());
      return `pair ${this.manager.getPair(p.id)!.state}`;
    });
  }

  /**
   * One pair, as far as it can go now. First leg; once it filled, the second (the same size); once
   * both are final, complete, or a lone leg to unwind by the cheaper of selling it back at the bid
   * or buying the other side at the ask, judged at the current book. A leg or unwind still in
   * flight stops the walk: the periodic poll reconciles it and calls this again.
   */
  private async advancePair(pairId: string, nowMs: number): Promise<void> {
    for (let step = 0; step < 6; step++) {
      const rec = this.manager.getPair(pairId);
      if (!rec || FINAL_PAIR_STATES.has(rec.state)) return;
      const [first, second] = rec.request.legs;
      const a = this.manager.get(first.id);
      if (!a) {
        // Nothing is held yet: a pair that could not start soon after risk sent it is dropped.
        if (nowMs - rec.request.createdAtMs > (this.cfg.pairStartTimeoutMs ?? 10_000)) {
          this.manager.setPairState(pairId, 'abandoned', 'first leg not placed in time: nothing held', nowMs);
          return;
        }
        const res = await this.placeOne(first, nowMs);
        if (!this.manager.get(first.id)) return this.pairNote(rec, 'placing', `first leg not placed: ${res}`, nowMs);
        continue;
      }
      if (!(await this.isFinal(a, nowMs))) return; // still in flight: the poll asks again
      if (a.filledSize <= 0) {
        this.manager.setPairState(pairId, 'abandoned', `first leg ${first.outcome} ${a.state} unfilled: second leg not placed, nothing held`, nowMs);
        this.logger.info({ pairId, leg: first.id, state: a.state }, 'arbitrage pair abandoned: first leg did not fill');
        return;
      }
      const b = this.manager.get(second.id);
      if (!b && rec.state === 'placing') {
        if (nowMs > second.windowEndMs - this.cfg.cancelBeforeEndMs) {
          this.manager.setPairState(pairId, 'lone', `second leg ${second.outcome} not placed: too close to the window end`, nowMs);
          continue;
        }
        // The same size as the first leg filled (FOK: all of it).
        const res = await this.placeOne({ ...second, size: roundToStep(a.filledSize, SIZE_STEP) }, nowMs);
        if (this.manager.get(second.id)) continue;
        return this.pairNote(rec, 'placing', `second leg waits: ${res}`, nowMs); // halted: retried by the poll
      }
      if (b && !(await this.isFinal(b, nowMs))) return;
      const filledB = b?.filledSize ?? 0;
      if (rec.state === 'placing' && Math.abs(a.filledSize - filledB) < SIZE_STEP / 2) {
        const legs = [a, b!];
        const cost = legs.reduce((s, o) => s + o.fills.filter((f) => f.status !== 'FAILED').reduce((t, f) => t + f.size * f.price + f.fee, 0), 0);
        const locked = Number((a.filledSize - cost).toFixed(6));
        this.manager.setPairState(pairId, 'complete', `both legs filled ${a.filledSize}: locked ${locked.toFixed(6)} pUSD after fees`, nowMs, {
          lockedProfitUsd: locked,
        });
        this.logger.info({ pairId, shares: a.filledSize, costUsd: Number(cost.toFixed(6)), lockedProfitUsd: locked }, 'arbitrage pair complete');
        return;
      }
      if (rec.state === 'placing') {
        this.manager.setPairState(
          pairId,
          'lone',
          `leg ${first.outcome} filled ${a.filledSize}, leg ${second.outcome} ${b?.state ?? 'not placed'} with ${filledB}`,
          nowMs,
        );
        continue;
      }
      const before = rec.state; // the record is updated in place
      await this.unwindLoneLeg(pairId, a.filledSize >= filledB ? a : b!, Math.abs(a.filledSize - filledB), nowMs);
      if (this.manager.getPair(pairId)?.state === before) return;
    }
  }

  /** Final already, or after asking the venue (a redelivered pair job must not wait for the poll). */
  private async isFinal(o: Order, nowMs: number): Promise<boolean> {
    if (TERMINAL_ORDER_STATES.has(o.state)) return true;
    await this.reconcile(o, nowMs);
    return TERMINAL_ORDER_STATES.has(o.state);
  }

  private pairNote(rec: PairRecord, state: PairState, note: string, nowMs: number): void {
    // Keep one note per reason, not one per poll.
    if (rec.history.at(-1)?.note !== note) this.manager.setPairState(rec.request.id, state, note, nowMs);
  }

  /**
   * A leg filled alone (`lone`; the other did not fill, or filled less). Re-check at the current
   * book which loses less per share: SELL the lone shares back at the bid, or BUY the other side at
   * its ask so every share is a pair paying 1. One marketable (FAK) order, id `<pair>-unwind`;
   * what it cannot fill is held to resolution.
   */
  private async unwindLoneLeg(pairId: string, lone: Order, shares: number, nowMs: number): Promise<void> {
    const rec = this.manager.getPair(pairId)!;
    const unwindId = `${pairId}-unwind`;
    const existing = this.manager.get(unwindId);
    if (existing) {
      if (rec.state === 'lone') this.manager.setPairState(pairId, 'unwinding', `unwind ${existing.request.side} placed`, nowMs);
      if (!(await this.isFinal(existing, nowMs))) return;
      const left = roundToStep(shares - existing.filledSize, SIZE_STEP);
      this.manager.setPairState(
        pairId,
        'unwound',
        `unwind ${existing.request.side} ${existing.request.outcome} ${existing.state}: ${existing.filledSize} of ${existing.request.size}${left > 0 ? `, ${left} held to resolution` : ''}`,
        nowMs,
      );
      this.logger.warn({ pairId, unwindId, state: existing.state, filled: existing.filledSize, heldNaked: left }, 'lone arbitrage leg unwound');
      return;
    }
    const leg = lone.request;
    const otherLeg = rec.request.legs.find((l) => l.id !== leg.id)!;
    if (nowMs > leg.windowEndMs - this.cfg.cancelBeforeEndMs) {
      this.manager.setPairState(pairId, 'held', `lone ${leg.outcome} ${shares} held to resolution: too close to the window end to unwind`, nowMs);
      return;
    }
    if (await this.isHalted()) return this.pairNote(rec, 'lone', 'unwind waits: circuit breaker is open', nowMs);
    const [ownBook, otherBook] = this.books
      ? await Promise.all([this.books(leg.tokenId).catch(() => null), this.books(otherLeg.tokenId).catch(() => null)])
      : [null, null];
    if (!ownBook && !otherBook) return this.pairNote(rec, 'lone', 'unwind waits: no book to price it on', nowMs);
    const fills = lone.fills.filter((f) => f.status !== 'FAILED');
    const filled = fills.reduce((s, f) => s + f.size, 0);
    const paidPerShare = filled > 0 ? fills.reduce((s, f) => s + f.size * f.price + f.fee, 0) / filled : leg.price;
    const choice = loneLegChoice({ paidPerShare, shares, ownBids: ownBook?.bids ?? [], otherAsks: otherBook?.asks ?? [], feeRate: leg.feeRate });
    const signalRule = rec.request.onLoneFill[leg.outcome];
    if (!choice) {
      this.manager.setPairState(
        pairId,
        'held',
        `lone ${leg.outcome} ${shares} held to resolution: neither a sale nor a completing buy reaches the $1 minimum at the book`,
        nowMs,
      );
      this.logger.warn({ pairId, shares }, 'lone arbitrage leg held: no unwind possible at the book');
      return;
    }
    const target = choice.action === 'sell' ? leg : otherLeg;
    const unwind: OrderRequest = {
      ...target,
      id: unwindId,
      signalId: pairId,
      createdAtMs: nowMs,
      side: choice.action === 'sell' ? 'SELL' : 'BUY',
      orderType: 'FAK',
      price: choice.limitPrice,
      size: choice.shares,
      sizing: {
        bankrollUsd: leg.sizing.bankrollUsd,
        kellyFraction: 0,
        notionalUsd: Number((choice.shares * choice.limitPrice).toFixed(6)),
        cappedBy: 'lone_leg',
      },
    };
    const note = `lone ${leg.outcome} ${shares}: ${choice.action === 'sell' ? `sell back at ≥ ${choice.limitPrice}` : `buy ${otherLeg.outcome} at ≤ ${choice.limitPrice}`} (loss ${choice.lossPerShare.toFixed(4)}/share; sell ${fmt(choice.sellLoss)}, hold ${fmt(choice.holdLoss)}; analysis said ${signalRule})`;
    this.manager.setPairState(pairId, 'unwinding', note, nowMs, {
      unwind: { action: choice.action, shares: choice.shares, lossPerShare: choice.lossPerShare, signalRule },
    });
    this.manager.commit(nowMs); // the decision is on disk before the order is signed
    this.logger.warn(
      {
        pairId,
        lone: leg.id,
        action: choice.action,
        shares: choice.shares,
        limit: choice.limitPrice,
        sellLossPerShare: choice.sellLoss,
        holdLossPerShare: choice.holdLoss,
        signalRule,
      },
      'lone arbitrage leg: unwinding',
    );
    await this.placeOne(unwind, nowMs);
    if (!this.manager.get(unwindId)) this.manager.setPairState(pairId, 'lone', 'unwind not placed; retried on the next poll', nowMs);
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
    // Trades read earlier in the pass are older than the status just read: a fill since then is missing.
    const readBeforeStatus = trades !== undefined;
    if (!trades) {
      trades = this.port.tradesFor(conditionId);
      tradesCache?.set(conditionId, trades);
    }
    this.applyTrades(o, await trades, nowMs);
    if (readBeforeStatus && Math.abs(o.filledSize - v.sizeMatched) > 1e-6) {
      // The venue matched a different size than those trades say (a fill, or a cancel after one, came
      // in between): read them again before the status, or a final status would hide that fill for good.
      trades = this.port.tradesFor(conditionId);
      tradesCache!.set(conditionId, trades);
      this.applyTrades(o, await trades, nowMs);
    }
    this.manager.applyVenueStatus(o.request.id, v, nowMs);
  }

  private applyTrades(o: Order, trades: readonly VenueTrade[], nowMs: number): void {
    const mine = trades.filter((t) => t.orderId === o.venueOrderId);
    for (const t of [...mine].sort((a, b) => a.atMs - b.atMs)) {
      const status = tradeStatusOf(t.status);
      if (!status || status === 'RETRYING') continue;
      const fee = t.role === 'maker' ? 0 : (t.fee ?? takerFee(t.size, t.price, { rate: o.request.feeRate, exponent: 1 }));
      this.manager.applyFill(o.request.id, { tradeId: t.id, size: t.size, price: t.price, fee, status, atMs: t.atMs || nowMs }, nowMs);
    }
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
          if (
            !TERMINAL_ORDER_STATES.has(o.state) &&
            o.state !== 'cancel_requested' &&
            nowMs > o.request.windowEndMs - this.cfg.cancelBeforeEndMs &&
            o.venueOrderId
          ) {
            if (this.manager.transition(o.request.id, 'cancel_requested', nowMs, 'window about to end')) await this.port.cancel(o.venueOrderId);
          }
        } catch (err) {
          this.logger.warn({ orderId: o.request.id, err: (err as Error).message }, 'reconcile failed; will retry');
        }
      }
      for (const p of this.manager.openPairs()) {
        try {
          await this.advancePair(p.request.id, nowMs);
        } catch (err) {
          this.logger.warn({ pairId: p.request.id, err: (err as Error).message }, 'pair step failed; will retry');
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
