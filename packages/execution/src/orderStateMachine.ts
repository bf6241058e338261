/**
 * The order state machine as a table: one line per legal edge. Every other pair is refused
 * (and logged by the caller as an anomaly).
 */
import { PolybotError, type OrderState } from '@polybot/shared';

const EDGES: Record<OrderState, readonly OrderState[]> = {
  new: ['submitted', 'rejected'],
  // In flight: the venue may answer anything, or nothing (then we ask it).
  submitted: ['open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'cancel_requested'],
  open: ['partially_filled', 'filled', 'cancel_requested', 'canceled', 'expired'],
  partially_filled: ['partially_filled', 'filled', 'cancel_requested', 'canceled', 'expired'],
  // A fill racing our cancel is real.
  cancel_requested: ['partially_filled', 'filled', 'canceled', 'expired'],
  filled: [],
  canceled: [],
  rejected: [],
  expired: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return EDGES[from].includes(to);
}

export function assertTransition(from: OrderState, to: OrderState): void {
  if (!canTransition(from, to)) throw new PolybotError('INVALID_TRANSITION', `order cannot go from ${from} to ${to}`);
}

export const TRANSITIONS = EDGES;
