/**
 * The order state machine as a table keyed on (state, event): one line per legal pair. Any other
 * pair is a bug or an anomaly and throws (INVALID_TRANSITION); callers that feed it venue input
 * they cannot vouch for ask `canApply` first and log what they skip.
 */
import { PolybotError, type OrderState } from '@polybot/shared';

/** What happened to an order. */
export const ORDER_EVENTS = [
  /** Signed and persisted with its hash, about to be posted. */
  'submit',
  /** The venue has it resting (or matched nothing yet). */
  'accept',
  /** A fill that leaves some of it open. */
  'fill_partial',
  /** Fills now cover the whole size. */
  'fill_complete',
  /** We asked the venue to cancel it. */
  'request_cancel',
  /** The venue cancelled it (our cancel, a killed FOK/FAK, resolution, a lapsed heartbeat). */
  'cancel',
  /** Refused before or by the venue. */
  'reject',
  /** Gone without a venue answer (never arrived before its market ended, GTD expiry). */
  'expire',
] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

const LIVE_ON: Partial<Record<OrderEvent, OrderState>> = {
  fill_partial: 'partially_filled',
  fill_complete: 'filled',
  request_cancel: 'cancel_requested',
  cancel: 'canceled',
  expire: 'expired',
};

const TABLE: Record<OrderState, Partial<Record<OrderEvent, OrderState>>> = {
  new: { submit: 'submitted', reject: 'rejected' },
  // In flight: the venue may answer anything, or nothing (then we ask it).
  submitted: { accept: 'open', reject: 'rejected', ...LIVE_ON },
  open: { ...LIVE_ON },
  partially_filled: { ...LIVE_ON },
  // A fill racing our cancel is real; asking again changes nothing.
  cancel_requested: { fill_partial: 'partially_filled', fill_complete: 'filled', request_cancel: 'cancel_requested', cancel: 'canceled', expire: 'expired' },
  filled: {},
  canceled: {},
  rejected: {},
  expired: {},
};

/** The state an event leads to from `from`, or undefined when the pair is not in the table. */
export function nextState(from: OrderState, event: OrderEvent): OrderState | undefined {
  return TABLE[from][event];
}

export function canApply(from: OrderState, event: OrderEvent): boolean {
  return nextState(from, event) !== undefined;
}

/** The next state; an illegal (state, event) pair throws. */
export function transitionOn(from: OrderState, event: OrderEvent): OrderState {
  const to = nextState(from, event);
  if (to === undefined) throw new PolybotError('INVALID_TRANSITION', `order in ${from} cannot take event ${event}`);
  return to;
}

/** Edges (from → to) the table allows, derived from it: what the status page and tests read. */
export const TRANSITIONS = {} as Record<OrderState, readonly OrderState[]>;
for (const [from, row] of Object.entries(TABLE) as Array<[OrderState, Partial<Record<OrderEvent, OrderState>>]>) {
  TRANSITIONS[from] = [...new Set(Object.values(row))].filter((to) => to !== from || from === 'partially_filled');
}

export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

export const ORDER_EVENT_TABLE = TABLE;
