import { describe, expect, it } from 'vitest';
import { checkedSignal } from './signalInvariants.js';
import type { TradeSignal } from '@polybot/shared';

const base = {
  id: 'sig-x-UP-1',
  limitPrice: 0.55,
  fillablePrice: 0.54,
  modelProbability: 0.6,
  kellyFraction: 0.1,
  maxShares: 10,
  feePerShare: 0.01,
  edge: 0.03,
  evPerShare: 0.03,
  market: { tickSize: 0.01 },
} as unknown as TradeSignal;

describe('checkedSignal', () => {
  it('passes a sound signal through unchanged', () => expect(checkedSignal(base)).toBe(base));
  it.each([
    ['limitPrice', 0.555],
    ['limitPrice', 1],
    ['fillablePrice', 0],
    ['modelProbability', Number.NaN],
    ['kellyFraction', 1.5],
    ['edge', Number.POSITIVE_INFINITY],
    ['maxShares', -1],
  ])('refuses %s = %s', (field, value) => {
    expect(() => checkedSignal({ ...base, [field]: value })).toThrow(/invalid signal sig-x-UP-1/);
  });
});
