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
import { buyCostUsd } from '../money/account.js';
import { VenueOutcomeUnknownError, type PostOutcome, type VenueMode } from '../venue/port.js';
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
  /** A venue-wide mode that refuses new orders (425 restarting, 503 cancel-only / post-only), until when. */
  private venueMode: { mode: VenueMode; untilMs: number } | null = null;

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
    const paused = this.pausedFor(r.postOnly);
    if (paused) return `refused: the venue is ${paused} (no new orders; cancels still go out; trading resumes by itself)`;
    const problem = gridProblem(r);
    if (problem) {
      logger.warn({ orderId: r.id, problem }, 'order request refused before signing');
      manager.createRejected(r, problem, nowMs);
      manager.emitError('rejected', `${r.id}: ${problem}`, nowMs);
      manager.commit(nowMs);
      return 'rejected';
    }
    let request = onGrid(r);
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
    let sized;
    try {
      // The port sizes the order on the venue's precision rules (and its current tick) and signs it.
      sized = await port.sign(request);
    } catch (err) {
      if ((err as { kind?: unknown }).kind !== 'sizing') throw err;
      const why = (err as Error).message;
      logger.warn({ orderId: r.id, problem: why }, 'order request refused before signing');
      manager.createRejected(r, why, nowMs);
      manager.emitError('rejected', `${r.id}: ${why}`, nowMs);
      manager.commit(nowMs);
      return 'rejected';
    }
    const { id, signed } = sized;
    request = sized.request;
    if (request.orderType === 'GTC' || request.orderType === 'GTD') await this.freshHeartbeat();
    manager.create(request, id, signed, nowMs);
    manager.commit(nowMs); // persisted with its hash before it is posted
    await this.postAndApply(manager.get(r.id)!, signed, clock.now());
    manager.commit(clock.now());
    return manager.get(r.id)!.state;
  }

  /**
   * New orders sent together in one `POST /orders` (at most 15; one answer per order, in request
   * order: docs/polymarket-venue.md §5.3 item 13): both legs of an arbitrage pair. All or none are
   * posted: a request refused before signing (grid, execution's hard limits, funds, sizing) is
   * recorded as rejected and nothing is sent. Every order is persisted with its hash before the
   * post; each answer is then applied as a single post's would be (one leg may be refused while the
   * other is accepted), and a lost answer leaves all of them in flight for reconciliation.
   */
  async placeMany(rs: readonly OrderRequest[], nowMs: number): Promise<string> {
    const { manager, cfg, logger, port, clock } = this.d;
    if (rs.length === 0) return 'nothing to place';
    if (rs.length > 15) throw new Error(`at most 15 orders per batch (got ${rs.length})`);
    if (rs.some((r) => manager.get(r.id))) throw new Error('placeMany places new orders only');
    if (await this.d.isHalted()) return 'refused: circuit breaker is open';
    if (rs.some((r) => nowMs > r.windowEndMs - cfg.cancelBeforeEndMs)) return 'refused: too close to the window end';
    const paused = rs.map((r) => this.pausedFor(r.postOnly)).find((m) => m !== null);
    if (paused) return `refused: the venue is ${paused} (no new orders; cancels still go out; trading resumes by itself)`;
    const refuse = (r: OrderRequest, why: string, kind: 'rejected' | 'limit' | null) => {
      logger.warn({ orderId: r.id, problem: why }, 'batched order refused before signing: nothing of the batch is posted');
      manager.createRejected(r, why, nowMs);
      if (kind) manager.emitError(kind, `${r.id}: ${why}`, nowMs);
      manager.commit(nowMs);
      return `refused: ${r.id}: ${why}`;
    };
    const requests: OrderRequest[] = [];
    // The batch's buys are paid from one balance: each is checked with what the earlier ones take.
    let batchUsd = 0;
    for (const r of rs) {
      const problem = gridProblem(r);
      if (problem) return refuse(r, problem, 'rejected');
      const request = onGrid(r);
      const breach = cfg.limits ? hardLimitProblem(request, manager.all(), (c) => manager.isSettled(c), cfg.limits, nowMs) : null;
      if (breach) return refuse(r, breach, 'limit');
      const short = cfg.funds?.(request, batchUsd);
      if (short) return refuse(r, short, null);
      batchUsd += buyCostUsd(request);
      requests.push(request);
    }
    const signed: Array<{ id: string; signed: Record<string, unknown>; request: OrderRequest }> = [];
    for (const request of requests) {
      try {
        signed.push(await port.sign(request));
      } catch (err) {
        if ((err as { kind?: unknown }).kind !== 'sizing') throw err;
        return refuse(request, (err as Error).message, 'rejected');
      }
    }
    if (signed.some((x) => x.request.orderType === 'GTC' || x.request.orderType === 'GTD')) await this.freshHeartbeat();
    for (const x of signed) manager.create(x.request, x.id, x.signed, nowMs);
    manager.commit(nowMs); // every order persisted with its hash before the batch is posted
    const orders = signed.map((x) => manager.get(x.request.id)!);
    let outs: PostOutcome[];
    try {
      outs = await this.postManyRateLimited(
        orders,
        signed.map((x) => x.signed),
      );
    } catch (err) {
      for (const o of orders) {
        logger.warn({ orderId: o.request.id, err: (err as Error).message }, 'batched order outcome unknown; will reconcile');
        manager.emitError('venue', `post ${o.request.id}: outcome unknown (${(err as Error).message.slice(0, 200)})`, clock.now());
      }
      manager.commit(clock.now());
      return orders.map((o) => o.state).join(', ');
    }
    for (let i = 0; i < orders.length; i++) await this.apply(orders[i]!, outs[i]!, clock.now());
    manager.commit(clock.now());
    return orders.map((o) => manager.get(o.request.id)!.state).join(', ');
  }

  /** A batch within the order bucket (one token per order, all or nothing: §5.6 item 20); a 429 pauses it and re-sends the same batch. */
  private async postManyRateLimited(orders: Order[], signed: Array<Record<string, unknown>>): Promise<PostOutcome[]> {
    const { cfg, port, logger } = this.d;
    const attempts = cfg.maxRateLimitedPosts ?? 3;
    for (let i = 1; ; i++) {
      await this.limiter.acquire([this.orderBucket], orders.length);
      const outs = await port.postMany(orders.map((o, k) => ({ signed: signed[k]!, orderType: o.request.orderType, postOnly: o.request.postOnly })));
      if (outs.length !== orders.length) throw new VenueOutcomeUnknownError(`a batch of ${orders.length} answered ${outs.length} outcomes`);
      const limited = outs.find((x): x is Extract<PostOutcome, { kind: 'rate_limited' }> => x.kind === 'rate_limited');
      if (!limited || i >= attempts) return outs;
      const backoff = limited.retryAfterMs ?? cfg.rateLimitBackoffMs ?? 1_000;
      logger.warn({ orders: orders.map((o) => o.request.id), backoffMs: backoff, attempt: i }, 'venue rate limit (429) on a batch: backing off');
      await this.limiter.pause(this.orderBucket, backoff);
    }
  }

  /** The venue's mode while it refuses this kind of order (post-only mode lets post-only orders through). */
  pausedFor(postOnly: boolean): VenueMode | null {
    const m = this.venueMode;
    if (!m) return null;
    if (this.d.clock.now() >= m.untilMs) {
      this.venueMode = null; // try again: the next post finds out whether it is over
      return null;
    }
    return m.mode === 'post_only' && postOnly ? null : m.mode;
  }

  /** The venue's rate-limit headers: an empty bucket waits until it refills. */
  noteRateLimit(h: { remaining: number | null; resetS: number | null; warning: boolean }): void {
    if (h.warning) this.d.logger.warn({ remaining: h.remaining }, 'venue rate-limit warning (Poly-RateLimit-Warning)');
    if (h.remaining !== null && h.remaining <= 0) void this.limiter.pause(this.orderBucket, Math.max(1, h.resetS ?? 1) * 1_000);
  }

  /** Posts within the venue's rate limit; a 429 pauses the bucket and the same signed order is re-sent. */
  private async postRateLimited(o: Order, signed: Record<string, unknown>): Promise<PostOutcome> {
    const { cfg, port, logger } = this.d;
    const attempts = cfg.maxRateLimitedPosts ?? 3;
    for (let i = 1; ; i++) {
      await this.limiter.acquire([this.orderBucket]);
      const out = await port.post(signed, o.request.orderType, o.request.postOnly);
      if (out.kind !== 'rate_limited' || i >= attempts) return out;
      const backoff = out.retryAfterMs ?? cfg.rateLimitBackoffMs ?? 1_000;
      logger.warn({ orderId: o.request.id, backoffMs: backoff, attempt: i }, 'venue rate limit (429): backing off');
      await this.limiter.pause(this.orderBucket, backoff);
    }
  }

  /**
   * Posts a persisted order and applies what the venue said. A lost answer (timeout, reset, 5xx:
   * VenueOutcomeUnknownError) leaves the order in flight for reconciliation, never assumed rejected.
   * `known`: the venue already lists no such active order, so a duplicate means it is final.
   */
  async postAndApply(o: Order, signed: Record<string, unknown>, nowMs: number, known = false): Promise<void> {
    const { manager, logger } = this.d;
    const id = o.request.id;
    let out: PostOutcome;
    try {
      out = await this.postRateLimited(o, signed);
    } catch (err) {
      // The venue may have it: stay in flight and ask it later.
      logger.warn({ orderId: id, err: (err as Error).message }, 'order outcome unknown; will reconcile');
      manager.emitError('venue', `post ${id}: outcome unknown (${(err as Error).message.slice(0, 200)})`, nowMs);
      return;
    }
    await this.apply(o, out, nowMs, known);
  }

  /** What the venue said to one posted order, applied to its record. */
  private async apply(o: Order, out: PostOutcome, nowMs: number, known = false): Promise<void> {
    const { manager, logger } = this.d;
    const id = o.request.id;
    switch (out.kind) {
      case 'accepted':
        logger.info({ orderId: id, status: out.status }, 'order accepted by the venue');
        if (out.status === 'live' || out.status === 'unmatched') manager.transition(id, 'accept', nowMs);
        if (out.status !== 'delayed') await this.recon.reconcile(o, nowMs);
        return;
      case 'rejected':
        logger.warn(
          { orderId: id, reason: out.reason, message: out.message },
          out.reason === 'killed' ? 'order killed unfilled' : 'order rejected by the venue',
        );
        // Our amounts meet the precision rules on the tick we know (sizing.ts): a tick or precision
        // refusal means the venue's tick moved. Ask it again before the next order of the token.
        if (out.reason === 'tick_size' || out.reason === 'precision') this.d.port.tickSizeChanged?.(o.request.tokenId);
        manager.transition(id, out.reason === 'killed' ? 'cancel' : 'reject', nowMs, out.message);
        return;
      case 'duplicate':
        if (known) {
          // The venue has this order and lists it as not active: it is final, with what its trades show.
          manager.transition(id, 'cancel', nowMs, 'the venue holds it as no longer active');
          return;
        }
        await this.recon.reconcile(o, nowMs);
        return;
      case 'unavailable': {
        const untilMs = this.d.clock.now() + (out.retryAfterMs ?? 5_000);
        this.venueMode = { mode: out.mode, untilMs };
        logger.warn({ orderId: id, mode: out.mode, untilMs }, 'venue refuses new orders: pausing placement (cancels still go out)');
        manager.transition(id, 'reject', nowMs, `venue ${out.mode.replace('_', '-')}: not accepted`);
        return;
      }
      case 'rate_limited':
        // Still 429 after the retries: the venue did not take it. Reconciliation re-sends the same signed order.
        logger.warn({ orderId: id }, 'order not accepted (rate limited); will reconcile');
        manager.emitError('venue', `post ${id}: rate limited`, nowMs);
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
