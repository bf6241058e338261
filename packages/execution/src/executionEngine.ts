/**
 * The engine: one lock and four jobs on top of the OrderManager and a ClobPort. No queue and no
 * Redis in here: the worker feeds it jobs and ships its outbox.
 *
 * - placement (`engine/placement.ts`): a request becomes one signed, persisted, posted order;
 * - reconciliation (`engine/reconciliation.ts`): what the venue did with each order in flight;
 * - pairs (`engine/pairJobs.ts`): both legs of an arbitrage as a unit, a lone leg unwound;
 * - settlement (`engine/settlement.ts`): a resolved window's positions booked.
 *
 * Every "now" comes from one injected clock (`cfg.clock`, the system clock by default).
 */
import type { Logger } from 'pino';
import type { Order, OrderRequest, PairOrderRequest } from '@polybot/shared';
import { systemClock, type Clock } from './clock.js';
import type { BookReader, EngineConfig, EngineDeps } from './engine/deps.js';
import { PairJobs } from './engine/pairJobs.js';
import { Placement } from './engine/placement.js';
import { Reconciliation, type TradesCache } from './engine/reconciliation.js';
import { Settlement } from './engine/settlement.js';
import type { OrderManager } from './orderManager.js';
import type { ClobPort, VenueOrder } from './venue/port.js';

export { gridProblem } from './engine/placement.js';
export type { BookReader, EngineConfig } from './engine/deps.js';

export class ExecutionEngine {
  private lock: Promise<unknown> = Promise.resolve();
  readonly clock: Clock;
  private readonly placement: Placement;
  private readonly recon: Reconciliation;
  private readonly pairs: PairJobs;
  private readonly settlement: Settlement;

  constructor(
    readonly manager: OrderManager,
    private readonly port: ClobPort,
    cfg: EngineConfig,
    private readonly logger: Logger,
    private readonly isHalted: () => Promise<boolean>,
    /** Without books a lone arbitrage leg waits (and is held if the window ends first). */
    books?: BookReader,
  ) {
    this.clock = cfg.clock ?? systemClock;
    const deps: EngineDeps = { manager, port, cfg, logger, isHalted, books, clock: this.clock };
    this.placement = new Placement(deps);
    this.recon = new Reconciliation(deps);
    this.placement.recon = this.recon;
    this.recon.placement = this.placement;
    this.pairs = new PairJobs(deps, this.placement, this.recon);
    this.settlement = new Settlement(deps);
  }

  /** One mutation at a time: jobs, polls and halts never interleave their writes. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** An order job. Idempotent: a known signal is reconciled, never placed again. */
  place(r: OrderRequest, nowMs = this.clock.now()): Promise<string> {
    return this.exclusive(() => this.placement.placeOne(r, nowMs));
  }

  /** A pair job: both legs of an arbitrage (see engine/pairJobs.ts). */
  placePair(p: PairOrderRequest, nowMs = this.clock.now()): Promise<string> {
    return this.exclusive(() => this.pairs.place(p, nowMs));
  }

  /** Asks the venue what happened to an order and applies it (status, then trades). */
  reconcile(o: Order, nowMs: number, tradesCache?: TradesCache): Promise<VenueOrder | null> {
    return this.recon.reconcile(o, nowMs, tradesCache);
  }

  /** The venue's rate-limit headers (the adapter reports them): an empty bucket waits for its reset. */
  noteRateLimit(h: { remaining: number | null; resetS: number | null; warning: boolean }): void {
    this.placement.noteRateLimit(h);
  }

  /** Whether new orders are refused now because of a venue mode (425 restarting, 503 cancel-only or post-only). */
  venuePaused(postOnly = false): string | null {
    return this.placement.pausedFor(postOnly);
  }

  /** The periodic pass: reconcile what is in flight, cancel near the end, advance pairs, settle ended windows. */
  poll(nowMs = this.clock.now()): Promise<void> {
    return this.exclusive(async () => {
      await this.recon.pass(nowMs);
      await this.pairs.advanceOpen(nowMs);
      await this.settlement.settle(nowMs);
      this.manager.commit(nowMs);
    });
  }

  /** Halt: cancel every open order at the venue. */
  cancelAll(reason: string, nowMs = this.clock.now()): Promise<void> {
    return this.exclusive(async () => {
      for (const o of this.manager.nonTerminal()) this.manager.transition(o.request.id, 'request_cancel', nowMs, reason);
      this.manager.commit(nowMs);
      await this.port.cancelAll();
      this.logger.warn({ reason }, 'cancelled every open order');
    });
  }

  /**
   * While halted: cancel everything at the venue, and again on every call, until each order we
   * know of is final by the venue's own answer (cancelled, filled, or no longer listed). A cancel
   * that fails (the venue restarting, a timeout) is simply sent again on the next call. Returns how
   * many orders are not final yet (0: the venue confirms none is left).
   *
   * `reconcile: false` skips asking the venue about each order, for a caller whose poll just did
   * (the worker's periodic pass: each order is then asked about once a poll, not twice).
   */
  haltSweep(reason: string, nowMs = this.clock.now(), opts: { reconcile?: boolean } = {}): Promise<number> {
    return this.exclusive(async () => {
      const open = this.manager.nonTerminal();
      if (open.length === 0) return 0;
      for (const o of open) if (o.state !== 'cancel_requested') this.manager.transition(o.request.id, 'request_cancel', nowMs, reason);
      this.manager.commit(nowMs);
      try {
        await this.port.cancelAll();
      } catch (err) {
        this.logger.error({ reason, err: (err as Error).message, left: open.length }, 'cancel-all on halt failed; sending it again on the next pass');
      }
      const tradesCache: TradesCache = new Map();
      for (const o of opts.reconcile === false ? [] : this.manager.nonTerminal()) {
        try {
          await this.recon.reconcile(o, nowMs, tradesCache);
        } catch (err) {
          this.logger.warn({ orderId: o.request.id, err: (err as Error).message }, 'halt: cannot ask the venue about an order; asking again on the next pass');
        }
      }
      this.manager.commit(nowMs);
      const left = this.manager.nonTerminal().length;
      if (left === 0) this.logger.warn({ reason }, 'halt: the venue confirms no order of ours is left');
      return left;
    });
  }

  private heartbeatsStopped = false;

  /**
   * Keeps resting orders alive at the venue (10 s without a heartbeat cancels them all). Never while
   * halted: then the venue's dead-man switch cancels whatever a failed cancel left.
   */
  async heartbeat(nowMs = this.clock.now()): Promise<void> {
    // Any order not final may rest at the venue (an in-flight one too).
    if (this.manager.nonTerminal().length === 0) return;
    // Redis unreadable: not known to be halted (placement refuses meanwhile), so orders are kept alive.
    const halted = await this.isHalted().catch(() => false);
    if (halted !== this.heartbeatsStopped) {
      this.heartbeatsStopped = halted;
      if (halted) this.logger.warn('halted: heartbeats stopped (the venue cancels anything still resting within ~10 s)');
      else this.logger.info('heartbeats resumed');
    }
    if (halted) return;
    try {
      await this.placement.beat();
    } catch (err) {
      await this.exclusive(async () => {
        this.manager.emitError('heartbeat', `heartbeat failed: ${(err as Error).message}`, nowMs);
        this.manager.commit(nowMs);
      });
      this.logger.error({ err: (err as Error).message }, 'heartbeat failed: the venue may have cancelled every order; re-reading');
      await this.poll(nowMs);
    }
  }
}
