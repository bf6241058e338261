/**
 * The real pipeline as separate processes against the sim venue: tick (market job) → analysis →
 * risk → execution → order acknowledged by the venue, with the per-stage breakdown (execution's
 * from the orders queue's own job timestamps), worker memory and Redis memory; the same pipeline
 * for minutes on end (the soak); and analysis throughput with 1, 2 and 4 analysis processes on a
 * backlog of at least 30 s of work for one.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { scanKeys, usedMemoryMb } from '@polybot/shared/redis';
import { readBreaker } from '@polybot/shared/breaker';
import { readOrders } from '@polybot/execution/store';
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

/**
 * A worker's memory as V8 and Node account for it (MB), from its own /metrics (prom-client's
 * default metrics): the heap in use, the heap V8 has committed (in use or not), and memory outside
 * the heap that Node knows of (Buffers, ArrayBuffers, native objects tied to JS ones). Beside RSS
 * they tell retained objects from heap V8 grew and has not given back, and both from native memory
 * no one accounts for (RSS climbing while all three stay flat). Null when the worker does not answer.
 */
async function workerMemoryMb(port: number): Promise<{ heapUsed: number | null; heapTotal: number | null; external: number | null }> {
  const none = { heapUsed: null, heapTotal: null, external: null };
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const read = (series: string) => {
      const m = new RegExp(`^polybot_nodejs_${series}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      const v = m ? Number(m[1]) : NaN;
      return Number.isFinite(v) ? Math.round(v / 104_857.6) / 10 : null;
    };
    return { heapUsed: read('heap_size_used_bytes'), heapTotal: read('heap_size_total_bytes'), external: read('external_memory_bytes') };
  } catch {
    return none;
  }
}

/** CPU seconds a process has used (user + system), from /proc. */
export const cpuSeconds = (pid: number | undefined): number | null => {
  if (!pid) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
};

/**
 * Redis memory by key family (MB, from `MEMORY USAGE` of every key under the prefix): a key's family
 * is its name with ids, hashes and numbers replaced by `*`, so `{bench}:orders:123` and
 * `{bench}:orders:124` count together. It names what grows when `used_memory` does.
 */
export async function redisFamiliesMb(redis: Redis, prefix: string): Promise<Record<string, { keys: number; mb: number }>> {
  const out: Record<string, { keys: number; mb: number }> = {};
  const keys = await scanKeys(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const pipe = redis.pipeline();
    for (const k of batch) pipe.memory('USAGE', k);
    const sizes = (await pipe.exec()) ?? [];
    batch.forEach((k, j) => {
      const family = k
        .slice(prefix.length)
        .split(':')
        .map((part) => (/\d/.test(part) && part.length > 3 ? '*' : part))
        .join(':');
      const f = (out[family] ??= { keys: 0, mb: 0 });
      f.keys += 1;
      f.mb += Number(sizes[j]?.[1] ?? 0) / 1_048_576;
    });
  }
  for (const f of Object.values(out)) f.mb = Math.round(f.mb * 100) / 100;
  return out;
}

/** CPU seconds the whole machine has used (every core, user + system + the rest but idle and iowait), from /proc/stat. */
export const machineCpuSeconds = (): number | null => {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = f.reduce((s, v, i) => (i === 3 || i === 4 ? s : s + v), 0);
    return busy / 100;
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
  /**
   * The execution stage split by the orders queue's job timestamps: risk's request → job added
   * (risk's own work after deciding), added → taken by execution (the hop and the wait behind earlier
   * jobs: one order job at a time), taken → venue ack (sign, persist, post, venue checks), and each
   * job's whole length (what the next job waits for: the ack plus reconciling, persisting, shipping events).
   */
  executionSplit: { toQueue: Percentiles; queueWait: Percentiles; jobToAck: Percentiles; jobLength: Percentiles };
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
  // The sim account's pUSD: the default $1,000 runs out in about two minutes of $5 orders, after
  // which execution refuses every order for funds. The same as risk's bankroll below, or risk's
  // ledger-against-venue check trips the breaker and nothing more is placed.
  SIM_START_BALANCE_USD: '100000000',
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
  // The loss rules too: with 5-minute windows a soak settles four markets every five minutes, each
  // holding a few hundred dollars of $5 orders on the sim's coin-flip outcomes, so the default daily
  // loss ($100, held to the next UTC day) or 8 losses in a row would trip the breaker at the first
  // settlements and leave the rest of the run idle (the soak reports any trip it sees).
  RISK_MAX_DAILY_LOSS_USD: '1000000000',
  RISK_MAX_CONSECUTIVE_LOSSES: '1000000',
  // Risk's ledger-against-venue check tripped the breaker 3 min into a soak at 06:08 UTC ($4.67
  // apart on a loaded machine), after which nothing more was placed: lifted here like every other
  // limit of risk's (the discrepancy is reported, not hidden, in the README's soak section).
  RISK_RECONCILE_TOLERANCE_USD: '1000000000',
  // Execution's own exposure limits sit above risk's, as risk's are lifted for the measurement.
  EXEC_MAX_MARKET_EXPOSURE_USD: '100000000',
  EXEC_MAX_TOTAL_EXPOSURE_USD: '100000000',
});

interface RunningPipeline {
  stack: Stack;
  ports: Record<string, number>;
  redis: Redis;
  dataDir: string;
  venuePort: number;
}

async function startPipeline(redisUrl: string, prefix: string, extraEnv: Record<string, string> = {}): Promise<RunningPipeline> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-'));
  const venuePort = await freePort();
  const ports: Record<string, number> = {};
  const stack = new Stack({ env: { ...baseEnv(redisUrl, prefix, dataDir, venuePort), ...extraEnv }, logDir: path.join(dataDir, 'logs'), restart: false });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`http://127.0.0.1:${venuePort}/healthz`, 20_000);
  for (const kind of ['execution', 'risk', 'analysis', 'discovery'] as const) {
    ports[kind] = await freePort();
    stack.add({ kind, index: 0, env: { POLYBOT_METRICS_PORT: String(ports[kind]) } });
  }
  // Every worker up (slow on a loaded machine), then a warm-up: keys, calibration, first windows.
  for (const port of Object.values(ports)) await waitForHttp(`http://127.0.0.1:${port}/healthz`, 90_000);
  await sleep(10_000);
  return { stack, ports, redis, dataDir, venuePort };
}

const rssAll = (p: RunningPipeline) => Object.fromEntries(p.stack.procs.map((x) => [x.name, rssMb(x.child?.pid)]));

/** Per order placed since `sinceMs`: tick, signal, request times, the venue's ack, and its order job's timestamps. */
const venueOrders = async (p: RunningPipeline) =>
  ((await (await fetch(`http://127.0.0.1:${p.venuePort}/sim/orders`)).json()) as { orders: Array<{ id: string; createdAtMs: number }> }).orders;

/** After the stack stopped (the order store is final); `venue`: the sim's orders, read before it stopped. */
async function orderTimes(p: RunningPipeline, prefix: string, sinceMs: number, venue: Array<{ id: string; createdAtMs: number }>) {
  const q = new Queue('orders', { connection: p.redis, prefix });
  const jobs = new Map((await q.getJobs(['completed'], 0, 5_000)).map((j) => [j.id, j]));
  await q.close();
  const file = path.join(p.dataDir, 'orders.db');
  const orders = existsSync(file) ? readOrders(file) : [];
  const acked = new Map(venue.map((v) => [v.id, v.createdAtMs]));
  const out: Array<{ at: number; tick: number; signal: number; created: number; job?: { added: number; taken: number; done: number } }> = [];
  for (const o of orders) {
    const at = o.venueOrderId ? acked.get(o.venueOrderId) : undefined;
    const r = o.request;
    if (at === undefined || r.tickAtMs === undefined || r.signalAtMs === undefined || r.createdAtMs < sinceMs) continue;
    const j = jobs.get(r.id);
    const job = j?.processedOn && j.finishedOn ? { added: j.timestamp, taken: j.processedOn, done: j.finishedOn } : undefined;
    out.push({ at, tick: r.tickAtMs, signal: r.signalAtMs, created: r.createdAtMs, ...(job ? { job } : {}) });
  }
  return out;
}

export async function runPipeline(redisUrl: string, prefix: string, seconds: number): Promise<PipelineResult> {
  const p = await startPipeline(redisUrl, prefix);
  const rssStart = rssAll(p);
  const memStart = await usedMemoryMb(p.redis);
  const ticks0 = await scrape(p.ports.analysis!, 'polybot_markets_priced_total');
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const ticks1 = await scrape(p.ports.analysis!, 'polybot_markets_priced_total');
  const elapsed = (Date.now() - t0) / 1000;
  const rssEnd = rssAll(p);
  const memEnd = await usedMemoryMb(p.redis);
  const venue = await venueOrders(p);
  await p.stack.stop(10_000);
  const times = await orderTimes(p, prefix, t0, venue);
  await p.redis.quit();
  const withJob = times.flatMap((t) => (t.job ? [{ ...t, job: t.job }] : []));
  const workerRssMb = Object.fromEntries(Object.keys(rssEnd).map((k) => [k, { start: rssStart[k] ?? null, end: rssEnd[k] ?? null }]));
  return {
    tickToOrder: percentiles(times.map((t) => t.at - t.tick)),
    stages: {
      toAnalysis: percentiles(times.map((t) => t.signal - t.tick)),
      analysisAndRisk: percentiles(times.map((t) => t.created - t.signal)),
      execution: percentiles(times.map((t) => t.at - t.created)),
    },
    executionSplit: {
      toQueue: percentiles(withJob.map((t) => t.job.added - t.created)),
      queueWait: percentiles(withJob.map((t) => t.job.taken - t.job.added)),
      jobToAck: percentiles(withJob.map((t) => t.at - t.job.taken)),
      jobLength: percentiles(withJob.map((t) => t.job.done - t.job.taken)),
    },
    ticksPerSec: Math.round(((ticks1 - ticks0) / elapsed) * 10) / 10,
    ordersPerSec: Math.round((times.length / elapsed) * 10) / 10,
    workerRssMb,
    redisMemoryMb: { start: memStart, end: memEnd },
  };
}

/** Least-squares slope of `ys` over `xs` (per unit of x). */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

export interface SoakResult {
  minutes: number;
  sampleEverySeconds: number;
  /** The plateau test: growth over the second half of the run, by least squares, in MB per minute. */
  boundMbPerMin: { workerRss: number; redis: number };
  secondHalfSlopeMbPerMin: Record<string, number>;
  plateau: Record<string, boolean>;
  /** Each series: [minutes since start, MB]. */
  samples: Record<string, Array<[number, number]>>;
  /** Tick → ack by minute of the run (does latency drift as the run goes on?). */
  tickToOrderByMinute: Array<{ minute: number; p50Ms: number; p99Ms: number; samples: number }>;
  orders: number;
  /**
   * Risk's circuit breaker as sampled with memory: its first trip (minutes into the run, kind,
   * reason), or null. A tripped breaker stops placing, so a second half after it is an idle
   * pipeline and its slopes say nothing about memory under trading.
   */
  breakerTrip: { minute: number; kind: string; reason: string } | null;
  /**
   * Each series' lowest sample in the first and in the second half. A heap sampled without forcing
   * GC is a sawtooth, so its slope over a few minutes says little; its floor (what is left after
   * the collections between samples) rising from one half to the next is what retention looks like.
   */
  floorMb: Record<string, { firstHalf: number; secondHalf: number }>;
  /** Execution's EXEC_RETAIN_HOURS in the run (SOAK_RETAIN_HOURS). */
  execRetainHours: number;
  /** Redis memory by key family half-way and at the end (`redisFamiliesMb`): which keys the growth is in. */
  redisFamilies: { halfway: Record<string, { keys: number; mb: number }>; end: Record<string, { keys: number; mb: number }> };
}

/** Execution's retention in the soak (EXEC_RETAIN_HOURS): none past the 10 minutes every order is held after its window. */
export const SOAK_RETAIN_HOURS = 0;

/**
 * The pipeline for `minutes`, sampling each worker's RSS and Redis's used memory every
 * `everyS` seconds; a series has reached its plateau when its least-squares slope over the second
 * half is below the bound (worker RSS 0.5 MB/min, i.e. 30 MB an hour; Redis 0.1 MB/min).
 */
export async function soak(redisUrl: string, prefix: string, minutes: number, everyS = 10, log: (s: string) => void = () => undefined): Promise<SoakResult> {
  const bound = { workerRss: 0.5, redis: 0.1 };
  // Execution keeps a frozen order in memory a day after its window by default (EXEC_RETAIN_HOURS),
  // so at the default its heap reaches its plateau after a day. The soak lets orders go as soon as
  // they are frozen (window over by 10 min), so that the plateau, and what bounds it, shows within
  // the run: after the first windows' orders leave, about 15 minutes in.
  const p = await startPipeline(redisUrl, prefix, { EXEC_RETAIN_HOURS: String(SOAK_RETAIN_HOURS) });
  const samples: Record<string, Array<[number, number]>> = {};
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  const add = (name: string, mb: number | null) => {
    if (mb !== null && Number.isFinite(mb)) (samples[name] ??= []).push([Math.round(((Date.now() - t0) / 60_000) * 1000) / 1000, mb]);
  };
  let logged = 0;
  let breakerTrip: SoakResult['breakerTrip'] = null;
  let halfway: SoakResult['redisFamilies']['halfway'] | null = null;
  for (let next = t0; Date.now() < end; next += everyS * 1000) {
    for (const [name, mb] of Object.entries(rssAll(p))) add(`rss ${name}`, mb);
    for (const [kind, port] of Object.entries(p.ports)) {
      const mem = await workerMemoryMb(port);
      add(`heap ${kind}`, mem.heapUsed);
      add(`heap committed ${kind}`, mem.heapTotal);
      add(`external ${kind}`, mem.external);
    }
    add('redis used_memory', await usedMemoryMb(p.redis));
    const b = await readBreaker(p.redis, prefix, Date.now());
    if (b.state === 'open' && !breakerTrip) {
      breakerTrip = { minute: Math.round(((Date.now() - t0) / 60_000) * 100) / 100, kind: b.kind, reason: b.reason };
      log(`soak: risk's circuit breaker is open (${b.kind}: ${b.reason}): nothing more is placed, the rest of the run is idle`);
    }
    if (!halfway && Date.now() - t0 >= (minutes / 2) * 60_000) halfway = await redisFamiliesMb(p.redis, prefix);
    const m = Math.floor((Date.now() - t0) / 60_000);
    if (m > logged) log(`soak: minute ${(logged = m)} of ${minutes}`);
    await sleep(Math.max(0, next + everyS * 1000 - Date.now()));
  }
  const venue = await venueOrders(p);
  const familiesEnd = await redisFamiliesMb(p.redis, prefix);
  await p.stack.stop(10_000);
  const times = await orderTimes(p, prefix, t0, venue);
  await p.redis.quit();
  const secondHalfSlopeMbPerMin: Record<string, number> = {};
  const plateau: Record<string, boolean> = {};
  const floorMb: SoakResult['floorMb'] = {};
  for (const [name, xs] of Object.entries(samples)) {
    const low = (ys: Array<[number, number]>) => (ys.length ? Math.min(...ys.map(([, mb]) => mb)) : NaN);
    floorMb[name] = { firstHalf: low(xs.filter(([m]) => m < minutes / 2)), secondHalf: low(xs.filter(([m]) => m >= minutes / 2)) };
    const half = xs.filter(([m]) => m >= minutes / 2);
    const s = slope(
      half.map(([m]) => m),
      half.map(([, mb]) => mb),
    );
    secondHalfSlopeMbPerMin[name] = Math.round(s * 1000) / 1000;
    plateau[name] = s < (name.startsWith('redis') ? bound.redis : bound.workerRss);
  }
  const byMinute = new Map<number, number[]>();
  for (const t of times) {
    const m = Math.floor((t.created - t0) / 60_000);
    if (m >= 0 && m < minutes) byMinute.set(m, [...(byMinute.get(m) ?? []), t.at - t.tick]);
  }
  return {
    minutes,
    sampleEverySeconds: everyS,
    boundMbPerMin: bound,
    secondHalfSlopeMbPerMin,
    plateau,
    samples,
    tickToOrderByMinute: [...byMinute.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([minute, xs]) => {
        const q = percentiles(xs);
        return { minute, p50Ms: q.p50Ms, p99Ms: q.p99Ms, samples: q.samples };
      }),
    orders: times.length,
    breakerTrip,
    floorMb,
    redisFamilies: { halfway: halfway ?? {}, end: familiesEnd },
    execRetainHours: SOAK_RETAIN_HOURS,
  };
}

export interface ThroughputRun {
  workers: number;
  /** Markets priced per second, between 10 % and 90 % of the backlog. */
  perSec: number;
  /** How long that steady part took. */
  seconds: number;
  /** CPU cores in use over it: all analysis processes together, Redis, and the whole machine (everything, the bench itself included). */
  analysisCores: number;
  redisCores: number;
  machineCores: number;
}

/**
 * Markets priced per second with `workers` analysis processes, fed a backlog of `jobs` market jobs
 * (copies of discovery's first one), measured between 10 % and 90 % of the backlog, with the CPU
 * the analysis processes and Redis used meanwhile (`redisPid`: the bench's own Redis).
 */
export async function analysisThroughput(redisUrl: string, prefix: string, workers: number, jobs: number, redisPid?: number): Promise<ThroughputRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-bench-'));
  const venuePort = await freePort();
  const env = { ...baseEnv(redisUrl, prefix, dataDir, venuePort), DISCOVERY_REFRESH_MS: '60000', DISCOVERY_PRICE_TRIGGER: '1', ANALYSIS_CONCURRENCY: '8' };
  const stack = new Stack({ env, logDir: path.join(dataDir, 'logs'), restart: false });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`http://127.0.0.1:${venuePort}/healthz`, 20_000);
  stack.add({ kind: 'discovery', index: 0, env: {} });
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
  for (let i = 0; i < jobs; i += 5_000) {
    await markets.addBulk(
      Array.from({ length: Math.min(5_000, jobs - i) }, (_, k) => ({
        name: 'market',
        data: { ...(template as object), refreshedAtMs: Date.now() },
        opts: { jobId: `bench-${workers}-${i + k}`, removeOnComplete: true },
      })),
    );
  }
  const ports: number[] = [];
  for (let i = 0; i < workers; i++) {
    const port = await freePort();
    ports.push(port);
    stack.add({ kind: 'analysis', index: i, env: { POLYBOT_METRICS_PORT: String(port) } });
  }
  const cpu = () => {
    const a = stack.procs.filter((x) => x.spec.kind === 'analysis').reduce((s, x) => s + (cpuSeconds(x.child?.pid) ?? 0), 0);
    return { a, r: cpuSeconds(redisPid) ?? 0, m: machineCpuSeconds() ?? NaN };
  };
  // Measure the steady part: from 10 % to 90 % of the backlog.
  const count = async () => (await Promise.all(ports.map((p) => scrape(p, 'polybot_markets_priced_total').catch(() => 0)))).reduce((a, b) => a + b, 0);
  type Mark = { n: number; t: number; cpu: ReturnType<typeof cpu> };
  let a: Mark | null = null;
  let b: Mark | null = null;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const n = await count();
    if (!a && n >= jobs * 0.1) a = { n, t: Date.now(), cpu: cpu() };
    if (n >= jobs * 0.9) {
      b = { n, t: Date.now(), cpu: cpu() };
      break;
    }
    await sleep(100);
  }
  await stack.stop(10_000);
  await markets.obliterate({ force: true });
  await markets.close();
  await redis.quit();
  if (!a || !b || b.t === a.t) return { workers, perSec: NaN, seconds: NaN, analysisCores: NaN, redisCores: NaN, machineCores: NaN };
  const secs = (b.t - a.t) / 1000;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    workers,
    perSec: Math.round(((b.n - a.n) / secs) * 10) / 10,
    seconds: r2(secs),
    analysisCores: r2((b.cpu.a - a.cpu.a) / secs),
    redisCores: r2((b.cpu.r - a.cpu.r) / secs),
    machineCores: r2((b.cpu.m - a.cpu.m) / secs),
  };
}

export interface ScalingResult {
  /** Market jobs in each backlog: at least 30 s of work for one process at its measured rate. */
  backlogJobs: number;
  probePerSec: number;
  runs: ThroughputRun[];
}

/** Probe one process's rate, size the backlog to ≥ 30 s of its work (checked by the 1-process run itself), then run 1, 2 and 4 processes on it. */
export async function analysisScaling(
  redisUrl: string,
  prefix: string,
  redisPid: number | undefined,
  workerCounts = [1, 2, 4],
  minSeconds = 30,
): Promise<ScalingResult> {
  const probe = await analysisThroughput(redisUrl, `{${prefix}-probe}`, 1, 3_000, redisPid);
  // The measured part is 80 % of the backlog; a quarter more for a slower machine.
  let backlogJobs = Math.ceil(((probe.perSec * minSeconds) / 0.8) * 1.25);
  // The short probe runs before the JIT has warmed up, so one process can then run faster than it
  // said (907/s against a probe of 526/s on 2026-12-02: 27 s of work, not 30). The 1-process run is
  // the judge: while its backlog holds less than `minSeconds` of its own work, grow it and run again.
  let single = await analysisThroughput(redisUrl, `{${prefix}-1a}`, 1, backlogJobs, redisPid);
  for (let attempt = 0; attempt < 2 && Number.isFinite(single.perSec) && backlogJobs / single.perSec < minSeconds; attempt++) {
    backlogJobs = Math.ceil(((single.perSec * minSeconds) / 0.8) * 1.1);
    single = await analysisThroughput(redisUrl, `{${prefix}-1b${attempt}}`, 1, backlogJobs, redisPid);
  }
  const runs: ThroughputRun[] = [];
  for (const w of workerCounts) runs.push(w === 1 ? single : await analysisThroughput(redisUrl, `{${prefix}-${w}}`, w, backlogJobs, redisPid));
  return { backlogJobs, probePerSec: probe.perSec, runs };
}
