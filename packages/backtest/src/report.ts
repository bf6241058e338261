/**
 * A self-contained HTML report (inline SVG and CSS: it opens offline) for both kinds of run: a price
 * history priced by the book model, or a recording replayed on its own books. Deterministic: the
 * same result gives the same bytes, apart from `meta.generatedAt`.
 */
import type { BacktestConfig, BacktestResult } from './engine.js';
import type { ReplayResult } from './replay.js';
import type { RunResult } from './results.js';

/** What the report says about a recording (the run's settings, and how much of the file was usable). */
export interface RecordingSource {
  kind: 'recording';
  file: string;
  lines: number;
  invalidLines: number;
  /** Extra facts shown under "Model and parameters" next to the replay's own settings (e.g. the period as given). */
  settings: Record<string, unknown>;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function line(points: Array<[number, number]>, w: number, h: number, color: string): string {
  if (points.length < 2) return '';
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => ((x - x0) / (x1 - x0 || 1)) * (w - 10) + 5;
  const sy = (y: number) => h - 5 - ((y - y0) / (y1 - y0 || 1)) * (h - 10);
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" height="${h}"><polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/><text x="5" y="12" font-size="10">${y1.toFixed(2)}</text><text x="5" y="${h - 2}" font-size="10">${y0.toFixed(2)}</text></svg>`;
}

const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

function bookModelParagraph(cfg: BacktestConfig): string {
  return `<p>The book model: a market maker quoting Up around a Black–Scholes digital on the spot ${cfg.book.lagSteps} step(s) ago (volatility ${cfg.book.makerSigma}), plus bias ${cfg.book.bias} and Gaussian noise (sd ${cfg.book.noiseSd}), spread ${cfg.book.spread}, ${cfg.book.levels} levels of ${cfg.book.depth} shares; Down mirrors Up. Results are only as honest as this model: a lagged maker is exactly what a fast strategy exploits.</p>`;
}

function recordingSection(r: ReplayResult, src: RecordingSource): string {
  const rows = r.marketOutcomes
    .map(
      (m) =>
        `<tr><td>${m.index}</td><td style="text-align:left">${esc(m.slug)}</td><td>${m.asset}</td><td>${iso(m.windowStartMs)}</td><td>${iso(m.windowEndMs)}</td><td>${m.priceToBeat === null ? 'unknown' : m.priceToBeat.toFixed(2)}</td><td>${m.winner ?? 'unsettled'}</td><td>${m.evaluations}</td><td>${m.trades}</td><td>${m.costUsd.toFixed(2)}</td><td>${m.pnl === null ? 'open' : m.pnl.toFixed(4)}</td></tr>`,
    )
    .join('');
  const open = r.openTrades.length ? ` ${r.openTrades.length} fill(s) in unsettled markets stay open and are not in the PnL.` : '';
  return `<h2>Recording</h2><p>Recorded books from ${esc(src.file)}: each market replayed on the books, trades and oracle ticks the recorder saw, and settled on its recorded resolution. Markets the recording never resolves are listed as unsettled and left out of the PnL, the equity and the Brier score. A market whose price to beat the recording cannot give (recorded before its window with too little of the settlement feed before the start) is never evaluated.${open}</p>
<div class="grid"><div class="k">lines<b>${src.lines}</b></div><div class="k">invalid lines<b>${src.invalidLines}</b></div><div class="k">markets<b>${r.markets}</b></div><div class="k">settled<b>${r.settled}</b></div><div class="k">unsettled<b>${r.unsettled}</b></div><div class="k">model evaluations<b>${r.evaluations.length}</b></div></div>
<table><tr><th>#</th><th>market</th><th>asset</th><th>window start (UTC)</th><th>end</th><th>price to beat</th><th>resolution</th><th>evaluations</th><th>fills</th><th>cost $</th><th>PnL $</th></tr>${rows}</table>`;
}

/** Price-history runs also show the per-window Brier score, the latency and the breaker's trips. */
function replayExtras(r: RunResult | ReplayResult, source: BacktestConfig | RecordingSource): string {
  if (!('breakerTrips' in r) || !('latencyMs' in source)) return '';
  const b = r as BacktestResult;
  const trips = b.breakerTrips
    .slice(0, 50)
    .map((t) => `${iso(t.atMs)} ${t.kind}: ${esc(t.reason)}`)
    .join('&#10;');
  return `<div class="k">Brier once per window<b>${num(b.brierPerWindow, 4)}</b></div><div class="k">latency<b>${source.latencyMs} ms</b></div><div class="k" title="${trips}">circuit-breaker trips<b>${b.breakerTrips.length}</b></div>`;
}

export function htmlReport(r: RunResult, cfg: BacktestConfig, meta: { data: string; generatedAt: string }): string;
export function htmlReport(r: ReplayResult, src: RecordingSource, meta: { data: string; generatedAt: string }): string;
export function htmlReport(r: RunResult | ReplayResult, source: BacktestConfig | RecordingSource, meta: { data: string; generatedAt: string }): string {
  const recording = 'kind' in source && source.kind === 'recording' ? source : null;
  // The curves start at the opening bankroll, so a first losing window shows as a drawdown (as maxDrawdown counts it).
  const bankrollUsd = recording ? (r as ReplayResult).settings.bankrollUsd : (source as BacktestConfig).bankrollUsd;
  const startMs = recording
    ? Math.min(...(r as ReplayResult).marketOutcomes.map((m) => m.windowStartMs))
    : (r.equity[0]?.[0] ?? 0) - (source as BacktestConfig).windowMinutes * 60_000;
  const equity: Array<[number, number]> = r.equity.length ? [[startMs, bankrollUsd], ...r.equity] : [];
  let peak = bankrollUsd;
  const drawdown: Array<[number, number]> = equity.map(([t, e]) => {
    peak = Math.max(peak, e);
    return [t, e - peak];
  });
  const cal = r.calibration
    .map((c) => {
      const x = 20 + c.meanPredicted * 260;
      const y = 280 - c.observed * 260;
      return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${Math.min(12, 2 + Math.sqrt(c.count) / 4).toFixed(1)}" fill="#2563eb" opacity="0.6"><title>${c.bucket}: ${c.count} predictions, observed ${c.observed.toFixed(3)}</title></circle><text x="${x + 6}" y="${y - 6}" font-size="9">${c.count}</text>`;
    })
    .join('');
  const rows = r.trades
    .slice(0, 2_000)
    .map(
      (t) =>
        `<tr><td>${t.window}</td><td>${iso(t.atMs)}</td><td>${t.outcome}</td><td>${t.price.toFixed(2)}</td><td>${t.shares}</td><td>${t.fee.toFixed(5)}</td><td>${t.modelP.toFixed(3)}</td><td>${t.won ? 'won' : 'lost'}</td><td>${t.pnl.toFixed(4)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>polybot backtest${recording ? ' (recording)' : ''}</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:1000px;padding:0 1rem;color:#111}table{border-collapse:collapse;font-size:.8rem;width:100%}td,th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f3f4f6}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:.5rem}.k{background:#f3f4f6;padding:.5rem;border-radius:6px}.k b{display:block;font-size:1.2rem}</style></head><body>
<h1>Backtest</h1><p>${esc(meta.data)} · generated ${esc(meta.generatedAt)}</p>
<div class="grid">
<div class="k">${recording ? 'settled windows' : 'windows'}<b>${r.windows}</b></div><div class="k">trades<b>${r.trades.length}</b></div><div class="k">hit rate<b>${num(r.hitRate * 100, 1)} %</b></div>
<div class="k">PnL after fees<b>$${r.pnl.toFixed(2)}</b></div><div class="k">fees<b>$${r.fees.toFixed(2)}</b></div><div class="k">max drawdown<b>$${r.maxDrawdown.toFixed(2)}</b></div>
<div class="k">Sharpe per window<b>${num(r.sharpePerWindow, 3)}</b></div><div class="k">Brier (model)<b>${num(r.brier, 4)}</b></div>${replayExtras(r, source)}</div>
<h2>Equity</h2>${line(equity, 960, 180, '#16a34a')}
<h2>Drawdown</h2>${line(drawdown, 960, 120, '#dc2626')}
<h2>Calibration</h2><p>Predicted P(Up) against the observed frequency of Up, per decile (circle size and label: count).</p>
<svg viewBox="0 0 300 300" width="320" height="320"><line x1="20" y1="280" x2="280" y2="20" stroke="#999" stroke-dasharray="4"/><rect x="20" y="20" width="260" height="260" fill="none" stroke="#ccc"/><text x="150" y="296" font-size="9" text-anchor="middle">predicted P(Up)</text><text x="8" y="150" font-size="9" text-anchor="middle" transform="rotate(-90 8 150)">observed Up</text>${cal}</svg>
${
  recording
    ? `${recordingSection(r as ReplayResult, recording)}
<h2>Model and parameters</h2><pre>${esc(JSON.stringify({ ...(r as ReplayResult).settings, ...recording.settings }, null, 2))}</pre>
`
    : `<h2>Model and parameters</h2><pre>${esc(JSON.stringify(source, null, 2))}</pre>
${bookModelParagraph(source as BacktestConfig)}
`
}<h2>Trades</h2><table><tr><th>window</th><th>time (UTC)</th><th>side</th><th>price</th><th>shares</th><th>fee</th><th>model p (side)</th><th>result</th><th>PnL</th></tr>${rows}</table>
${r.trades.length > 2_000 ? `<p>first 2,000 of ${r.trades.length} trades shown</p>` : ''}
</body></html>
`;
}
