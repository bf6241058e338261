/**
 * One behaviour contract for every ClobPort implementation (sim over HTTP through the official
 * client, paper on the sim venue's books; live shares the sim code and is never run by a test).
 * Test-only: imports vitest.
 */
import { describe, expect, it } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import type { ClobPort } from '../venue/port.js';

export interface VenueContractContext {
  port: ClobPort;
  /** A request that crosses the book now (a taker), or one that rests far from it (a maker). */
  request(id: string, kind: 'marketable' | 'resting'): OrderRequest;
}

export function describeVenueContract(name: string, factory: () => Promise<VenueContractContext>): void {
  describe(`ClobPort contract: ${name}`, () => {
    let ctx: VenueContractContext;
    const get = async () => (ctx ??= await factory());
    let n = 0;
    const uid = (p: string) => `${p}-${name.replace(/[^A-Za-z0-9]/g, '')}-${Date.now()}-${n++}`;

    it('knows nothing of an order that was signed but never posted', async () => {
      const { port, request } = await get();
      const { id } = await port.sign(request(uid('unsent'), 'resting'));
      expect(id).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await port.getOrder(id)).toBeNull();
    });

    it('files a posted order under the id known before posting, and a second post of it makes no second order', async () => {
      const { port, request } = await get();
      const r = request(uid('twice'), 'resting');
      const { id, signed } = await port.sign(r);
      expect((await port.post(signed, r.orderType)).kind).toBe('accepted');
      expect((await port.getOrder(id))?.status).toBe('live');
      const again = await port.post(signed, r.orderType);
      expect(['duplicate', 'accepted']).toContain(again.kind);
      expect((await port.getOrder(id))?.sizeMatched).toBe(0);
      await port.cancel(id);
      // No longer active: the venue's lookup is empty (docs/polymarket-venue.md §5.4 item 14).
      expect(await port.getOrder(id)).toBeNull();
    });

    it('fills a marketable order as taker, with trades that add up to what the order says it matched', async () => {
      const { port, request } = await get();
      const r = request(uid('take'), 'marketable');
      const { id, signed } = await port.sign(r);
      const out = await port.post(signed, r.orderType);
      expect(out.kind).toBe('accepted');
      // A delayed (taker-delay) match lands a little later; a filled FAK is then no longer active.
      let mine = (await port.tradesFor(r.conditionId)).filter((t) => t.orderId === id);
      for (let i = 0; i < 30 && mine.length === 0; i++) {
        await new Promise((res) => setTimeout(res, 100));
        mine = (await port.tradesFor(r.conditionId)).filter((t) => t.orderId === id);
      }
      expect(mine.length).toBeGreaterThan(0);
      const v = await port.getOrder(id);
      expect(v === null || v.sizeMatched > 0).toBe(true);
      if (out.kind === 'accepted' && out.status === 'matched')
        expect(out.takingAmount).toBeCloseTo(
          mine.reduce((s, t) => s + t.size, 0),
          6,
        );
      for (const t of mine) {
        expect(t.role).toBe('taker');
        expect(t.price).toBeLessThanOrEqual(r.price + 1e-9);
        if (t.fee !== null) expect(t.fee).toBeGreaterThan(0);
      }
    });

    it('answers heartbeats, cancel-all and the collateral check', async () => {
      const { port, request } = await get();
      expect(typeof (await port.heartbeat(''))).toBe('string');
      const r = request(uid('all'), 'resting');
      const { id, signed } = await port.sign(r);
      await port.post(signed, r.orderType);
      await port.cancelAll();
      expect(await port.getOrder(id)).toBeNull();
      const c = await port.collateral();
      expect(c.balanceUsd).toBeGreaterThan(0);
      expect(c.allowanceUsd).toBeGreaterThan(0);
    });
  });
}
