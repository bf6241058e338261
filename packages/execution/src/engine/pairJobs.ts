/**
 * Pairs: both legs of an arbitrage placed as a unit, in one `POST /orders`. The pair is recorded
 * before its legs are signed; the legs and any unwind are ordinary orders with deterministic ids, so a redelivered job
 * or a restart only advances the pair from where the record says it is (never places a leg twice).
 */
import { feeOf, roundToStep, SIZE_STEP, type Order, type OrderRequest, type PairOrderRequest } from '@polybot/shared';
import { FINAL_PAIR_STATES, type PairRecord, type PairState } from '../orderStore.js';
import { pairLimitProblem } from '../hardLimits.js';
import { loneLegChoice } from '../pairs.js';
import type { EngineDeps } from './deps.js';
import type { Placement } from './placement.js';
import type { Reconciliation } from './reconciliation.js';

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');

export class PairJobs {
  constructor(
    private readonly d: EngineDeps,
    private readonly placement: Placement,
    private readonly recon: Reconciliation,
  ) {}

  /** A pair job, for callers holding the engine's lock. */
  async place(p: PairOrderRequest, nowMs: number): Promise<string> {
    const { manager, cfg, clock } = this.d;
    if (!manager.getPair(p.id)) {
      if (await this.d.isHalted()) return 'refused: circuit breaker is open';
      if (nowMs > p.legs[0].windowEndMs - cfg.cancelBeforeEndMs) return 'refused: too close to the window end';
      const breach = cfg.limits ? pairLimitProblem(p.legs, manager.all(), (c) => manager.isSettled(c), cfg.limits, nowMs) : null;
      manager.createPair(p, nowMs);
      if (breach) {
        // Recorded (a redelivery finds it final) and alerted; no leg is ever signed.
        this.d.logger.error({ pairId: p.id, breach }, 'pair refused at execution hard limits: no leg signed');
        manager.setPairState(p.id, 'abandoned', `refused: ${breach}`, nowMs);
        manager.emitError('limit', `${p.id}: ${breach}`, nowMs);
      }
      manager.commit(nowMs);
    }
    await this.advance(p.id, nowMs);
    manager.commit(clock.now());
    return `pair ${manager.getPair(p.id)!.state}`;
  }

  /** Every pair not yet final, one step each (the periodic pass). */
  async advanceOpen(nowMs: number): Promise<void> {
    for (const p of this.d.manager.openPairs()) {
      try {
        await this.advance(p.request.id, nowMs);
      } catch (err) {
        this.d.logger.warn({ pairId: p.request.id, err: (err as Error).message }, 'pair step failed; will retry');
      }
    }
  }

  /**
   * One pair, as far as it can go now. Both legs together in one batch; once both are final,
   * complete (equal fills), abandoned (neither filled), or a lone leg (one refused, killed or filled
   * less) to unwind by the cheaper of selling it back at the bid or buying the other side at the
   * ask, judged at the current book. A leg or unwind still in flight stops the walk: the periodic
   * poll reconciles it and calls this again.
   */
  private async advance(pairId: string, nowMs: number): Promise<void> {
    const { manager, cfg, logger } = this.d;
    for (let step = 0; step < 6; step++) {
      const rec = manager.getPair(pairId);
      if (!rec || FINAL_PAIR_STATES.has(rec.state)) return;
      const [first, second] = rec.request.legs;
      const a = manager.get(first.id);
      if (!a) {
        if (manager.get(second.id)) {
          // The batch refused the second leg before signing: nothing was posted.
          manager.setPairState(pairId, 'abandoned', `leg ${second.outcome} refused before posting: neither leg sent, nothing held`, nowMs);
          return;
        }
        // Nothing is held yet: a pair that could not start soon after risk sent it is dropped.
        if (nowMs - rec.request.createdAtMs > (cfg.pairStartTimeoutMs ?? 10_000)) {
          manager.setPairState(pairId, 'abandoned', 'legs not placed in time: nothing held', nowMs);
          return;
        }
        // Both legs in one `POST /orders` (§5.3 item 13): neither waits on the other's answer.
        const res = await this.placement.placeMany([first, second], nowMs);
        if (!manager.get(first.id) && !manager.get(second.id)) return this.note(rec, 'placing', `legs not placed: ${res}`, nowMs);
        continue;
      }
      if (!(await this.recon.isFinal(a, nowMs))) return; // still in flight: the poll asks again
      const b = manager.get(second.id);
      if (b && !(await this.recon.isFinal(b, nowMs))) return;
      const filledB = b?.filledSize ?? 0;
      if (a.filledSize <= 0 && filledB <= 0) {
        manager.setPairState(
          pairId,
          'abandoned',
          `neither leg filled (${first.outcome} ${a.state}, ${second.outcome} ${b?.state ?? 'not placed'}): nothing held`,
          nowMs,
        );
        logger.info({ pairId, first: a.state, second: b?.state ?? null }, 'arbitrage pair abandoned: no leg filled');
        return;
      }
      if (!b && rec.state === 'placing') {
        // A pair recorded before its legs were batched: the second leg follows the first's fill.
        if (nowMs > second.windowEndMs - cfg.cancelBeforeEndMs) {
          manager.setPairState(pairId, 'lone', `second leg ${second.outcome} not placed: too close to the window end`, nowMs);
          continue;
        }
        // The same size as the first leg filled (FOK: all of it).
        const res = await this.placement.placeOne({ ...second, size: roundToStep(a.filledSize, SIZE_STEP) }, nowMs);
        if (manager.get(second.id)) continue;
        return this.note(rec, 'placing', `second leg waits: ${res}`, nowMs); // halted: retried by the poll
      }
      if (rec.state === 'placing' && Math.abs(a.filledSize - filledB) < SIZE_STEP / 2) {
        const legs = [a, b!];
        const cost = legs.reduce((s, o) => s + o.fills.filter((f) => f.status !== 'FAILED').reduce((t, f) => t + f.size * f.price + f.fee, 0), 0);
        const locked = Number((a.filledSize - cost).toFixed(6));
        manager.setPairState(pairId, 'complete', `both legs filled ${a.filledSize}: locked ${locked.toFixed(6)} pUSD after fees`, nowMs, {
          lockedProfitUsd: locked,
        });
        logger.info({ pairId, shares: a.filledSize, costUsd: Number(cost.toFixed(6)), lockedProfitUsd: locked }, 'arbitrage pair complete');
        return;
      }
      if (rec.state === 'placing') {
        manager.setPairState(
          pairId,
          'lone',
          `leg ${first.outcome} filled ${a.filledSize}, leg ${second.outcome} ${b?.state ?? 'not placed'} with ${filledB}`,
          nowMs,
        );
        continue;
      }
      const before = rec.state; // the record is updated in place
      await this.unwindLoneLeg(pairId, a.filledSize >= filledB ? a : b!, Math.abs(a.filledSize - filledB), nowMs);
      if (manager.getPair(pairId)?.state === before) return;
    }
  }

  private note(rec: PairRecord, state: PairState, note: string, nowMs: number): void {
    // Keep one note per reason, not one per poll.
    if (rec.history.at(-1)?.note !== note) this.d.manager.setPairState(rec.request.id, state, note, nowMs);
  }

  /**
   * A leg filled alone (`lone`; the other did not fill, or filled less). Re-check at the current
   * book which loses less per share: SELL the lone shares back at the bid, or BUY the other side at
   * its ask so every share is a pair paying 1. One marketable (FAK) order, id `<pair>-unwind`;
   * what it cannot fill is held to resolution.
   */
  private async unwindLoneLeg(pairId: string, lone: Order, shares: number, nowMs: number): Promise<void> {
    const { manager, cfg, logger, books } = this.d;
    const rec = manager.getPair(pairId)!;
    const unwindId = `${pairId}-unwind`;
    const existing = manager.get(unwindId);
    if (existing) {
      if (rec.state === 'lone') manager.setPairState(pairId, 'unwinding', `unwind ${existing.request.side} placed`, nowMs);
      if (!(await this.recon.isFinal(existing, nowMs))) return;
      const left = roundToStep(shares - existing.filledSize, SIZE_STEP);
      manager.setPairState(
        pairId,
        'unwound',
        `unwind ${existing.request.side} ${existing.request.outcome} ${existing.state}: ${existing.filledSize} of ${existing.request.size}${left > 0 ? `, ${left} held to resolution` : ''}`,
        nowMs,
      );
      logger.warn({ pairId, unwindId, state: existing.state, filled: existing.filledSize, heldNaked: left }, 'lone arbitrage leg unwound');
      return;
    }
    const leg = lone.request;
    const otherLeg = rec.request.legs.find((l) => l.id !== leg.id)!;
    if (nowMs > leg.windowEndMs - cfg.cancelBeforeEndMs) {
      manager.setPairState(pairId, 'held', `lone ${leg.outcome} ${shares} held to resolution: too close to the window end to unwind`, nowMs);
      return;
    }
    if (await this.d.isHalted()) return this.note(rec, 'lone', 'unwind waits: circuit breaker is open', nowMs);
    const [ownBook, otherBook] = books ? await Promise.all([books(leg.tokenId).catch(() => null), books(otherLeg.tokenId).catch(() => null)]) : [null, null];
    if (!ownBook && !otherBook) return this.note(rec, 'lone', 'unwind waits: no book to price it on', nowMs);
    const fills = lone.fills.filter((f) => f.status !== 'FAILED');
    const filled = fills.reduce((s, f) => s + f.size, 0);
    const paidPerShare = filled > 0 ? fills.reduce((s, f) => s + f.size * f.price + f.fee, 0) / filled : leg.price;
    const choice = loneLegChoice({
      paidPerShare,
      shares,
      ownBids: ownBook?.bids ?? [],
      otherAsks: otherBook?.asks ?? [],
      feeRate: leg.feeRate,
      feeExponent: feeOf(leg).exponent,
    });
    const signalRule = rec.request.onLoneFill[leg.outcome];
    if (!choice) {
      manager.setPairState(
        pairId,
        'held',
        `lone ${leg.outcome} ${shares} held to resolution: neither a sale nor a completing buy reaches the $1 minimum at the book`,
        nowMs,
      );
      logger.warn({ pairId, shares }, 'lone arbitrage leg held: no unwind possible at the book');
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
    manager.setPairState(pairId, 'unwinding', note, nowMs, {
      unwind: { action: choice.action, shares: choice.shares, lossPerShare: choice.lossPerShare, signalRule },
    });
    manager.commit(nowMs); // the decision is on disk before the order is signed
    logger.warn(
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
    await this.placement.placeOne(unwind, nowMs, { exposureExempt: true }); // it reduces what is held
    if (!manager.get(unwindId)) manager.setPairState(pairId, 'lone', 'unwind not placed; retried on the next poll', nowMs);
  }
}
