import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ORDER_STATES, type OrderRequest, type OrderState } from '@polybot/shared';
import { OrderManager } from './orderManager.js';
import { canApply, canTransition, nextState, ORDER_EVENTS, TRANSITIONS, type OrderEvent } from './orderStateMachine.js';

const logger = pino({ level: 'silent' });
const request = (id = 'sig-a'): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: 1,
  conditionId: `0x${'a'.repeat(64)}`,
  asset: 'BTC',
  outcome: 'UP',
  tokenId: '123',
  side: 'BUY',
  orderType: 'GTC',
  postOnly: false,
  price: 0.5,
  size: 10,
  windowEndMs: 1_000_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 5, cappedBy: null },
});

function fresh() {
  const m = new OrderManager(null, logger);
  m.create(request(), '0xhash', { any: 1 }, 1);
  return m;
}

describe('order state table', () => {
  const legal: Array<[OrderState, OrderState]> = [
    ['new', 'submitted'],
    ['new', 'rejected'],
    ['submitted', 'open'],
    ['submitted', 'partially_filled'],
    ['submitted', 'filled'],
    ['submitted', 'canceled'],
    ['submitted', 'rejected'],
    ['submitted', 'expired'],
    ['submitted', 'cancel_requested'],
    ['open', 'partially_filled'],
    ['open', 'filled'],
    ['open', 'cancel_requested'],
    ['open', 'canceled'],
    ['open', 'expired'],
    ['partially_filled', 'partially_filled'],
    ['partially_filled', 'filled'],
    ['partially_filled', 'cancel_requested'],
    ['partially_filled', 'canceled'],
    ['partially_filled', 'expired'],
    ['cancel_requested', 'partially_filled'],
    ['cancel_requested', 'filled'],
    ['cancel_requested', 'canceled'],
    ['cancel_requested', 'expired'],
  ];
  const key = (a: string, b: string) => `${a}>${b}`;
  const legalSet = new Set(legal.map(([a, b]) => key(a, b)));

  it.each(ORDER_STATES.flatMap((from) => ORDER_STATES.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(legalSet.has(key(from, to)));
  });

  it('has no way out of a terminal state', () => {
    for (const s of ['filled', 'canceled', 'rejected', 'expired'] as const) expect(TRANSITIONS[s]).toEqual([]);
  });

  // The (state, event) table: every pair, legal or not.
  const EXPECTED: Partial<Record<OrderState, Partial<Record<OrderEvent, OrderState>>>> = {
    new: { submit: 'submitted', reject: 'rejected' },
    submitted: {
      accept: 'open',
      fill_partial: 'partially_filled',
      fill_complete: 'filled',
      request_cancel: 'cancel_requested',
      cancel: 'canceled',
      reject: 'rejected',
      expire: 'expired',
    },
    open: { fill_partial: 'partially_filled', fill_complete: 'filled', request_cancel: 'cancel_requested', cancel: 'canceled', expire: 'expired' },
    partially_filled: { fill_partial: 'partially_filled', fill_complete: 'filled', request_cancel: 'cancel_requested', cancel: 'canceled', expire: 'expired' },
    cancel_requested: { fill_partial: 'partially_filled', fill_complete: 'filled', request_cancel: 'cancel_requested', cancel: 'canceled', expire: 'expired' },
  };

  it.each(ORDER_STATES.flatMap((from) => ORDER_EVENTS.map((event) => [from, event] as const)))(
    'OrderManager in %s on %s: moves along the table, or throws on a pair outside it',
    (from, event) => {
      const seed = fresh().snapshot();
      seed.orders[0]!.state = from;
      const m = new OrderManager(null, logger, seed);
      const before = m.get('sig-a')!.history.length;
      const to = EXPECTED[from]?.[event];
      expect(nextState(from, event)).toBe(to);
      if (to === undefined) {
        expect(() => m.transition('sig-a', event, 9)).toThrow(/cannot take event/);
        expect(m.get('sig-a')!.state).toBe(from);
        expect(m.get('sig-a')!.history).toHaveLength(before);
        return;
      }
      const moved = m.transition('sig-a', event, 9);
      const o = m.get('sig-a')!;
      expect(o.state).toBe(to);
      if (from === to) {
        // Already there: a no-op, neither a move nor an event.
        expect(moved).toBe(false);
        expect(o.history).toHaveLength(before);
      } else {
        expect(moved).toBe(true);
        expect(o.history.at(-1)).toMatchObject({ from, to, atMs: 9 });
        expect(m.outbox().some((e) => e.id === `ord-sig-a-${to}`)).toBe(true);
      }
    },
  );

  it('a venue status the table refuses is logged as an anomaly, never applied', () => {
    const lines: string[] = [];
    const m = new OrderManager(null, pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }));
    m.create(request(), '0xhash', { any: 1 }, 1);
    m.transition('sig-a', 'accept', 2);
    m.applyVenueStatus('sig-a', { status: 'invalid', sizeMatched: 0 }, 3);
    expect(m.get('sig-a')!.state).toBe('open');
    expect(lines.join('')).toMatch(/anomaly: venue event refused/);
  });

  it('refuses an illegal transition and records nothing', () => {
    const m = fresh();
    expect(m.transition('sig-a', 'reject', 2)).toBe(true);
    expect(() => m.transition('sig-a', 'accept', 3)).toThrow(/INVALID_TRANSITION|cannot take event/);
    expect(m.get('sig-a')!.state).toBe('rejected');
    expect(m.get('sig-a')!.history.map((h) => h.to)).toEqual(['new', 'submitted', 'rejected']);
  });

  it('keeps every random sequence of events inside the table', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_EVENTS), { maxLength: 20 }), (events) => {
        const m = fresh();
        for (const e of events) if (canApply(m.get('sig-a')!.state, e)) m.transition('sig-a', e, 5);
        const h = m.get('sig-a')!.history;
        for (let i = 1; i < h.length; i++) expect(canTransition(h[i - 1]!.to, h[i]!.to)).toBe(true);
      }),
    );
  });
});

describe('fills', () => {
  it('clamps an overfill to the remaining size and scales its fee', () => {
    const lines: string[] = [];
    const m = new OrderManager(null, pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) }));
    m.create(request(), '0xhash', { any: 1 }, 1);
    m.applyFill('sig-a', { tradeId: 't1', size: 6, price: 0.5, fee: 0.1, status: 'MATCHED', atMs: 2 }, 2);
    m.applyFill('sig-a', { tradeId: 't2', size: 8, price: 0.5, fee: 0.08, status: 'MATCHED', atMs: 3 }, 3);
    const o = m.get('sig-a')!;
    expect(o.filledSize).toBe(10);
    expect(o.fills[1]!.size).toBe(4);
    expect(o.fills[1]!.fee).toBeCloseTo(0.04, 10);
    expect(o.state).toBe('filled');
    expect(lines.join('')).toMatch(/overfill clamped/);
    // A third trade after the order is full is clamped to nothing and changes nothing.
    expect(m.applyFill('sig-a', { tradeId: 't3', size: 1, price: 0.5, fee: 0.01, status: 'MATCHED', atMs: 4 }, 4)).toBe(false);
    expect(m.get('sig-a')!.fills).toHaveLength(2);
  });

  it('ignores a repeated trade and moves its status forward', () => {
    const m = fresh();
    const f = { tradeId: 't1', size: 4, price: 0.5, fee: 0.05, status: 'MATCHED' as const, atMs: 2 };
    expect(m.applyFill('sig-a', f, 2)).toBe(true);
    expect(m.applyFill('sig-a', f, 3)).toBe(false);
    expect(m.applyFill('sig-a', { ...f, status: 'MINED' }, 4)).toBe(true);
    expect(m.applyFill('sig-a', { ...f, status: 'CONFIRMED' }, 5)).toBe(true);
    expect(m.get('sig-a')!.fills).toHaveLength(1);
    expect(m.get('sig-a')!.filledSize).toBe(4);
  });

  it('undoes a fill whose trade FAILED on chain', () => {
    const m = fresh();
    m.applyFill('sig-a', { tradeId: 't1', size: 4, price: 0.5, fee: 0.05, status: 'MATCHED', atMs: 2 }, 2);
    m.applyFill('sig-a', { tradeId: 't1', size: 4, price: 0.5, fee: 0.05, status: 'FAILED', atMs: 3 }, 3);
    expect(m.get('sig-a')!.filledSize).toBe(0);
    expect(m.positions()).toEqual([]);
    const events = m
      .outbox()
      .filter((e) => e.type === 'fill')
      .map((e) => (e.type === 'fill' ? e.status : ''));
    expect(events).toEqual(['MATCHED', 'FAILED']);
  });

  it('never lets filled size exceed the order, whatever trades arrive', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 0, max: 5 }),
            size: fc.double({ min: 0.01, max: 20, noNaN: true }),
            status: fc.constantFrom('MATCHED', 'MINED', 'CONFIRMED', 'FAILED' as const),
          }),
          { maxLength: 30 },
        ),
        (trades) => {
          const m = fresh();
          for (const t of trades)
            m.applyFill('sig-a', { tradeId: `t${t.id}`, size: Math.round(t.size * 100) / 100 || 0.01, price: 0.5, fee: 0, status: t.status, atMs: 2 }, 2);
          const o = m.get('sig-a')!;
          expect(o.filledSize).toBeLessThanOrEqual(10 + 1e-9);
          const live = o.fills.filter((f) => f.status !== 'FAILED').reduce((s, f) => s + f.size, 0);
          expect(o.filledSize).toBeCloseTo(live, 6);
        },
      ),
    );
  });

  it('parses venue statuses by prefix: a killed FAK is a cancel, not an error', () => {
    const m = fresh();
    m.applyVenueStatus(
      'sig-a',
      { status: 'canceled', note: "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.", sizeMatched: 0 },
      2,
    );
    expect(m.get('sig-a')!.state).toBe('canceled');
  });
});

describe('trade updates shuffled, duplicated and partly stale (property)', () => {
  const PATHS = {
    MATCHED: ['MATCHED'],
    MINED: ['MATCHED', 'MINED'],
    CONFIRMED: ['MATCHED', 'MINED', 'CONFIRMED'],
    FAILED: ['MATCHED', 'MINED', 'FAILED'],
  } as const;

  it('ends with each trade at its final status and the filled size the venue has', () => {
    fc.assert(
      fc.property(
        // Trades whose sizes add up to at most the order's 10 shares, each with its final status.
        fc.array(fc.record({ cents: fc.integer({ min: 1, max: 250 }), final: fc.constantFrom('MATCHED', 'MINED', 'CONFIRMED', 'FAILED' as const) }), {
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 3 }),
        (trades, seed, dupes) => {
          const updates = trades.flatMap((t, i) => PATHS[t.final].map((status) => ({ tradeId: `t${i}`, size: t.cents / 100, status })));
          // Deterministic shuffle and duplication from the seed: every order of arrival must give the same end.
          let x = seed;
          const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
          const delivered = [...updates, ...updates.slice(0, dupes)];
          for (let i = delivered.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
          }
          const m = fresh();
          for (const u of delivered) m.applyFill('sig-a', { ...u, price: 0.5, fee: 0, atMs: 2 }, 2);
          const o = m.get('sig-a')!;
          const expected = trades.filter((t) => t.final !== 'FAILED').reduce((s, t) => s + t.cents, 0) / 100;
          expect(o.filledSize).toBeCloseTo(expected, 9);
          for (const [i, t] of trades.entries()) expect(o.fills.find((f) => f.tradeId === `t${i}`)?.status).toBe(t.final);
          for (let i = 1; i < o.history.length; i++) expect(canTransition(o.history[i - 1]!.to, o.history[i]!.to)).toBe(true);
          // The same updates again change nothing.
          const again = JSON.stringify(m.get('sig-a'));
          for (const u of delivered) m.applyFill('sig-a', { ...u, price: 0.5, fee: 0, atMs: 3 }, 3);
          expect(JSON.stringify(m.get('sig-a'))).toBe(again);
        },
      ),
      { numRuns: 300 },
    );
  });
});
