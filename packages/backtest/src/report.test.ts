/** The HTML report for both kinds of run: what it says, that it opens offline, and that it is the same bytes twice. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKTEST, runBacktest } from './engine.js';
import { loadRecording, replayRecording } from './replay.js';
import { htmlReport, type RecordingSource } from './report.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sim-recording.ndjson.gz');
const meta = { data: 'fixtures/sim-recording.ndjson.gz', generatedAt: '2026-01-01T00:00:00.000Z' };
const offline = /<script[^>]*src=|<link[^>]*href=|https?:\/\/(?!www\.w3\.org)/;

describe('htmlReport for a recording', () => {
  const rec = loadRecording(FIXTURE);
  const source: RecordingSource = {
    kind: 'recording',
    file: 'fixtures/sim-recording.ndjson.gz',
    lines: rec.records.length + 2,
    invalidLines: 2,
    settings: { from: null },
  };

  it('is byte-identical for two replays of the same recording', () => {
    const a = htmlReport(replayRecording(rec.records), source, meta);
    const b = htmlReport(replayRecording(rec.records), source, meta);
    expect(a).toBe(b);
    expect(a).not.toMatch(offline);
  });

  it('says the books are recorded, shows the recording facts, and lists every market including the unsettled', () => {
    const r = replayRecording(rec.records);
    const html = htmlReport(r, source, meta);
    expect(html).toContain('Recorded books from fixtures/sim-recording.ndjson.gz');
    expect(html).not.toContain('The book model');
    expect(html).toContain(`invalid lines<b>2</b>`);
    expect(html).toContain(`markets<b>${r.markets}</b>`);
    expect(html).toContain(`settled<b>${r.settled}</b>`);
    expect(html).toContain(`unsettled<b>${r.unsettled}</b>`);
    expect(html.match(/<td>unsettled<\/td>/g)).toHaveLength(r.unsettled);
    for (const o of r.marketOutcomes) expect(html).toContain(o.slug);
    expect(html.match(/<td>unknown<\/td>/g) ?? []).toHaveLength(r.marketOutcomes.filter((o) => o.priceToBeat === null).length);
    expect(html).toContain(`max drawdown<b>$${r.maxDrawdown.toFixed(2)}</b>`);
    expect(html).toContain(`Brier (model)<b>${r.brier.toFixed(4)}</b>`);
    // One calibration circle per non-empty decile, labelled with its count; one row per trade.
    expect(html.match(/<circle /g)).toHaveLength(r.calibration.length);
    for (const c of r.calibration) expect(html).toContain(`${c.bucket}: ${c.count} predictions`);
    expect(html.match(/<td>(won|lost)<\/td>/g)).toHaveLength(r.trades.length);
    // Equity and drawdown curves start at the bankroll: one point more than the settled markets.
    const polylines = [...html.matchAll(/points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
    expect(polylines).toEqual([r.equity.length + 1, r.equity.length + 1]);
  });
});

describe('htmlReport for a price history', () => {
  it('still explains the book model and stays deterministic', () => {
    const prices = Array.from({ length: 15 * 40 + 1 }, (_, i) => 100 * Math.exp(0.002 * Math.sin(i / 7)));
    const r = runBacktest(prices, 0, DEFAULT_BACKTEST);
    const html = htmlReport(r, DEFAULT_BACKTEST, { data: 'x.csv', generatedAt: 'fixed' });
    expect(html).toContain('The book model');
    expect(html).not.toContain('Recorded books');
    expect(html).toContain(`circuit-breaker trips<b>${r.breakerTrips.length}</b>`);
    expect(html).toContain(`latency<b>${DEFAULT_BACKTEST.latencyMs} ms</b>`);
    expect(html).toContain(`Brier once per window<b>${r.brierPerWindow.toFixed(4)}</b>`);
    expect(html).toBe(htmlReport(runBacktest(prices, 0, DEFAULT_BACKTEST), DEFAULT_BACKTEST, { data: 'x.csv', generatedAt: 'fixed' }));
    expect(html).not.toMatch(offline);
  });
});
