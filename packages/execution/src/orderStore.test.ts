import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { OrderManager } from './orderManager.js';
import { loadOrdersFile, ORDERS_FILE_VERSION } from './orderStore.js';

const logger = pino({ level: 'silent' });
const req = (id: string): OrderRequest => ({
  id,
  signalId: id,
  createdAtMs: 1,
  conditionId: `0x${'d'.repeat(64)}`,
  asset: 'SOL',
  outcome: 'DOWN',
  tokenId: '9',
  side: 'BUY',
  orderType: 'GTC',
  postOnly: false,
  price: 0.33,
  size: 12,
  windowEndMs: 2_000_000,
  tickSize: 0.01,
  minOrderSize: 5,
  negRisk: false,
  feeRate: 0.07,
  sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 4, cappedBy: null },
});

function written() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-store-'));
  const file = path.join(dir, 'orders.json');
  const m = new OrderManager(file, logger);
  m.create(req('a'), '0xaa', { s: 1 }, 10);
  m.commit(10);
  m.transition('a', 'accept', 11);
  m.applyFill('a', { tradeId: 't1', size: 5, price: 0.33, fee: 0, status: 'MATCHED', atMs: 12 }, 12);
  m.commit(12);
  return { dir, file };
}

describe('orders.json', () => {
  it('is versioned, valid JSON after every commit, with each transition timestamped, and leaves no temp files', () => {
    const { dir, file } = written();
    const data = loadOrdersFile(file);
    expect(data.version).toBe(ORDERS_FILE_VERSION);
    expect(data.orders[0]!.history.map((h) => [h.from, h.to, h.atMs])).toEqual([
      [null, 'new', 10],
      ['new', 'submitted', 10],
      ['submitted', 'open', 11],
      ['open', 'partially_filled', 12],
    ]);
    expect(readdirSync(dir)).toEqual(['orders.json']);
    expect(new OrderManager(file, logger).get('a')!.filledSize).toBe(5); // a restart reads back the same record
  });

  it('a file cut short anywhere stops the worker with a clear message and is never touched', () => {
    const { file } = written();
    const full = readFileSync(file, 'utf8');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: full.length - 3 }), (cut) => {
        const body = full.slice(0, cut);
        writeFileSync(file, body);
        expect(() => new OrderManager(file, logger)).toThrow(/orders\.json .*left untouched/);
        expect(readFileSync(file, 'utf8')).toBe(body);
      }),
      { numRuns: 60 },
    );
  });

  it('a file that parses but breaks the schema, or has another version, is refused the same way', () => {
    const { file } = written();
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const bad of [{ ...good, version: 2 }, { ...good, orders: [{ nope: true }] }, { ...good, extra: 1 }, []]) {
      const body = JSON.stringify(bad);
      writeFileSync(file, body);
      expect(() => new OrderManager(file, logger)).toThrow(/left untouched/);
      expect(readFileSync(file, 'utf8')).toBe(body);
    }
  });
});
