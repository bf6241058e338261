/**
 * One job from the `orders` queue, as the worker's consumer runs it: refused while the outbox of
 * execution events is backed up (the queue is not taking them), else placed by the engine.
 */
import type { Logger } from 'pino';
import type { OrderRequest, PairOrderRequest } from '@polybot/shared';
import type { ExecutionEngine } from './executionEngine.js';
import type { OrderManager } from './orderManager.js';

type OrderJob = OrderRequest | PairOrderRequest;

/** The refusal for a job while more than `max` events wait in the outbox, or null to go ahead. */
export function backlogRefusal(manager: OrderManager, job: OrderJob, max: number): string | null {
  const backlog = manager.outbox().length;
  if (backlog <= max) return null;
  // A redelivered job of a known order is still reconciled: that adds no exposure.
  const known = 'kind' in job ? manager.getPair(job.id) : manager.get(job.id);
  if (known) return null;
  return `refused: outbox backed up (${backlog} events waiting)`;
}

/** Runs one order job: the backlog check, then the engine (a pair carries both legs, placed as a unit). */
export async function runOrderJob(job: OrderJob, deps: { manager: OrderManager; engine: ExecutionEngine; maxOutbox: number; logger: Logger }): Promise<string> {
  const refusal = backlogRefusal(deps.manager, job, deps.maxOutbox);
  if (refusal) {
    deps.logger.error(
      { orderId: job.id, backlog: deps.manager.outbox().length, max: deps.maxOutbox },
      'order refused: the execution-events outbox is backed up',
    );
    return refusal;
  }
  return 'kind' in job ? deps.engine.placePair(job) : deps.engine.place(job);
}
