/**
 * The HTML report of a replay of recorded Polymarket books (realMarket.ts): one self-contained file
 * (inline SVG from svgChart.ts, inline CSS; it opens offline), with real axes and UTC dates:
 * equity over time, Brier score by horizon for the model, a Black–Scholes digital and the market,
 * calibration of model and market, PnL by window, and the tables the README quotes. Deterministic
 * apart from `meta.generatedAt`.
 */
import { calibrationDeciles } from './results.js';
import { chart, type Series } from './svgChart.js';
import { FEE_DATES } from './polymarketData.js';
import { FILL_RULES, valueVerdict, type RealMarketConfig, type StrategyRun, type TimeframeResult } from './realMarket.js';
import type { Scores } from './modelVsMarket.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const n = (v: number | null | undefined, d: number) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const usd = (v: number) => `${v < 0 ? '−' : ''}$${Math.abs(v).toFixed(2)}`;
const pm = (x: { mean: number; se: number }, d = 4) => `${x.mean >= 0 ? '+' : '−'}${Math.abs(x.mean).toFixed(d)} ± ${n(x.se, d)}`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export const MAKER_RULE_TEXT =
  "A resting bid at price b is filled only at a later recorded sample (at least the rule's latency after it was placed, and before it lapses at the end of its slot) whose best ask of the same token is at or below b − k ticks (k = 1 by default: the ask trades through the bid, strictly below it); it fills at b, as a maker (no fee), for at most the stated share of the recorded top-five ask depth at that sample. Queue position is unknown: a bid joined at the best bid is assumed to be first once the price trades through it.";
export const TAKER_RULE_TEXT =
  'A taker (FAK) order meets the recorded book of its own token as it stood the latency after the decision (the latest sample at or before then): it pays the best ask, never better, for no more than the recorded top-five depth where the file records depth (the 15-minute books), else an assumed depth; nothing fills above its limit.';

function scoresTable(rows: Array<{ minutes: number } & Scores>, pooled: Scores): string {
  const tr = (label: string, s: Scores) =>
    `<tr><td>${label}</td><td>${s.n}</td><td>${n(s.brier.model, 4)}</td><td>${n(s.brier.bs, 4)}</td><td>${n(s.brier.market, 4)}</td><td>${pm(s.diff.modelMinusMarket.brier)}</td><td>${pm(s.diff.bsMinusMarket.brier)}</td><td>${n(s.logLoss.model, 4)}</td><td>${n(s.logLoss.market, 4)}</td><td>${pm(s.diff.modelMinusMarket.logLoss)}</td></tr>`;
  return `<table><tr><th>minutes in</th><th>n</th><th>Brier model</th><th>Brier BS</th><th>Brier market</th><th>Δ Brier model − market</th><th>Δ Brier BS − market</th><th>log loss model</th><th>log loss market</th><th>Δ log loss model − market</th></tr>${rows.map((r) => tr(String(r.minutes), r)).join('')}${tr('all (clustered by window)', pooled)}</table>`;
}

function equitySeries(name: string, color: string, r: StrategyRun, bankroll: number, startMs: number): Series {
  return { name, color, style: 'step', points: r.equity.length ? [[startMs, bankroll], ...r.equity] : [] };
}

function pnlBars(name: string, color: string, r: StrategyRun): Series {
  return {
    name,
    color,
    style: 'bars',
    points: r.perWindow.map((w) => [w.windowStartMs, w.pnl] as const),
    labels: r.perWindow.map((w) => `${w.slug} (${day(w.windowStartMs)} UTC, ${w.outcome}): ${usd(w.pnl)} on ${usd(w.spentUsd)}`),
  };
}

function runKeys(r: StrategyRun): string {
  return `<div class="grid"><div class="k">windows<b>${r.windows}</b></div><div class="k">fills<b>${r.trades.length}</b></div><div class="k">PnL after fees<b>${usd(r.pnl)}</b></div><div class="k">fees<b>${usd(r.fees)}</b></div><div class="k">max drawdown<b>${usd(r.maxDrawdown)}</b></div><div class="k">Sharpe per window<b>${n(r.sharpePerWindow, 3)}</b></div></div>`;
}

function timeframeSection(t: TimeframeResult, cfg: RealMarketConfig): string {
  const s = t.scores;
  const parts: string[] = [];
  parts.push(
    `<h2>${t.timeframe === '15m' ? '15-minute' : 'Hourly'} windows</h2><p>${t.windows} resolved windows replayed, ${t.skippedNoOutcome} skipped without an outcome. First half (fitting): ${t.firstHalf.windows} windows ${day(t.firstHalf.fromMs)} → ${day(t.firstHalf.toMs)} UTC; second half (out of sample): ${t.secondHalf.windows} windows ${day(t.secondHalf.fromMs)} → ${day(t.secondHalf.toMs)} UTC.</p>`,
  );
  parts.push(
    `<h3>Model against market</h3><p>${s.windows} windows scored. Δ = first − second (negative: the first forecasts better), mean ± standard error across windows (pooled row: each window's horizons averaged first).</p>${scoresTable(s.byHorizon, s.pooled)}`,
  );
  parts.push(
    chart(
      [
        { name: 'model (jump diffusion)', color: '#2563eb', points: s.byHorizon.map((h) => [h.minutes, h.brier.model] as const) },
        { name: 'Black–Scholes digital', color: '#9333ea', points: s.byHorizon.map((h) => [h.minutes, h.brier.bs] as const) },
        { name: 'market mid', color: '#16a34a', points: s.byHorizon.map((h) => [h.minutes, h.brier.market] as const) },
      ],
      { xTitle: 'minutes into the window', yTitle: 'Brier score (lower is better)', yInclude: [0], height: 260 },
    ),
  );
  const cal = (key: 'model' | 'market') => calibrationDeciles(s.forecasts.map((f) => [f[key], f.y] as const));
  const calModel = cal('model');
  const calMarket = cal('market');
  parts.push(
    `<h3>Calibration</h3><p>Every scored forecast (all horizons), by decile of the forecast: mean forecast against the share of windows that went Up (hover a point for the count).</p>` +
      chart(
        [
          {
            name: 'model',
            color: '#2563eb',
            style: 'points',
            points: calModel.map((c) => [c.meanPredicted, c.observed] as const),
            labels: calModel.map((c) => `model ${c.bucket}: ${c.count} forecasts, observed ${c.observed.toFixed(3)}`),
          },
          {
            name: 'market mid',
            color: '#16a34a',
            style: 'points',
            points: calMarket.map((c) => [c.meanPredicted, c.observed] as const),
            labels: calMarket.map((c) => `market ${c.bucket}: ${c.count} forecasts, observed ${c.observed.toFixed(3)}`),
          },
        ],
        { xTitle: 'forecast P(Up)', yTitle: 'observed frequency of Up', xInclude: [0, 1], yInclude: [0, 1], diagonal: true, width: 520, height: 420 },
      ),
  );
  if (t.value) {
    const v = t.value;
    const a = v.anchor;
    const oos = v.outOfSample;
    parts.push(
      `<h3>Value bets on a market-anchored fair value</h3><p>q = σ(a + w<sub>model</sub>·logit(p<sub>model</sub>) + w<sub>market</sub>·logit(mid)), fitted on the first half: a = ${a.intercept.toFixed(4)}, w<sub>model</sub> = ${a.wModel.toFixed(4)}, w<sub>market</sub> = ${a.wMarket.toFixed(4)}${'n' in a ? ` (${a.n} one-minute samples)` : ''}. A bet is taken where q beats the ask plus the fee by the margin. Margin chosen on the first half: <b>${v.margin === null ? 'none earned money: no value bets' : v.margin}</b>.</p>` +
        `<table><tr><th>margin</th><th>first half trades</th><th>first half PnL</th><th>second half trades</th><th>second half PnL</th></tr>${v.marginTable.map((r) => `<tr><td>${r.margin}</td><td>${r.firstHalf.trades}</td><td>${usd(r.firstHalf.pnl)}</td><td>${r.secondHalf.trades}</td><td>${usd(r.secondHalf.pnl)}</td></tr>`).join('')}</table>` +
        `<p>Out of sample (second half), the chosen setting:</p>${runKeys(oos)}<p><b>Default: ${esc(valueVerdict(t))}.</b></p><p>The live model alone (no anchor, minimum edge ${0.02}) on the same windows: ${v.modelAloneOutOfSample.trades.length} fills, PnL ${usd(v.modelAloneOutOfSample.pnl)} (fees ${usd(v.modelAloneOutOfSample.fees)}).</p>`,
    );
    parts.push(
      chart(
        [
          equitySeries('anchored value (chosen)', '#2563eb', oos, cfg.bankrollUsd, t.secondHalf.fromMs),
          equitySeries('model alone, edge 0.02', '#f59e0b', v.modelAloneOutOfSample, cfg.bankrollUsd, t.secondHalf.fromMs),
        ],
        { xTitle: 'time (UTC)', yTitle: 'equity (pUSD)', xType: 'time', yRule: cfg.bankrollUsd },
      ),
    );
    parts.push(
      chart([pnlBars('anchored value (chosen)', '#2563eb', oos), pnlBars('model alone', '#f59e0b', v.modelAloneOutOfSample)], {
        xTitle: 'window start (UTC)',
        yTitle: 'PnL after fees (pUSD)',
        xType: 'time',
        height: 220,
      }),
    );
  }
  if (t.pairs) {
    const p = t.pairs;
    const srow = (r: NonNullable<TimeframeResult['pairs']>['byRule'][number]) =>
      `<tr><td style="text-align:left">${esc(r.rule)}</td><td>${r.windowsTraded}/${r.windows}</td><td>${r.fills}</td><td>${usd(r.spentUsd)}</td><td>${n(r.medianPairCost, 4)}</td><td>${usd(r.pnl)}</td><td>${(r.returnOnSpend * 100).toFixed(2)} %</td><td>${r.profitableWindows}</td></tr>`;
    const head =
      '<tr><th>fills by</th><th>windows traded</th><th>fills</th><th>spent</th><th>median pair cost</th><th>PnL</th><th>PnL / spent</th><th>profitable windows</th></tr>';
    parts.push(
      `<h3>Pair accumulation</h3><p>Bids on both sides, ${cfg.pairs.clipShares} shares a bid, pair cost kept ≤ ${cfg.pairs.maxPairCost}, at most ${cfg.pairs.maxUnmatchedShares} unmatched shares, no new bid in the last ${cfg.pairs.stopBeforeEndSec} s, at most $${cfg.pairs.maxWindowSpendUsd} a window, one bid a side every ${cfg.pairs.slotMs / 1000} s lapsing at the slot's end. Complete pairs merge at 1; unmatched shares settle on the outcome.</p>${runKeys(p.all)}<table>${head}${p.byRule.map(srow).join('')}${srow(p.firstHalf)}${srow(p.secondHalf)}</table>`,
    );
    parts.push(
      chart([equitySeries('pair accumulation (default fills)', '#16a34a', p.all, cfg.bankrollUsd, t.firstHalf.fromMs)], {
        xTitle: 'time (UTC)',
        yTitle: 'equity (pUSD)',
        xType: 'time',
        yRule: cfg.bankrollUsd,
      }),
    );
    parts.push(chart([pnlBars('PnL per window', '#16a34a', p.all)], { xTitle: 'window start (UTC)', yTitle: 'PnL (pUSD)', xType: 'time', height: 220 }));
    if (p.bot) {
      const b = p.bot;
      parts.push(
        `<h3>Against the real bot, window by window</h3><p>${b.windows.length} windows where both traded (the bot's trades from data/polymarket/wallet-trades-btc-15m.csv.gz, merged the same way).</p><table>${head}${srow(b.ours)}${srow(b.theirs)}</table>`,
      );
      parts.push(
        chart(
          [
            {
              name: 'ours: PnL / spent',
              color: '#16a34a',
              style: 'bars',
              points: b.windows.map((x) => [x.ours.windowStartMs, x.ours.spentUsd > 0 ? (100 * x.ours.pnl) / x.ours.spentUsd : 0] as const),
            },
            {
              name: 'real bot: PnL / spent',
              color: '#6b7280',
              style: 'bars',
              points: b.windows.map((x) => [x.bot.windowStartMs, x.bot.spentUsd > 0 ? (100 * x.bot.pnl) / x.bot.spentUsd : 0] as const),
            },
          ],
          { xTitle: 'window start (UTC)', yTitle: 'PnL / spent (%)', xType: 'time', height: 240 },
        ),
      );
      parts.push(
        `<details><summary>every window</summary><table><tr><th>window (UTC)</th><th>outcome</th><th>ours spent</th><th>ours pair cost</th><th>ours Up/Down</th><th>ours PnL</th><th>bot spent</th><th>bot pair cost</th><th>bot Up/Down</th><th>bot PnL</th></tr>${b.windows
          .map(
            (x) =>
              `<tr><td>${day(x.ours.windowStartMs)}</td><td>${x.ours.outcome}</td><td>${usd(x.ours.spentUsd)}</td><td>${n(x.ours.pairCost, 4)}</td><td>${x.ours.upShares}/${x.ours.downShares}</td><td>${usd(x.ours.pnl)}</td><td>${usd(x.bot.spentUsd)}</td><td>${n(x.bot.pairCost, 4)}</td><td>${x.bot.upShares.toFixed(0)}/${x.bot.downShares.toFixed(0)}</td><td>${usd(x.bot.pnl)}</td></tr>`,
          )
          .join('')}</table></details>`,
      );
    }
  }
  return parts.join('\n');
}

export function realMarketReport(
  results: readonly TimeframeResult[],
  cfg: RealMarketConfig,
  meta: { books: string; outcomes: string; wallet: string | null; generatedAt: string },
): string {
  const rules = FILL_RULES.map(
    (r) =>
      `<li>${esc(r.name)}: ask ≤ bid − ${r.throughTicks} tick(s), ${Math.round(r.depthShare * 100)} % of depth, ${r.latencyMs / 1000} s after placement</li>`,
  ).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>polybot: recorded Polymarket books</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:1000px;padding:0 1rem;color:#111}table{border-collapse:collapse;font-size:.8rem;width:100%;margin:.5rem 0}td,th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f3f4f6}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.5rem;margin:.5rem 0}.k{background:#f3f4f6;padding:.5rem;border-radius:6px}.k b{display:block;font-size:1.1rem}</style></head><body>
<h1>Replay of recorded Polymarket books</h1><p>books ${esc(meta.books)} · outcomes ${esc(meta.outcomes)}${meta.wallet ? ` · real bot ${esc(meta.wallet)}` : ''} · generated ${esc(meta.generatedAt)}</p>
<h2>Rules of the replay</h2><ul><li><b>Taker fills.</b> ${esc(TAKER_RULE_TEXT)} Latency ${cfg.latencyMs} ms; assumed depth ${cfg.assumedDepthShares} shares where none is recorded.</li><li><b>Maker fills.</b> ${esc(MAKER_RULE_TEXT)} Rules shown: <ul>${rules}</ul></li>
<li><b>Fees</b> (${cfg.fees === 'v2' ? "what-if: today's V2 crypto taker fee 0.07·p(1−p) on every window" : 'as the market had them'}): the 15-minute crypto markets took no taker fee before ${new Date(FEE_DATES.fifteenMinuteFeesFromMs).toISOString().slice(0, 10)} (docs/polymarket.md: "2026-01-05/06 taker fees on 15m crypto, maker rebates", from Polymarket's documentation), then 0.25·(p(1−p))² per share, and Fee Structure V2 (0.07·p(1−p)) from ${new Date(FEE_DATES.v2FromMs).toISOString().slice(0, 10)} (date marked [low] there); the 2025 hourly markets took none. Every shipped window predates the fees, so no fee is charged on them. Makers pay none.</li>
<li><b>Settlement</b> on the recorded outcome; windows without one are skipped and counted. A complete Up+Down pair merges into 1 pUSD at once (modelled; same amount as at resolution).</li>
<li><b>Cores</b>: the analysis worker's ValueBettingStrategy and PairAccumulator, the risk worker's decideSignal (no-trade gate with toxicity ignored: the files hold no trade tape; oracle up to 65 s old: the underlying is one-minute), its KellySizer with the live defaults, execution's OrderManager and fill simulator. No circuit breaker.</li></ul>
${results.map((t) => timeframeSection(t, cfg)).join('\n')}
<h2>Settings</h2><pre>${esc(JSON.stringify(cfg, null, 2))}</pre>
</body></html>
`;
}
