/**
 * The tick size follows the market channel (`tick_size_change`, docs/polymarket-venue.md §5.2 item
 * 5), not only a rejection. Against the sim venue, whose tick gets finer near the ends of the price
 * range and coarse again inside it: a port told of the change (the message ingestion relays on
 * Redis, built here from the channel's own frame) signs on the new grid and is accepted; a port
 * that missed it signs on the old grid and is refused.
 */
import { pino } from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { holdUntilTick, liveMarket, spotOf } from '@polybot/sim-venue/testing/markets';
import { ExecutionEngine } from '../executionEngine.js';
import { OrderManager } from '../orderManager.js';
import { applyTickSizeMessage } from '../tickSizes.js';
import { createClobV2Port, type ClobV2Port } from './clobV2.js';
import { simWallet } from './wallet.js';

const logger = pino({ level: 'silent' });
let venue: SimVenue;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 3_600, assets: ['BTC'], seed: 17, misprice: 0, priceToBeatDelayMs: 0 });
});
afterAll(async () => venue?.close());

const newPort = async (): Promise<ClobV2Port> => {
  const key = generatePrivateKey();
  return createClobV2Port({ host: venue.url, privateKey: key, timeoutMs: 3_000, ...(await simWallet(venue.url, key)) });
};

describe('tick size from the market channel', () => {
  it('a tick_size_change message moves the next order onto the new grid; a port that missed it is refused', async () => {
    // A market under way with a minute to run. In an hour's last minute none has until the next
    // window starts, so wait for it (CI at 16:00 UTC on 2026-12-02 found none and failed).
    const m = await liveMarket(venue, { minLeftMs: 60_000, waitMs: 75_000 });
    for (let i = 0; i < 50 && m.priceToBeat === null; i++) await sleep(100);
    const frames: Array<Record<string, unknown>> = [];
    const ws = new WebSocket(`${venue.url.replace('http', 'ws')}/ws/market`);
    ws.onmessage = (e) => {
      const t = String(e.data);
      if (t !== 'PONG') frames.push(...[JSON.parse(t) as Record<string, unknown>].flat());
    };
    await new Promise((r) => (ws.onopen = r));
    ws.send(JSON.stringify({ assets_ids: [m.upToken], type: 'market' }));
    const saved = m.priceToBeat;
    try {
      // Far above its price to beat, Up nears 1 and the tick gets finer: both ports learn 0.001.
      expect(await holdUntilTick(venue, m, 0.001, () => 1, 100)).toBe(0.001);
      const told = await newPort();
      const missed = await newPort();
      expect(await told.tickSize!(m.upToken)).toBe(0.001);
      expect(await missed.tickSize!(m.upToken)).toBe(0.001);
      // Back at the money, coarse again; the channel says so.
      expect(await holdUntilTick(venue, m, 0.01, () => spotOf(venue, 'BTC'), 100)).toBe(0.01);
      for (let i = 0; i < 30 && !frames.some((f) => f.event_type === 'tick_size_change' && f.new_tick_size === '0.01'); i++) await sleep(100);
      const frame = frames.find((f) => f.event_type === 'tick_size_change' && f.asset_id === m.upToken && f.new_tick_size === '0.01')!;
      expect(frame).toBeDefined();
      // What ingestion relays for that frame (keys.tickSizeChannel), applied as the worker applies it.
      const relayed = JSON.stringify({ tokenId: frame.asset_id, tickSize: Number(frame.new_tick_size), atMs: Number(frame.timestamp) });
      expect(applyTickSizeMessage(told, relayed)).toMatchObject({ tokenId: m.upToken, tickSize: 0.01 });
      expect(await told.tickSize!(m.upToken)).toBe(0.01);
      expect(await missed.tickSize!(m.upToken)).toBe(0.001); // still the old one: nothing told it

      // An order made on the finer grid (a strategy that has not heard yet): 5 Up at 0.025, resting.
      const r: OrderRequest = {
        id: 'tick-1',
        signalId: 'tick-1',
        createdAtMs: Date.now(),
        conditionId: m.conditionId as `0x${string}`,
        asset: 'BTC',
        outcome: 'UP',
        tokenId: m.upToken,
        side: 'BUY',
        orderType: 'GTC',
        postOnly: false,
        price: 0.025,
        size: 5,
        windowEndMs: m.endMs,
        tickSize: 0.001,
        minOrderSize: 5,
        negRisk: false,
        feeRate: 0.07,
        sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 0.125, cappedBy: null },
      };
      const good = await told.sign(r);
      expect(good.request).toMatchObject({ price: 0.02, tickSize: 0.01 }); // a BUY moves down, never up
      expect(await told.post(good.signed, 'GTC')).toMatchObject({ kind: 'accepted', status: 'live' });
      const stale = await missed.sign(r);
      expect(stale.request.price).toBe(0.025);
      // Refused as the venue words an off-grid limit: its amount "should be" shares × the nearest tick.
      const refused = await missed.post(stale.signed, 'GTC');
      expect(refused).toMatchObject({ kind: 'rejected', reason: 'precision' });
      expect(refused.kind === 'rejected' && refused.message).toMatch(/should be '0\.15' but the value submited is '0\.125'/);
      // Through the engine, such a refusal drops the stale tick: the next order is asked anew and lands on 0.01.
      const manager = new OrderManager(null, logger);
      const engine = new ExecutionEngine(manager, missed, { cancelBeforeEndMs: 5_000, settleAfterMs: 1_000 }, logger, async () => false);
      expect(await engine.place({ ...r, id: 'tick-2', signalId: 'tick-2' })).toBe('rejected');
      expect(await engine.place({ ...r, id: 'tick-3', signalId: 'tick-3' })).toBe('open');
      expect(manager.get('tick-3')!.request).toMatchObject({ price: 0.02, tickSize: 0.01 });
    } finally {
      m.priceToBeat = saved;
      ws.close();
    }
  }, 150_000);

  it('ignores a message that fails its schema', () => {
    let calls = 0;
    const port = { tickSizeChanged: () => void calls++ };
    for (const raw of ['not json', '{}', JSON.stringify({ tokenId: '12', tickSize: 0.02, atMs: 1 }), JSON.stringify({ tokenId: 'x', tickSize: 0.01, atMs: 1 })])
      expect(applyTickSizeMessage(port, raw)).toBeNull();
    expect(calls).toBe(0);
    expect(applyTickSizeMessage(port, JSON.stringify({ tokenId: '12', tickSize: 0.001, atMs: 5 }))).toEqual({ tokenId: '12', tickSize: 0.001, atMs: 5 });
    expect(calls).toBe(1);
  });
});
