/**
 * The risk ledger in Redis and the exposure risk has sent to execution but not yet seen filled.
 *
 * - Reading the ledger is one GET: no WATCH, so a reader can never UNWATCH a writer's transaction.
 * - Updating it (execution events) is WATCH/MULTI on a connection of its own, one update at a time,
 *   so no other command on that connection touches the watch.
 * - Sending an order first reserves its notional with one Lua script that checks the caps against
 *   the ledger's exposure plus every live reservation, atomically: however many signals or risk
 *   replicas decide at once, what they reserve together never passes a cap. A reservation is
 *   released when its order is final (cancelled, rejected, expired or filled: then the fill is in
 *   the ledger), when its market settles, or when it expires (windows end: nothing can be left).
 */
import type { RedisClient } from '@polybot/shared/redis';
import { z } from 'zod';
import type { Asset } from '@polybot/shared';
import { safeJson } from '@polybot/shared/status';
import { LedgerSchema, newLedger, type Ledger } from './ledger.js';

export const ReservationSchema = z
  .object({ conditionId: z.string(), asset: z.string(), usd: z.number().nonnegative(), expiresAtMs: z.number(), atMs: z.number() })
  .strict();
export type Reservation = z.infer<typeof ReservationSchema>;

export interface ExposureCaps {
  maxMarketExposureUsd: number;
  maxAssetExposureUsd: number;
  maxTotalExposureUsd: number;
}

/**
 * KEYS[1] ledger, KEYS[2] reservations hash. ARGV: nowMs, caps (market, asset, total), then for each
 * order: id, conditionId, asset, usd, expiresAtMs. All the orders of one call are reserved or none.
 * Returns 'OK' or the name of the cap that would be passed.
 */
const RESERVE_LUA = `
local now = tonumber(ARGV[1])
local capMarket, capAsset, capTotal = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local market, asset, total = {}, {}, 0
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, l = pcall(cjson.decode, raw)
  if not ok or type(l) ~= 'table' or type(l['exposure']) ~= 'table' then return 'ledger_unreadable' end
  for cid, e in pairs(l['exposure']) do
    -- a market's exposure counts from 0 up (its sum is briefly negative when a merge overtakes its fills)
    local usd = math.max(0, tonumber(e['costUsd']) or 0)
    market[cid] = (market[cid] or 0) + usd
    asset[e['asset']] = (asset[e['asset']] or 0) + usd
    total = total + usd
  end
end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local ok, r = pcall(cjson.decode, all[i + 1])
  if not ok or type(r) ~= 'table' or tonumber(r['expiresAtMs']) == nil or tonumber(r['expiresAtMs']) <= now then
    redis.call('HDEL', KEYS[2], all[i])
  else
    local usd = tonumber(r['usd']) or 0
    market[r['conditionId']] = (market[r['conditionId']] or 0) + usd
    asset[r['asset']] = (asset[r['asset']] or 0) + usd
    total = total + usd
  end
end
local eps = 1e-9
for i = 5, #ARGV, 5 do
  local id, cid, a, usd = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  if redis.call('HEXISTS', KEYS[2], id) == 1 then return 'duplicate' end
  market[cid] = (market[cid] or 0) + usd
  asset[a] = (asset[a] or 0) + usd
  total = total + usd
  if market[cid] > capMarket + eps then return 'market_exposure' end
  if asset[a] > capAsset + eps then return 'asset_exposure' end
  if total > capTotal + eps then return 'total_exposure' end
end
for i = 5, #ARGV, 5 do
  redis.call('HSET', KEYS[2], ARGV[i], cjson.encode({conditionId = ARGV[i + 1], asset = ARGV[i + 2], usd = tonumber(ARGV[i + 3]), expiresAtMs = tonumber(ARGV[i + 4]), atMs = now}))
end
return 'OK'
`;

/** KEYS[1] reservations hash; ARGV[1] conditionId: drops every reservation of a settled market. */
const RELEASE_MARKET_LUA = `
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  local ok, r = pcall(cjson.decode, all[i + 1])
  if not ok or type(r) ~= 'table' or r['conditionId'] == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    n = n + 1
  end
end
return n
`;

export interface ReserveOrder {
  id: string;
  conditionId: string;
  asset: Asset;
  usd: number;
  /** Past this the reservation no longer counts (the window is over and settled). */
  expiresAtMs: number;
}

export function createLedgerStore(opts: { redis: RedisClient; ledgerKey: string; reservationsKey: string; initialBankrollUsd: number }) {
  const { redis, ledgerKey, reservationsKey } = opts;
  /** WATCH lives on a connection: this one runs nothing but the update transactions, one at a time. */
  const txConn = redis.duplicate();
  let chain: Promise<unknown> = Promise.resolve();

  function parse(raw: string | null): Ledger {
    if (raw === null) return newLedger(opts.initialBankrollUsd);
    const parsed = LedgerSchema.safeParse(safeJson(raw));
    if (!parsed.success) throw new Error('risk ledger in Redis is unreadable; refusing to trade on a guess');
    return parsed.data;
  }

  async function read(): Promise<Ledger> {
    return parse(await redis.get(ledgerKey));
  }

  async function updateOnce(fn: (l: Ledger) => { ledger: Ledger; changed: boolean }): Promise<Ledger> {
    for (let i = 0; i < 50; i++) {
      await txConn.watch(ledgerKey);
      let raw: string | null;
      let cur: Ledger;
      try {
        raw = await txConn.get(ledgerKey);
        cur = parse(raw);
      } catch (err) {
        await txConn.unwatch();
        throw err;
      }
      const { ledger, changed } = fn(cur);
      if (!changed && raw !== null) {
        await txConn.unwatch();
        return ledger;
      }
      const ok = await txConn.multi().set(ledgerKey, JSON.stringify(ledger)).exec();
      if (ok) return ledger;
    }
    throw new Error('risk ledger update kept conflicting');
  }

  /** Read-modify-write of the ledger; safe against other replicas (WATCH) and other callers here (queued). */
  function update(fn: (l: Ledger) => { ledger: Ledger; changed: boolean }): Promise<Ledger> {
    const run = chain.then(
      () => updateOnce(fn),
      () => updateOnce(fn),
    );
    chain = run.catch(() => undefined);
    return run;
  }

  async function reservations(nowMs: number): Promise<Reservation[]> {
    const all = await redis.hgetall(reservationsKey);
    const out: Reservation[] = [];
    for (const v of Object.values(all)) {
      const r = ReservationSchema.safeParse(safeJson(v));
      if (r.success && r.data.expiresAtMs > nowMs) out.push(r.data);
    }
    return out;
  }

  /** Reserves every order of one decision, or none; returns 'OK' or the cap that would be passed. */
  async function reserve(orders: readonly ReserveOrder[], caps: ExposureCaps, nowMs: number): Promise<string> {
    const args: string[] = [String(nowMs), String(caps.maxMarketExposureUsd), String(caps.maxAssetExposureUsd), String(caps.maxTotalExposureUsd)];
    for (const o of orders) args.push(o.id, o.conditionId, o.asset, String(o.usd), String(o.expiresAtMs));
    return String(await redis.eval(RESERVE_LUA, 2, ledgerKey, reservationsKey, ...args));
  }

  return {
    read,
    update,
    reservations,
    reserve,
    release: async (orderId: string) => (await redis.hdel(reservationsKey, orderId)) > 0,
    releaseMarket: async (conditionId: string) => Number(await redis.eval(RELEASE_MARKET_LUA, 1, reservationsKey, conditionId)),
    close: async () => void (await txConn.quit().catch(() => undefined)),
  };
}
export type LedgerStore = ReturnType<typeof createLedgerStore>;

/**
 * The ledger as the sizer must see it: every live reservation counted as exposure already paid
 * for (cash down by the same amount, so the bankroll is unchanged). Returns a copy.
 */
export function withReservations(l: Ledger, reservations: readonly Reservation[]): Ledger {
  if (!reservations.length) return l;
  const out = structuredClone(l);
  for (const r of reservations) {
    const e = (out.exposure[r.conditionId] ??= { asset: r.asset, costUsd: 0 });
    e.costUsd += r.usd;
    out.cashUsd -= r.usd;
  }
  return out;
}
