/**
 * Placement: a request becomes one signed, persisted, posted order (exactly once), within the
 * venue's rate limit, on a fresh heartbeat when it will rest.
 */
import {
  isOnStep,
  isValidPrice,
  roundToStep,
  SIZE_STEP,
  type Order,
  type OrderRequest,
  LocalRateLimiter,
  VENUE_LIMITS,
  type NamedLimit,
  type RateLimiter,
} from '@polybot/shared';
import { hardLimitProblem } from '../hardLimits.js';
import type { EngineDeps } from './deps.js';
import type { Reconciliation } from './reconciliation.js';

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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Placement {
  private heartbeatId = '';
  private lastHeartbeatOkMs = 0;
  private readonly limiter: RateLimiter;
  private readonly orderBucket: NamedLimit;
  /** Set once by the engine (reconciliation and placement call each other). */
  recon!: Reconciliation;

  constructor(private readonly d: EngineDeps) {
    // The signer's order bucket: shared through Redis by every process signing for it (the worker
    // passes that limiter), or kept here alone (tests, tools).
    this.limiter = d.cfg.limiter ?? new LocalRateLimiter({ now: () => d.clock.now(), sleep });
    this.orderBucket = VENUE_LIMITS.orderBucket(d.cfg.signer ?? 'this process', d.cfg.ordersPerS ?? 40, d.cfg.orderBurst ?? 60);
  }

  /** An order job, for callers holding the engine's lock. Idempotent: a known signal is reconciled, never placed again. */
  async placeOne(r: OrderRequest, nowMs: number, opts: { exposureExempt?: boolean } = {}): Promise<string> {
    const { manager, cfg, logger, port, clock } = this.d;
    const existing = manager.get(r.id);
    if (existing) {
      await this.recon.reconcile(existing, nowMs);
      manager.commit(nowMs);
      return `known order (${existing.state})`;
    }
    if (await this.d.isHalted()) return 'refused: circuit breaker is open';
    if (nowMs > r.windowEndMs - cfg.cancelBeforeEndMs) return 'refused: too close to the window end';
    const problem = gridProblem(r);
    if (problem) {
      logger.warn({ orderId: r.id, problem }, 'order request refused before signing');
      manager.createRejected(r, problem, nowMs);
      manager.emitError('rejected', `${r.id}: ${problem}`, nowMs);
      manager.commit(nowMs);
      return 'rejected';
    }
    const request = onGrid(r);
    // Execution's own limits, from its own records: a breaking job is recorded and alerted, never signed.
    const breach = cfg.limits ? hardLimitProblem(request, manager.all(), (c) => manager.isSettled(c), cfg.limits, nowMs, opts.exposureExempt) : null;
    if (breach) {
      logger.error({ orderId: r.id, signalId: r.signalId, size: r.size, price: r.price, breach }, 'order refused at execution hard limits: not signed');
      manager.createRejected(r, breach, nowMs);
      manager.emitError('limit', `${r.id}: ${breach}`, nowMs);
      manager.commit(nowMs);
      return `refused: ${breach}`;
    }
    const short = cfg.funds?.(request);
    if (short) {
      // The account cannot pay for it: refused before signing (the venue would refuse it too).
      logger.warn({ orderId: r.id, problem: short }, 'order request refused: not enough funds');
      manager.createRejected(r, short, nowMs);
      manager.commit(nowMs);
      return 'rejected';
    }
    const { id, signed } = await port.sign(request);
    if (request.orderType === 'GTC' || request.orderType === 'GTD') await this.freshHeartbeat();
    manager.create(request, id, signed, nowMs);
    manager.commit(nowMs); // persisted with its hash before it is posted
    await this.postAndApply(manager.get(r.id)!, signed, clock.now());
    manager.commit(clock.now());
    return manager.get(r.id)!.state;
  }

  /** Posts within the venue's rate limit; a 429 pauses the bucket and the same signed order is re-sent. */
  private async postRateLimited(o: Order, signed: Record<string, unknown>) {
    const { cfg, port, logger } = this.d;
    const attempts = cfg.maxRateLimitedPosts ?? 3;
    for (let i = 1; ; i++) {
      await this.limiter.acquire([this.orderBucket]);
      const out = await port.post(signed, o.request.orderType);
      if (out.kind !== 'rate_limited' || i >= attempts) return out;
      const backoff = out.retryAfterMs ?? cfg.rateLimitBackoffMs ?? 1_000;
      logger.warn({ orderId: o.request.id, backoffMs: backoff, attempt: i }, 'venue rate limit (429): backing off');
      await this.limiter.pause(this.orderBucket, backoff);
    }
  }

  /** Posts a persisted order and applies what the venue said. */
  async postAndApply(o: Order, signed: Record<string, unknown>, nowMs: number): Promise<void> {
    const { manager, logger } = this.d;
    const out = await this.postRateLimited(o, signed);
    const id = o.request.id;
    switch (out.kind) {
      case 'accepted':
        logger.info({ orderId: id, status: out.status }, 'order accepted by the venue');
        if (out.status.toLowerCase() === 'live') manager.transition(id, 'accept', nowMs);
        if (out.status.toLowerCase() !== 'delayed') await this.recon.reconcile(o, nowMs);
        return;
      case 'rejected':
        logger.warn({ orderId: id, reason: out.message }, out.killed ? 'order killed unfilled' : 'order rejected by the venue');
        manager.transition(id, out.killed ? 'cancel' : 'reject', nowMs, out.message);
        return;
      case 'duplicate':
        await this.recon.reconcile(o, nowMs);
        return;
      case 'rate_limited':
      case 'unknown':
        // The venue may have it: stay in flight and ask it later; never assume a rejection.
        logger.warn({ orderId: id, outcome: out.kind, ...(out.kind === 'unknown' ? { err: out.message } : {}) }, 'order outcome unknown; will reconcile');
        manager.emitError('venue', `post ${id}: ${out.kind}`, nowMs);
        return;
    }
  }

  /**
   * A resting order must not be posted on a lapsed heartbeat (the venue would cancel it within
   * moments): beat first when the last one is older than the period. Best effort; a failure shows
   * up in the periodic heartbeat.
   */
  private async freshHeartbeat(): Promise<void> {
    if (this.d.clock.now() - this.lastHeartbeatOkMs < (this.d.cfg.heartbeatEveryMs ?? 5_000)) return;
    try {
      await this.beat();
    } catch {
      this.heartbeatId = '';
    }
  }

  /** One heartbeat; throws (and forgets the id) when the venue refuses it. */
  async beat(): Promise<void> {
    try {
      this.heartbeatId = await this.d.port.heartbeat(this.heartbeatId);
      this.lastHeartbeatOkMs = this.d.clock.now();
    } catch (err) {
      this.heartbeatId = '';
      throw err;
    }
  }
}
