/**
 * Replays a recording written by the ingestion recorder (gzip NDJSON, one object a line:
 * market, book, trade, oracle, resolution) through the same cores as the live workers, and
 * settles each market on its recorded resolution.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { z } from 'zod';
import { BookLevelSchema, MarketSchema, readOracle, type Market, type OrderBook, type OrderRequest } from '@polybot/shared';
import { applyEvent, bankrollOf, exposureOf, KellySizer, NoTradeGate, newLedger, DEFAULT_GATE, DEFAULT_SIZER } from '@polybot/risk';
import { DEFAULT_STRATEGY, ValueBettingStrategy, type JumpParams } from '@polybot/strategy';
import { OrderManager } from '@polybot/execution/orderManager';
import { walkBook } from '@polybot/execution/paper/fillSimulator';
import { priceToBeatFromHistory } from '@polybot/ingestion/discovery';
import type { Trade } from './engine.js';

const RecordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('market'), t: z.number(), market: MarketSchema }),
  z.object({ type: z.literal('oracle'), t: z.number(), asset: z.string(), price: z.number().positive(), source: z.string() }),
  z.object({ type: z.literal('book'), t: z.number(), tokenId: z.string(), conditionId: z.string(), bids: z.array(BookLevelSchema), asks: z.array(BookLevelSchema) }),
  z.object({ type: z.literal('trade'), t: z.number(), tokenId: z.string(), price: z.number(), size: z.number(), side: z.enum(['BUY', 'SELL']) }),
  z.object({ type: z.literal('resolution'), t: z.number(), conditionId: z.string(), winningTokenId: z.string() }),
]);
export type RecordLine = z.infer<typeof RecordSchema>;

/** Every valid line, in time order; invalid lines are counted, never used. */
export function loadRecording(file: string): { records: RecordLine[]; invalid: number } {
  const records: RecordLine[] = [];
  let invalid = 0;
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = RecordSchema.safeParse(JSON.parse(line));
      if (r.success) records.push(r.data);
      else invalid++;
    } catch {
      invalid++;
    }
  }
  records.sort((a, b) => a.t - b.t);
  return { records, invalid };
}

export interface ReplayResult {
  markets: number;
  settled: number;
  trades: Trade[];
  pnl: number;
  fees: number;
}

export function replayRecording(records: readonly RecordLine[], opts: { minEdge?: number; maxOrderUsd?: number; bankrollUsd?: number; params?: JumpParams } = {}): ReplayResult {
  const logger = pino({ level: 'silent' });
  const strategy = new ValueBettingStrategy({ ...DEFAULT_STRATEGY, minEdge: opts.minEdge ?? DEFAULT_STRATEGY.minEdge });
  const gate = new NoTradeGate({ ...DEFAULT_GATE, toxicity: 'ignore' });
  const sizer = new KellySizer({ ...DEFAULT_SIZER, maxOrderUsd: opts.maxOrderUsd ?? DEFAULT_SIZER.maxOrderUsd });
  const params = opts.params ?? { sigma: 0.6, lambdaPerYear: 1_700, jumpMean: 0, jumpStd: 0.004 };
  let ledger = newLedger(opts.bankrollUsd ?? 1_000);
  const manager = new OrderManager(null, logger);
  const markets = new Map<string, Market>();
  const books = new Map<string, OrderBook>();
  const ticks = new Map<string, Array<{ timestampMs: number; price: number }>>();
  const held = new Map<string, { up: number; down: number; cost: number; fees: number; trades: Trade[] }>();
  const trades: Trade[] = [];
  let settled = 0;
  for (const r of records) {
    if (r.type === 'market') markets.set(r.market.conditionId, r.market);
    else if (r.type === 'book') {
      // Best first, whatever order the line holds (the venue sends best last).
      const bids = [...r.bids].sort((a, b) => b.price - a.price);
      const asks = [...r.asks].sort((a, b) => a.price - b.price);
      books.set(r.tokenId, { tokenId: r.tokenId, conditionId: r.conditionId, bids, asks, timestampMs: r.t, tickSize: 0.01, minOrderSize: 5 });
    }
    else if (r.type === 'oracle') {
      const hist = ticks.get(r.asset) ?? [];
      hist.push({ timestampMs: r.t, price: r.price });
      ticks.set(r.asset, hist);
      for (const [cid, known] of markets) {
        if (known.asset !== r.asset || r.t < known.windowStartMs || r.t >= known.windowEndMs) continue;
        // A market recorded before its window began has no price to beat yet: derive it from the
        // recorded settlement feed, by the same rule as live discovery.
        let m = known;
        if (m.priceToBeat === null) {
          const ptb = priceToBeatFromHistory(hist, m.windowStartMs, m.settlement);
          if (ptb === null) continue;
          m = { ...m, priceToBeat: ptb };
          markets.set(cid, m);
        }
        const up = books.get(m.upTokenId);
        const down = books.get(m.downTokenId);
        const ev = strategy.evaluate({
          nowMs: r.t, market: m, upBook: up ?? null, downBook: down ?? null,
          oracle: readOracle({ asset: m.asset, price: r.price, timestampMs: r.t, source: 'sim' }, r.t, 5_000),
          averageSoFar: null, spotBefore: null, trades: { up: [], down: [] }, params,
        });
        for (const signal of ev.signals) {
          if (manager.get(signal.id) || !gate.validate(signal, { nowMs: r.t, breakerOpen: false }).pass) continue;
          const size = sizer.size(signal, bankrollOf(ledger), exposureOf(ledger, m.conditionId, m.asset));
          if (size.shares <= 0) continue;
          const book = signal.outcome === 'UP' ? up! : down!;
          const request: OrderRequest = {
            id: signal.id, signalId: signal.id, createdAtMs: r.t, conditionId: m.conditionId, asset: m.asset, outcome: signal.outcome, tokenId: signal.tokenId, side: 'BUY',
            orderType: signal.orderType, postOnly: false, price: signal.limitPrice, size: size.shares, windowEndMs: m.windowEndMs, tickSize: m.tickSize, minOrderSize: m.minOrderSize,
            negRisk: false, feeRate: m.feeSchedule.rate, sizing: { bankrollUsd: bankrollOf(ledger), kellyFraction: signal.kellyFraction, notionalUsd: size.notionalUsd, cappedBy: size.cappedBy },
          };
          manager.create(request, `replay-${signal.id}`, {}, r.t);
          const filled = walkBook({ side: 'BUY', limitPrice: signal.limitPrice, size: size.shares, orderType: signal.orderType, levels: book.asks, feeRate: m.feeSchedule.rate });
          const h = held.get(m.conditionId) ?? { up: 0, down: 0, cost: 0, fees: 0, trades: [] };
          filled.fills.forEach((f, k) => {
            const tradeId = `replay-${signal.id}-${k}`;
            manager.applyFill(signal.id, { tradeId, size: f.size, price: f.price, fee: f.fee, status: 'CONFIRMED', atMs: r.t }, r.t);
            ledger = applyEvent(ledger, { id: `fill-${tradeId}`, atMs: r.t, type: 'fill', orderId: signal.id, signalId: signal.id, conditionId: m.conditionId, asset: m.asset, outcome: signal.outcome, tradeId, status: 'CONFIRMED', size: f.size, price: f.price, fee: f.fee }).ledger;
            if (signal.outcome === 'UP') h.up += f.size;
            else h.down += f.size;
            h.cost += f.size * f.price;
            h.fees += f.fee;
            h.trades.push({ window: 0, atMs: r.t, outcome: signal.outcome, price: f.price, shares: f.size, fee: f.fee, modelP: signal.modelProbability, won: false, pnl: 0 });
          });
          held.set(m.conditionId, h);
        }
      }
    } else if (r.type === 'resolution') {
      const m = markets.get(r.conditionId);
      if (!m) continue;
      settled++;
      const winner = r.winningTokenId === m.upTokenId ? 'UP' : 'DOWN';
      const h = held.get(m.conditionId);
      if (!h) continue;
      const payout = winner === 'UP' ? h.up : h.down;
      ledger = applyEvent(ledger, { id: `set-${m.conditionId}`, atMs: r.t, type: 'settlement', conditionId: m.conditionId, asset: m.asset, winner, upShares: h.up, downShares: h.down, costUsd: h.cost, feesUsd: h.fees, payoutUsd: payout, realisedPnlUsd: payout - h.cost - h.fees }).ledger;
      for (const t of h.trades) {
        t.won = t.outcome === winner;
        t.pnl = (t.won ? t.shares : 0) - t.shares * t.price - t.fee;
        trades.push(t);
      }
      held.delete(m.conditionId);
    }
  }
  return { markets: markets.size, settled, trades, pnl: Math.round(trades.reduce((a, t) => a + t.pnl, 0) * 1e6) / 1e6, fees: Math.round(trades.reduce((a, t) => a + t.fee, 0) * 1e6) / 1e6 };
}
