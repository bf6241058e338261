/**
 * `pnpm toxicity-study [--data <file> ...] [--json]`: each toxicity measure on a trailing window
 * against the next seconds' mid move, per quantile bucket, on Binance trades and best quotes (raw
 * captures `.ndjson.gz`, or a `*_trades_*.csv` with its `*_quotes_*.csv`), and the thresholds the
 * stated rule derives from those tables. Without --data: the files in the repository's data/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadStudySources, SHARED_STUDY_FILES, toxicityStudy, type ToxicityStudyResult } from '../toxicityStudy.js';

const USAGE = 'usage: pnpm toxicity-study [--data <file> ...] [--json]\n';

/** The repository's data/ folder (this file is packages/strategy/{src,dist}/cli/). */
export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../data');

const bps = (x: number | null) => (x === null ? '-' : (x as number).toFixed(2));
const pct = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);

export function formatStudy(res: ToxicityStudyResult): string {
  const c = res.config;
  const lines = [
    `${res.samples} samples every ${c.stepMs} ms; measures on trailing windows (imbalance ${c.imbalanceWindowMs / 1000} s, VPIN ${c.vpinBuckets} buckets of ${c.vpinBucketSeconds} s of mean flow within ${c.vpinWindowMs / 1000} s, spot move ${c.spotWindowMs / 1000} s, book speed ${c.bookShortMs / 1000} s / ${c.bookLongMs / 1000} s); forward mid move over ${c.horizonsS.join(', ')} s`,
  ];
  for (const s of res.sources)
    lines.push(
      `  ${s.name}: ${s.trades} trades, ${s.quotes} quotes, ${s.samples} samples, mean |move| ${s.meanAbsMoveBps.map((b, k) => `${b.toFixed(2)} bp/${c.horizonsS[k]} s`).join(', ')}`,
    );
  for (const t of res.tables) {
    lines.push('', `${t.measure} → next ${t.horizonS} s   (|move| ratio: × the source's usual mean |move|)`);
    lines.push(`  ${'|measure| bucket'.padEnd(24)} ${'count'.padStart(5)}  ${t.signed ? 'dir move bp  share dir  ' : ''}mean |move| bp  |move| ratio`);
    const fmt = (label: string, r: (typeof t.buckets)[number]) =>
      `  ${label.padEnd(24)} ${String(r.count).padStart(5)}  ${t.signed ? `${bps(r.meanMoveInDirectionBps).padStart(11)}  ${pct(r.shareInDirection).padStart(9)}  ` : ''}${r.meanAbsMoveBps.toFixed(2).padStart(14)}  ${r.absMoveRatio.toFixed(2).padStart(12)}`;
    for (const b of t.buckets) lines.push(fmt(`${b.lo.toPrecision(3)} – ${b.hi.toPrecision(3)}`, b));
    lines.push(fmt('all', t.all));
  }
  const r = res.rule;
  lines.push(
    '',
    `Rule: the lowest decile edge of |measure| whose tail, over the next ${r.horizonS} s, moved in the measure's direction in ≥ ${(r.minShare * 100).toFixed(0)} % of cases (signed measures) or moved ≥ ${r.minAbsRatio} × the usual |move|, each with z ≥ ${r.minZ}; if none, the ${r.fallbackQuantile} quantile.`,
    '',
    'derived thresholds (shipped, 2 significant digits):',
  );
  for (const d of res.thresholds)
    lines.push(`  ${d.measure.padEnd(22)} ${String(d.rounded).padStart(8)}  ${d.predictive ? 'predictive' : 'NOT predictive'}: ${d.reason}`);
  lines.push('', 'the same rule at each horizon:');
  for (const h of res.byHorizon)
    lines.push(`  ${String(h.horizonS).padStart(3)} s: ${h.thresholds.map((d) => `${d.measure} ${d.rounded}${d.predictive ? '' : ' (fallback)'}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function main(argv: string[]): number {
  let values: { data?: string[]; json?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { data: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } } }));
  } catch (err) {
    process.stderr.write(`pnpm toxicity-study: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const files = values.data ?? SHARED_STUDY_FILES.map((f) => path.join(DATA_DIR, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    process.stderr.write(`pnpm toxicity-study: no such file: ${missing.join(', ')}\n${USAGE}`);
    return 2;
  }
  let res: ToxicityStudyResult;
  try {
    res = toxicityStudy(loadStudySources(files));
  } catch (err) {
    process.stderr.write(`pnpm toxicity-study: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(values.json ? `${JSON.stringify(res)}\n` : formatStudy(res));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
