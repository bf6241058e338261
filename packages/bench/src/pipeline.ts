/**
 * The real pipeline as separate processes against the sim venue: tick (market job) → analysis →
 * risk → execution → order acknowledged by the venue, with the per-stage breakdown, worker memory
 * and Redis memory; and analysis throughput with one and two analysis processes.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { OrderSchema } from '@polybot/shared';
import { freePort } from '@polybot/shared/redisServer';
import { Stack, waitForHttp } from '@polybot/cli/stack';
import { percentiles, sleep, type Percentiles } from './stats.js';

const rssMb = (pid: number | undefined): number | null => {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
};

async function scrape(port: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(series))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

export interface PipelineResult {
  tickToOrder: Percentiles;
  /** tick → analysis pass starts (queue hop), pass start → order job (analysis incl. the book fetch, hop, risk), job → venue ack. */
  stages: { toAnalysis: Percentiles; analysisAndRisk: Percentiles; execution: Percentiles };
  ticksPerSec: number;
  ordersPerSec: number;
  workerRssMb: Record<string, { start: number | null; end: number | null }>;
  redisMemoryMb: { start: number; end: number };
}

const baseEnv = (redisUrl: string, prefix: string, dataDir: string, venuePort: number) => ({
  REDIS_URL: redisUrl,
  POLYBOT_QUEUE_PREFIX: prefix,
  POLYBOT_DATA_DIR: dataDir,
  POLYBOT_VENUE: 'sim',
  SIM_VENUE_PORT: String(venuePort),
  SIM_WINDOW_SECONDS: '300',
  SIM_MISPRICE_PROB: '0.5',
  LOG_LEVEL: 'warn',
  STRATEGY_SLOT_MS: '1000',
  STRATEGY_MIN_EDGE: '0.01',
  DISCOVERY_REFRESH_MS: '250',
  RISK_BANKROLL_USD: '100000000',
  RISK_MAX_ORDER_USD: '5',
  RISK_MAX_MARKET_EXPOSURE_USD: '100000000',
  RISK_MAX_ASSET_EXPOSURE_USD: '100000000',
  RISK_MAX_TOTAL_EXPOSURE_USD: '100000000',
  RISK_TOXICITY: 'ignore',
  RISK_MAX_ERRORS: '1000000',
  // Execution's own exposure limits sit above risk's, as risk's are lifted for the measurement.
  EXEC_MAX_MARKET_EXPOSURE_USD: '100000000',
  EXEC_MAX_TOTAL_EXPOSURE_USD: '100000000',
});

async function redisMb(r: Redis): Promise<number> {
  const info = await r.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  return m ? Math.round(Number(m[1]) / 104857.6) / 10 : NaN;
}

export async function runPipeline(redisUrl: string, prefix: string, seconds: number): Promise<PipelineResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-'));
  const venuePort = await freePort();
  const ports: Record<string, number> = {};
  const stack = new Stack({ env: baseEnv(redisUrl, prefix, dataDir, venuePort), logDir: path.join(dataDir, 'logs'), restart: false });
  const redis = new Redis(redisUrl);
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`http://127.0.0.1:${venuePort}/healthz`, 20_000);
  for (const kind of ['execution', 'risk', 'analysis', 'discovery'] as const) {
    ports[kind] = await freePort();
    stack.add({ kind, index: 0, env: { POLYBOT_METRICS_PORT: String(ports[kind]) } });
  }
  await sleep(10_000); // warm-up: keys, calibration, first windows
  const rssStart = Object.fromEntries(stack.procs.map((p) => [p.name, rssMb(p.child?.pid)]));
  const memStart = await redisMb(redis);
  const ticks0 = await scrape(ports.analysis!, 'polybot_markets_priced_total');
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const ticks1 = await scrape(ports.analysis!, 'polybot_markets_priced_total');
  const elapsed = (Date.now() - t0) / 1000;
  const rssEnd = Object.fromEntries(stack.procs.map((p) => [p.name, rssMb(p.child?.pid)]));
  const memEnd = await redisMb(redis);
  const venue = ((await (await fetch(`http://127.0.0.1:${venuePort}/sim/orders`)).json()) as { orders: Array<{ id: string; createdAtMs: number }> }).orders;
  await stack.stop(10_000);
  await redis.quit();
  const file = path.join(dataDir, 'orders.json');
  const orders = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { orders: unknown[] }).orders.map((o) => OrderSchema.parse(o)) : [];
  const acked = new Map(venue.map((v) => [v.id, v.createdAtMs]));
  const total: number[] = [];
  const analysis: number[] = [];
  const risk: number[] = [];
  const execution: number[] = [];
  for (const o of orders) {
    const at = o.venueOrderId ? acked.get(o.venueOrderId) : undefined;
    const r = o.request;
    if (at === undefined || r.tickAtMs === undefined || r.signalAtMs === undefined || r.createdAtMs < t0) continue;
    total.push(at - r.tickAtMs);
    analysis.push(r.signalAtMs - r.tickAtMs);
    risk.push(r.createdAtMs - r.signalAtMs);
    execution.push(at - r.createdAtMs);
  }
  const workerRssMb = Object.fromEntries(Object.keys(rssEnd).map((k) => [k, { start: rssStart[k] ?? null, end: rssEnd[k] ?? null }]));
  return {
    tickToOrder: percentiles(total),
    stages: { toAnalysis: percentiles(analysis), analysisAndRisk: percentiles(risk), execution: percentiles(execution) },
    ticksPerSec: Math.round(((ticks1 - ticks0) / elapsed) * 10) / 10,
    ordersPerSec: Math.round((total.length / elapsed) * 10) / 10,
    workerRssMb,
    redisMemoryMb: { start: memStart, end: memEnd },
  };
}

/** Markets priced per second with `workers` analysis processes, fed a backlog of market jobs. */
export async function analysisThroughput(redisUrl: string, prefix: string, workers: number, jobs: number): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-'));
  const venuePort = await freePort();
  const env = { ...baseEnv(redisUrl, prefix, dataDir, venuePort), DISCOVERY_REFRESH_MS: '60000', DISCOVERY_PRICE_TRIGGER: '1', ANALYSIS_CONCURRENCY: '8' };
  const stack = new Stack({ env, logDir: path.join(dataDir, 'logs'), restart: false });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`http://127.0.0.1:${venuePort}/healthz`, 20_000);
  stack.add({ kind: 'discovery', index: 0, env: {} });
  const { Queue } = await import('bullmq');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const markets = new Queue('markets', { connection: redis, prefix });
  // Wait for discovery's first market job, then use it as the template for the backlog.
  let template: unknown = null;
  for (let i = 0; i < 100 && !template; i++) {
    const [job] = await markets.getJobs(['waiting'], 0, 0);
    template = job?.data ?? null;
    if (!template) await sleep(200);
  }
  if (!template) throw new Error('no market job to copy');
  await markets.addBulk(
    Array.from({ length: jobs }, (_, i) => ({
      name: 'market',
      data: { ...(template as object), refreshedAtMs: Date.now() },
      opts: { jobId: `bench-${workers}-${i}`, removeOnComplete: true },
    })),
  );
  const ports: number[] = [];
  for (let i = 0; i < workers; i++) {
    const port = await freePort();
    ports.push(port);
    stack.add({ kind: 'analysis', index: i, env: { POLYBOT_METRICS_PORT: String(port) } });
  }
  // Measure the steady part: from 10 % to 90 % of the backlog.
  const count = async () => (await Promise.all(ports.map((p) => scrape(p, 'polybot_markets_priced_total').catch(() => 0)))).reduce((a, b) => a + b, 0);
  let a: { n: number; t: number } | null = null;
  let b: { n: number; t: number } | null = null;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const n = await count();
    if (!a && n >= jobs * 0.1) a = { n, t: Date.now() };
    if (n >= jobs * 0.9) {
      b = { n, t: Date.now() };
      break;
    }
    await sleep(100);
  }
  await stack.stop(10_000);
  await markets.obliterate({ force: true });
  await markets.close();
  await redis.quit();
  if (!a || !b || b.t === a.t) return NaN;
  return Math.round(((b.n - a.n) / ((b.t - a.t) / 1000)) * 10) / 10;
}
