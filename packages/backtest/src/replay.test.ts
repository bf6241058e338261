/**
 * Replays a small recording made by the sim venue (packages/backtest/fixtures) through the same
 * cores, and checks every reported number against what the trades and model evaluations say,
 * recomputed here from the recording itself rather than read back from the report.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRecording, recordingAssets, replayRecording, type RecordLine } from './replay.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sim-recording.ndjson.gz');

describe('replay of a recording', () => {
  const { records, invalid } = loadRecording(FIXTURE);
  const resolutions = new Map(records.flatMap((x) => (x.type === 'resolution' ? [[x.conditionId, x] as const] : [])));
  const markets = new Map(records.flatMap((x) => (x.type === 'market' ? [[x.market.conditionId, x.market] as const] : [])));
  const winnerOf = (cid: string) => {
    const res = resolutions.get(cid);
    return res ? (res.winningTokenId === markets.get(cid)!.upTokenId ? 'UP' : 'DOWN') : null;
  };
  const r = replayRecording(records);

  it('reads every kind of line the recorder writes', () => {
    expect(invalid).toBe(0);
    const kinds = new Set(records.map((x) => x.type));
    for (const k of ['market', 'oracle', 'book', 'resolution']) expect(kinds.has(k as never), k).toBe(true);
    expect(recordingAssets(records)).toEqual(['BTC']);
  });

  it('settles each market on its recorded resolution and reports the others as unsettled, not dropped', () => {
    expect(r.markets).toBe(markets.size);
    expect(r.marketOutcomes.map((o) => o.conditionId).sort()).toEqual([...markets.keys()].sort());
    expect(r.settled).toBe(resolutions.size);
    expect(r.windows).toBe(r.settled);
    expect(r.unsettled).toBe(markets.size - resolutions.size);
    expect(r.unsettled).toBeGreaterThan(0); // the fixture stops before its last markets resolve
    for (const o of r.marketOutcomes) {
      expect(o.winner, o.slug).toBe(winnerOf(o.conditionId));
      if (o.winner === null) expect(o.pnl).toBeNull();
      if (o.priceToBeat === null) expect(o.evaluations, o.slug).toBe(0); // no strike, no model
      expect(o.evaluations).toBe(r.evaluations.filter((e) => e.market === o.index).length);
    }
    expect(r.trades.length).toBeGreaterThan(0);
    for (const t of r.trades) {
      const o = r.marketOutcomes[t.window]!;
      expect(o.winner).not.toBeNull();
      expect(t.won).toBe(t.outcome === winnerOf(o.conditionId));
      expect(t.shares).toBeGreaterThan(0);
      expect(t.pnl).toBeCloseTo((t.won ? t.shares : 0) - t.shares * t.price - t.fee, 9);
    }
    for (const t of r.openTrades) expect(r.marketOutcomes[t.window]!.winner).toBeNull();
  });

  it('PnL, fees, hit rate, equity, drawdown and Sharpe are what the settled trades say', () => {
    const pnl = r.trades.reduce((a, t) => a + t.pnl, 0);
    expect(r.pnl).toBeCloseTo(pnl, 6);
    expect(r.fees).toBeCloseTo(
      r.trades.reduce((a, t) => a + t.fee, 0),
      6,
    );
    expect(r.fees).toBeGreaterThan(0);
    expect(r.hitRate).toBe(r.trades.filter((t) => t.won).length / r.trades.length);
    // One equity point per settled market, at its recorded resolution, in the order they resolved.
    const order = records.flatMap((x) => (x.type === 'resolution' && markets.has(x.conditionId) ? [x] : []));
    const perMarket = order.map((res) => r.trades.filter((t) => r.marketOutcomes[t.window]!.conditionId === res.conditionId).reduce((a, t) => a + t.pnl, 0));
    let equity = 1_000;
    let peak = 1_000;
    let dd = 0;
    order.forEach((res, k) => {
      equity += perMarket[k]!;
      peak = Math.max(peak, equity);
      dd = Math.max(dd, peak - equity);
      expect(r.equity[k]![0]).toBe(res.t);
      expect(r.equity[k]![1]).toBeCloseTo(equity, 5);
    });
    expect(r.equity).toHaveLength(order.length);
    expect(r.maxDrawdown).toBeCloseTo(dd, 5);
    expect(r.maxDrawdown).toBeGreaterThan(0); // the fixture loses money: a drawdown there must show
    const mean = perMarket.reduce((a, b) => a + b, 0) / perMarket.length;
    const sd = Math.sqrt(perMarket.reduce((a, b) => a + (b - mean) ** 2, 0) / (perMarket.length - 1));
    expect(r.sharpePerWindow).toBeCloseTo(mean / sd, 9);
  });

  it('Brier score and calibration score every evaluation of a settled market against its recorded outcome', () => {
    for (const e of r.evaluations) {
      const o = r.marketOutcomes[e.market]!;
      expect(e.atMs).toBeGreaterThanOrEqual(o.windowStartMs);
      expect(e.atMs).toBeLessThan(o.windowEndMs);
      expect(e.pUp).toBeGreaterThanOrEqual(0);
      expect(e.pUp).toBeLessThanOrEqual(1);
    }
    const scored = r.evaluations.flatMap((e) => {
      const w = r.marketOutcomes[e.market]!.winner;
      return w === null ? [] : [[e.pUp, w === 'UP' ? 1 : 0] as const];
    });
    expect(scored.length).toBeGreaterThan(10);
    expect(r.brier).toBeCloseTo(scored.reduce((a, [p, y]) => a + (p - y) ** 2, 0) / scored.length, 12);
    expect(r.calibration.reduce((a, c) => a + c.count, 0)).toBe(scored.length);
    for (const c of r.calibration) {
      const lo = Number(c.bucket.split('-')[0]);
      const inside = scored.filter(([p]) => (lo === 0.9 ? p >= 0.9 : p >= lo - 1e-12 && p < lo + 0.1 - 1e-12));
      expect(c.count, c.bucket).toBe(inside.length);
      expect(c.meanPredicted).toBeCloseTo(inside.reduce((a, [p]) => a + p, 0) / inside.length, 9);
      expect(c.observed).toBeCloseTo(inside.reduce((a, [, y]) => a + y, 0) / inside.length, 9);
    }
  });

  it('is deterministic', () => {
    expect(JSON.stringify(replayRecording(records))).toBe(JSON.stringify(replayRecording(records)));
  });
});

/** The fixture again, with every BTC market, book, tick and resolution copied as an ETH market at 1/30 of the price. */
function withEthCopy(records: readonly RecordLine[]): RecordLine[] {
  const cid = (c: string) => `${c.slice(0, -1)}${c.endsWith('0') ? '1' : '0'}`;
  const tok = (t: string) => `9${t}`;
  const copies = records.flatMap((x): RecordLine[] => {
    switch (x.type) {
      case 'market': {
        const m = x.market;
        return [
          {
            ...x,
            market: {
              ...m,
              asset: 'ETH',
              slug: m.slug.replace('btc', 'eth'),
              conditionId: cid(m.conditionId),
              upTokenId: tok(m.upTokenId),
              downTokenId: tok(m.downTokenId),
              priceToBeat: m.priceToBeat === null ? null : m.priceToBeat / 30,
            },
          },
        ];
      }
      case 'book':
        return [{ ...x, tokenId: tok(x.tokenId), conditionId: cid(x.conditionId) }];
      case 'trade':
        return [{ ...x, tokenId: tok(x.tokenId) }];
      case 'oracle':
        return [{ ...x, asset: 'ETH', price: x.price / 30 }];
      case 'resolution':
        return [{ ...x, conditionId: cid(x.conditionId), winningTokenId: tok(x.winningTokenId) }];
    }
  });
  return [...records, ...copies].sort((a, b) => a.t - b.t);
}

describe('replay filters', () => {
  const { records } = loadRecording(FIXTURE);
  const both = withEthCopy(records);

  it('--asset keeps only that asset’s markets: BTC out of a two-asset recording is the BTC-only replay', () => {
    expect(recordingAssets(both)).toEqual(['BTC', 'ETH']);
    expect(replayRecording(both).markets).toBe(10);
    const eth = replayRecording(both, { asset: 'ETH' });
    expect(eth.markets).toBe(5);
    expect(eth.marketOutcomes.every((o) => o.asset === 'ETH')).toBe(true);
    expect(eth.settled).toBe(3);
    const { settings: s1, ...btcAlone } = replayRecording(records);
    const { settings: s2, ...btcOfBoth } = replayRecording(both, { asset: 'BTC' });
    expect(JSON.stringify(btcOfBoth)).toBe(JSON.stringify(btcAlone));
    expect([s1.asset, s2.asset]).toEqual([null, 'BTC']);
    expect(replayRecording(records, { asset: 'SOL' }).markets).toBe(0);
  });

  it('--from/--to keep the markets whose whole window lies inside', () => {
    const windows = [...new Map(records.flatMap((x) => (x.type === 'market' ? [[x.market.conditionId, x.market] as const] : []))).values()].sort(
      (a, b) => a.windowStartMs - b.windowStartMs,
    );
    const late = replayRecording(records, { fromMs: windows[1]!.windowStartMs });
    expect(late.markets).toBe(windows.length - 1);
    expect(late.marketOutcomes.every((o) => o.windowStartMs >= windows[1]!.windowStartMs)).toBe(true);
    const early = replayRecording(records, { toMs: windows[2]!.windowEndMs });
    expect(early.marketOutcomes.map((o) => o.conditionId).sort()).toEqual(
      windows
        .slice(0, 3)
        .map((m) => m.conditionId)
        .sort(),
    );
  });

  it('reports progress up to every line', () => {
    const seen: Array<[number, number]> = [];
    replayRecording(records, { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.at(-1)).toEqual([records.length, records.length]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
  });

  it('trades an Up+Down arbitrage in the recorded books as one pair, decided by decidePair', () => {
    // A settled market that was evaluated: from its first evaluation on, both books offer 0.45 asks
    // (0.45 + 0.45 + fees ≈ 0.935 a pair) and nothing else, so the pair is the only trade.
    const { records } = loadRecording(FIXTURE);
    const markets = new Map(records.flatMap((x) => (x.type === 'market' ? [[x.market.conditionId, x.market] as const] : [])));
    const r = replayRecording(records);
    const o = r.marketOutcomes.find((x) => x.winner !== null && x.evaluations > 0)!;
    const m = markets.get(o.conditionId)!;
    const t0 = r.evaluations.find((e) => e.market === o.index)!.atMs - 1;
    const book = (tokenId: string): RecordLine => ({
      type: 'book',
      t: t0,
      tokenId,
      conditionId: m.conditionId,
      bids: [{ price: 0.44, size: 100 }],
      asks: [{ price: 0.45, size: 100 }],
    });
    const frozen = records.filter((x) => !(x.type === 'book' && x.t >= t0 && (x.tokenId === m.upTokenId || x.tokenId === m.downTokenId)));
    const arb = replayRecording(
      [...frozen, book(m.upTokenId), book(m.downTokenId)].sort((a, b) => a.t - b.t),
      { minEdge: 0.5 },
    );
    const legs = arb.trades.filter((t) => t.window === o.index);
    expect(arb.pairs.length).toBeGreaterThan(0);
    expect(arb.pairs.every((p) => p.filled)).toBe(true);
    const up = legs.filter((t) => t.outcome === 'UP').reduce((a, t) => a + t.shares, 0);
    const down = legs.filter((t) => t.outcome === 'DOWN').reduce((a, t) => a + t.shares, 0);
    expect(up).toBeGreaterThan(0);
    expect(up).toBeCloseTo(down, 9);
    // Whatever the winner, the market pays 1 per pair: the profit is the locked-in one.
    const cost = legs.reduce((a, t) => a + t.shares * t.price + t.fee, 0);
    const pnl = legs.reduce((a, t) => a + t.pnl, 0);
    expect(pnl).toBeCloseTo(up - cost, 9);
    expect(pnl).toBeGreaterThan(0);
  });
});
