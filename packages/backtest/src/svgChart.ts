/**
 * Small offline charts as inline SVG (nothing fetched when the report is opened): line, bar and
 * scatter plots with real axes — ticks at round values, UTC dates on time axes, axis titles, a
 * legend — and a <title> tooltip on every mark. Deterministic: the same data gives the same bytes.
 */

export interface Series {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Optional ± error per point (drawn as a whisker). */
  errors?: readonly number[];
  /** 'line' (default), 'points' (markers only) or 'bars'. */
  style?: 'line' | 'points' | 'bars' | 'step';
  /** Tooltip per point. */
  labels?: readonly string[];
}

export interface ChartOptions {
  width?: number;
  height?: number;
  xTitle: string;
  yTitle: string;
  /** 'time': x values are epoch ms, labelled as UTC dates. */
  xType?: 'time' | 'number';
  /** Force the axes to include these values (e.g. 0, or [0, 1] for probabilities). */
  xInclude?: readonly number[];
  yInclude?: readonly number[];
  /** A dashed y = x line (calibration). */
  diagonal?: boolean;
  /** A horizontal reference line (e.g. the opening bankroll). */
  yRule?: number;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const f1 = (v: number) => v.toFixed(1);

/** Round tick values covering [lo, hi] (1, 2, 2.5, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 0.5 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Time ticks at round UTC hours or days. */
export function timeTicks(lo: number, hi: number, count = 6): number[] {
  const span = Math.max(1, hi - lo);
  const steps = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];
  const step = steps.find((s) => span / s <= count) ?? 14 * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi && ticks.length < 60; t += step) ticks.push(t);
  return ticks.length >= 2 ? ticks : [lo, hi];
}

export function timeLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 3 * DAY ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function numLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

export function chart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 900;
  const H = o.height ?? 280;
  const m = { l: 64, r: 16, t: 14, b: 46 };
  const pts = series.flatMap((s) => s.points.map((p, i) => [p[0], p[1], s.errors?.[i] ?? 0] as const));
  if (!pts.length) return `<p><em>no data</em></p>`;
  const xs = [...pts.map((p) => p[0]), ...(o.xInclude ?? [])];
  const ys = [...pts.flatMap((p) => [p[1] - p[2], p[1] + p[2]]), ...(o.yInclude ?? []), ...(o.yRule !== undefined ? [o.yRule] : [])];
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const bars = series.some((s) => s.style === 'bars');
  if (bars) ys.push(0);
  if (bars) {
    const gap = (x1 - x0) / Math.max(1, pts.length) || 1;
    x0 -= gap / 2;
    x1 += gap / 2;
  }
  const yt = niceTicks(Math.min(...ys), Math.max(...ys));
  const [y0, y1] = [Math.min(...ys, yt[0] ?? 0), Math.max(...ys, yt[yt.length - 1] ?? 1)];
  const xt = o.xType === 'time' ? timeTicks(x0, x1) : niceTicks(x0, x1).filter((v) => v >= x0 - 1e-9 && v <= x1 + 1e-9);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg viewBox="0 0 ${W} ${H}" width="${W}" style="max-width:100%;height:auto" role="img" font-family="system-ui,sans-serif" font-size="11">`);
  // grid and axes
  for (const v of yt)
    out.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${f1(sy(v))}" y2="${f1(sy(v))}" stroke="#e5e7eb"/><text x="${m.l - 6}" y="${f1(sy(v) + 4)}" text-anchor="end">${numLabel(v)}</text>`,
    );
  for (const v of xt)
    out.push(
      `<line x1="${f1(sx(v))}" x2="${f1(sx(v))}" y1="${m.t}" y2="${H - m.b}" stroke="#f3f4f6"/><text x="${f1(sx(v))}" y="${H - m.b + 16}" text-anchor="middle">${esc(o.xType === 'time' ? timeLabel(v, x1 - x0) : numLabel(v))}</text>`,
    );
  out.push(
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#374151"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#374151"/>`,
  );
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" font-weight="600">${esc(o.xTitle)}</text>`);
  out.push(
    `<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" font-weight="600" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">${esc(o.yTitle)}</text>`,
  );
  if (o.diagonal)
    out.push(
      `<line x1="${f1(sx(Math.max(x0, y0)))}" y1="${f1(sy(Math.max(x0, y0)))}" x2="${f1(sx(Math.min(x1, y1)))}" y2="${f1(sy(Math.min(x1, y1)))}" stroke="#9ca3af" stroke-dasharray="4"/>`,
    );
  if (o.yRule !== undefined)
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${f1(sy(o.yRule))}" y2="${f1(sy(o.yRule))}" stroke="#6b7280" stroke-dasharray="2 3"/>`);
  const barSeries = series.filter((s) => s.style === 'bars');
  const barW = bars
    ? Math.max(1, (((W - m.l - m.r) / Math.max(1, Math.max(...barSeries.map((s) => s.points.length)))) * 0.8) / Math.max(1, barSeries.length))
    : 0;
  series.forEach((s) => {
    const label = (i: number, x: number, y: number) =>
      esc(s.labels?.[i] ?? `${s.name}: ${o.xType === 'time' ? new Date(x).toISOString().slice(0, 16).replace('T', ' ') : numLabel(x)} → ${numLabel(y)}`);
    if (s.style === 'bars') {
      const bi = barSeries.indexOf(s);
      s.points.forEach(([x, y], i) => {
        const cx = sx(x) - (barW * barSeries.length) / 2 + bi * barW;
        const [top, bottom] = y >= 0 ? [sy(y), sy(0)] : [sy(0), sy(y)];
        out.push(
          `<rect x="${f1(cx)}" y="${f1(top)}" width="${f1(barW)}" height="${f1(Math.max(0.5, bottom - top))}" fill="${y >= 0 ? s.color : '#dc2626'}" opacity="0.85"><title>${label(i, x, y)}</title></rect>`,
        );
      });
      return;
    }
    if (s.style !== 'points' && s.points.length > 1) {
      const path =
        s.style === 'step'
          ? s.points.map(([x, y], i) => (i === 0 ? `M${f1(sx(x))},${f1(sy(y))}` : `H${f1(sx(x))}V${f1(sy(y))}`)).join('')
          : s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f1(sx(x))},${f1(sy(y))}`).join('');
      out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    }
    s.points.forEach(([x, y], i) => {
      const e = s.errors?.[i];
      if (e) out.push(`<line x1="${f1(sx(x))}" x2="${f1(sx(x))}" y1="${f1(sy(y - e))}" y2="${f1(sy(y + e))}" stroke="${s.color}"/>`);
      if (s.style === 'points' || s.points.length <= 60)
        out.push(`<circle cx="${f1(sx(x))}" cy="${f1(sy(y))}" r="3" fill="${s.color}"><title>${label(i, x, y)}</title></circle>`);
    });
  });
  // legend
  series.forEach((s, i) =>
    out.push(
      `<rect x="${m.l + 10 + i * 190}" y="${m.t + 2}" width="10" height="10" fill="${s.color}"/><text x="${m.l + 24 + i * 190}" y="${m.t + 11}">${esc(s.name)}</text>`,
    ),
  );
  out.push('</svg>');
  return out.join('');
}
