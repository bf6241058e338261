/**
 * `pnpm bench`: measured, not asserted. Prints a table and writes bench-results.json at the repo root.
 * `pnpm bench --soak <minutes>`: only the soak (the pipeline for that long, memory sampled), whose
 * figures are added to bench-results.json under `soak` (the other keys are kept).
 * `pnpm bench --only exec`: execution step by step and its floors alone (about a minute), printed only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { spawnRedisServer } from '@polybot/shared/redisServer';
import { benchBacktest } from '@polybot/backtest';
import { benchPricing, benchStrategyPass, loadBars, minuteCloses } from '@polybot/strategy';
import { executionSteps } from './execSteps.js';
import { bullmqFloor, redisRtt } from './floor.js';
import { analysisScaling, runPipeline, soak, SOAK_RETAIN_HOURS } from './pipeline.js';
import type { Percentiles } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RESULTS = path.join(ROOT, 'bench-results.json');
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

const ArgsSchema = z.union([
  z.tuple([]).transform(() => ({ soakMinutes: null, only: null })),
  // Execution step by step alone (about a minute): printed, bench-results.json left as it is.
  z.tuple([z.literal('--only'), z.literal('exec')]).transform(() => ({ soakMinutes: null, only: 'exec' as const })),
  z
    .tuple([
      z.literal('--soak'),
      z.coerce
        .number()
        .positive()
        .max(24 * 60),
    ])
    .transform(([, m]) => ({ soakMinutes: m, only: null })),
]);

/** A year of one-minute bars (the shipped FTX month repeated) through the backtest. */
async function backtestYear(): Promise<{ barsPerSec: number; bars: number; seconds: number } | null> {
  const file = path.resolve(ROOT, 'data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz');
  if (!existsSync(file)) return null;
  const closes = minuteCloses(loadBars(file)).closes;
  return benchBacktest(closes, 1);
}

const row = (name: string, p: Percentiles) =>
  `${name.padEnd(44)} ${String(p.p50Ms).padStart(8)} ${String(p.p90Ms).padStart(8)} ${String(p.p99Ms).padStart(8)} ${String(p.samples).padStart(7)}`;
const header = `${'latency (ms)'.padEnd(44)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'samples'.padStart(7)}`;
const r2 = (v: number) => Math.round(v * 100) / 100;

async function runSoak(minutes: number): Promise<void> {
  const redis = await spawnRedisServer(undefined, ['--maxmemory-policy', 'noeviction']);
  try {
    log(`soak: the pipeline for ${minutes} min, memory sampled every 10 s…`);
    const s = await soak(redis.url, '{bench-soak}', minutes, 10, log);
    const previous: Record<string, unknown> = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(RESULTS, `${JSON.stringify({ ...previous, soak: { ...s, at: new Date().toISOString() } }, null, 2)}\n`);
    const lines = [
      `soak: ${minutes} min, ${s.orders} orders, execution's EXEC_RETAIN_HOURS ${SOAK_RETAIN_HOURS}; plateau when the second half's slope is below ${s.boundMbPerMin.workerRss} MB/min (worker RSS and V8 heap in use) and ${s.boundMbPerMin.redis} MB/min (Redis)`,
      ...Object.entries(s.samples).map(([name, xs]) => {
        const first = xs[0]?.[1];
        const mid = xs.find(([m]) => m >= minutes / 2)?.[1];
        const last = xs.at(-1)?.[1];
        return `${name.padEnd(24)} start ${first} MB, half-way ${mid} MB, end ${last} MB; second-half slope ${s.secondHalfSlopeMbPerMin[name]} MB/min: ${s.plateau[name] ? 'plateau' : 'still growing'}; lowest ${s.floorMb[name]?.firstHalf} MB in the first half, ${s.floorMb[name]?.secondHalf} MB in the second`;
      }),
      `Redis by key family, half-way → end (MB, keys): ${Object.entries(s.redisFamilies.end)
        .sort((a, b) => b[1].mb - a[1].mb)
        .slice(0, 12)
        .map(([k, v]) => `${k} ${s.redisFamilies.halfway[k]?.mb ?? 0} → ${v.mb} (${s.redisFamilies.halfway[k]?.keys ?? 0} → ${v.keys})`)
        .join('; ')}`,
      `orders by minute: ${s.tickToOrderByMinute.map((m) => m.samples).join(', ')}`,
      s.breakerTrip
        ? `risk's circuit breaker tripped ${s.breakerTrip.minute} min in (${s.breakerTrip.kind}: ${s.breakerTrip.reason}): the slopes after it are of an idle pipeline`
        : "risk's circuit breaker stayed closed",
      `tick → ack p50 by minute (ms): ${s.tickToOrderByMinute.map((m) => m.p50Ms).join(', ')}`,
      `tick → ack p99 by minute (ms): ${s.tickToOrderByMinute.map((m) => m.p99Ms).join(', ')}`,
      `written to ${RESULTS} (key "soak")`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await redis.stop();
  }
}

/** `--only exec`: the execution steps and their floors, printed only (not a full run, so nothing is written). */
async function runExecOnly(): Promise<void> {
  log('execution step by step, and the signing, verification and durable-write floors…');
  const exec = await executionSteps(150);
  const f = exec.floors;
  const lines = [
    header,
    row('execution alone, one order at a time: place', exec.steps.place),
    row('  sign (client + EIP-712 + hash)', exec.steps.sign),
    row('  persist (one store commit)', exec.steps.persist),
    row('  post (client, HTTP, venue checks)', exec.steps.post),
    row('  reconcile after the answer', exec.steps.reconcile),
    row('floor: EIP-712 signature alone', f.eip712Sign),
    row('floor: signature verification alone', f.eip712Verify),
    row('floor: one durable write (fsync)', f.durableWrite),
    `load average (1 min) at the end: ${r2(os.loadavg()[0]!)} on ${os.cpus().length} cores (not written to ${RESULTS})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function runAll(): Promise<void> {
  const redis = await spawnRedisServer(undefined, ['--maxmemory-policy', 'noeviction']);
  try {
    log('pricing…');
    const pricing = benchPricing(2_000);
    log('strategy pass…');
    const pass = benchStrategyPass(2_000);
    log('redis round trip…');
    const redisRttMs = await redisRtt(redis.url);
    log('tick-to-order through the real pipeline (60 s)…');
    const pipeline = await runPipeline(redis.url, '{bench-pipe}', 60);
    const rate = Math.max(1, Math.round(pipeline.ticksPerSec));
    log(`BullMQ floor at the pipeline's rate (${rate}/s) and at 50, 200/s…`);
    const floorSame = await bullmqFloor(redis.url, '{bench-floor}', rate, Math.min(3_000, rate * 20));
    const floors: Record<string, Percentiles> = { [`${rate}/s`]: floorSame };
    for (const r of [50, 200]) floors[`${r}/s`] = await bullmqFloor(redis.url, `{bench-floor-${r}}`, r, r * 10);
    log('execution step by step, and the signing, verification and durable-write floors…');
    const exec = await executionSteps(150);
    log('analysis scaling: 1, 2 and 4 processes on a backlog of ≥ 30 s of work for one…');
    const scaling = await analysisScaling(redis.url, 'bench-a', redis.child.pid);
    log('backtest…');
    const backtest = await backtestYear();

    const byWorkers = (w: number) => scaling.runs.find((r) => r.workers === w);
    const one = byWorkers(1);
    const workers1 = one?.perSec ?? NaN;
    const workers2 = byWorkers(2)?.perSec ?? NaN;
    const workers4 = byWorkers(4)?.perSec ?? NaN;
    const f = exec.floors;
    // What no change to our code removes: the queue hops, one signature, the venue's verification of
    // it, and one durable write before the post (each part's own percentile, summed).
    const ownFloor = {
      p50Ms: r2(floorSame.p50Ms + f.eip712Sign.p50Ms + f.eip712Verify.p50Ms + f.durableWrite.p50Ms),
      p99Ms: r2(floorSame.p99Ms + f.eip712Sign.p99Ms + f.eip712Verify.p99Ms + f.durableWrite.p99Ms),
    };
    const ratio = {
      p50VsFloor: r2(pipeline.tickToOrder.p50Ms / floorSame.p50Ms),
      p99VsFloor: r2(pipeline.tickToOrder.p99Ms / floorSame.p99Ms),
      p50VsFloorWithSigning: r2(pipeline.tickToOrder.p50Ms / ownFloor.p50Ms),
      p99VsFloorWithSigning: r2(pipeline.tickToOrder.p99Ms / ownFloor.p99Ms),
      p50VsRedisRtt: Math.round((pipeline.tickToOrder.p50Ms / redisRttMs.p50Ms) * 10) / 10,
    };
    const goals = {
      tickToOrderWithin2xFloor: ratio.p50VsFloor <= 2 && ratio.p99VsFloor <= 2,
      tickToOrderWithin2xFloorWithSigning: ratio.p50VsFloorWithSigning <= 2 && ratio.p99VsFloorWithSigning <= 2,
      analysisScaling1to2AtLeast1_6: workers2 / workers1 >= 1.6,
    };
    const results = {
      machine: {
        cpus: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? '?',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        loadAvg1m: r2(os.loadavg()[0]!),
      },
      at: new Date().toISOString(),
      tickToOrder: pipeline.tickToOrder,
      tickToOrderStages: pipeline.stages,
      executionSplit: pipeline.executionSplit,
      pipelineTicksPerSec: pipeline.ticksPerSec,
      pipelineOrdersPerSec: pipeline.ordersPerSec,
      bullmqFloor: floorSame,
      bullmqFloorByRate: floors,
      executionSteps: exec.steps,
      signingAndVerificationFloor: f,
      floorWithSigning: ownFloor,
      redisRttMs,
      ratio,
      goals,
      analysisThroughput: {
        workers1,
        workers2,
        workers4,
        scaling: r2(workers2 / workers1),
        scaling4: r2(workers4 / workers1),
        backlogJobs: scaling.backlogJobs,
        secondsOfWorkForOne: r2(scaling.backlogJobs / workers1),
        // The most any number of processes could reach on this machine: every core busy at the CPU
        // one market job costs (analysis's and Redis's, from the 1-process run), nothing else running.
        ceilingOnThisMachine: one ? r2(os.cpus().length / (one.analysisCores + one.redisCores)) : null,
        runs: scaling.runs,
      },
      pricingEvalsPerSec: pricing.evalsPerSec,
      strategyPassesPerSec: pass.passesPerSec,
      strategyPassMicros: Math.round((1e6 / pass.passesPerSec) * 10) / 10,
      backtestBarsPerSec: backtest?.barsPerSec ?? null,
      backtestYearSeconds: backtest?.seconds ?? null,
      workerRssMb: pipeline.workerRssMb,
      redisMemoryMb: pipeline.redisMemoryMb,
    };
    // The soak runs on its own (`--soak`); its last figures are kept.
    const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { soak?: unknown }) : {};
    writeFileSync(RESULTS, `${JSON.stringify({ ...results, ...(previous.soak ? { soak: previous.soak } : {}) }, null, 2)}\n`);
    const s = pipeline.executionSplit;
    const lines = [
      header,
      row('tick → order acked (pipeline)', pipeline.tickToOrder),
      row('  tick → analysis pass starts', pipeline.stages.toAnalysis),
      row('  pass → order job (books, risk)', pipeline.stages.analysisAndRisk),
      row('  order request → venue ack', pipeline.stages.execution),
      row('    request → job added (risk)', s.toQueue),
      row('    job added → taken (hop, wait behind jobs)', s.queueWait),
      row('    job taken → venue ack', s.jobToAck),
      row('    one order job, whole', s.jobLength),
      row('execution alone, one order at a time: place', exec.steps.place),
      row('  sign (client + EIP-712 + hash)', exec.steps.sign),
      row('  persist (one store commit)', exec.steps.persist),
      row('  post (client, HTTP, venue checks)', exec.steps.post),
      row('  reconcile after the answer', exec.steps.reconcile),
      row('floor: EIP-712 signature alone', f.eip712Sign),
      row('floor: signature verification alone', f.eip712Verify),
      row('floor: one durable write (fsync)', f.durableWrite),
      ...Object.entries(floors).map(([k, v]) => row(`BullMQ 3-hop floor @ ${k}`, v)),
      row('Redis round trip', redisRttMs),
      '',
      `pipeline ticks/s ${pipeline.ticksPerSec}, orders/s ${pipeline.ordersPerSec}; tick → ack p50 ${ratio.p50VsFloor}× and p99 ${ratio.p99VsFloor}× the BullMQ floor (goal ≤ 2×: ${goals.tickToOrderWithin2xFloor ? 'met' : 'not met'})`,
      `floor with signing, verification and one durable write: p50 ${ownFloor.p50Ms} ms, p99 ${ownFloor.p99Ms} ms; tick → ack is ${ratio.p50VsFloorWithSigning}× and ${ratio.p99VsFloorWithSigning}× that`,
      `analysis throughput (backlog ${scaling.backlogJobs} jobs, ${results.analysisThroughput.secondsOfWorkForOne} s for one process): ${scaling.runs.map((r) => `${r.workers} → ${r.perSec}/s (analysis ${r.analysisCores} cores, Redis ${r.redisCores}, whole machine ${r.machineCores})`).join('; ')}; 1 → 2 ${results.analysisThroughput.scaling}× (goal ≥ 1.6: ${goals.analysisScaling1to2AtLeast1_6 ? 'met' : 'not met'}), 1 → 4 ${results.analysisThroughput.scaling4}×; ceiling on ${os.cpus().length} cores at one job's CPU: ${results.analysisThroughput.ceilingOnThisMachine}×`,
      `pricing: ${pricing.evalsPerSec.toLocaleString('en')} evaluations/s on one core`,
      `strategy pass (one market: model, book walks, toxicity, arbitrage): ${pass.passesPerSec.toLocaleString('en')} passes/s, ${results.strategyPassMicros} µs each`,
      `backtest: ${backtest === null ? 'not available in this build' : `${backtest.bars.toLocaleString('en')} one-minute bars (a year) in ${backtest.seconds} s, ${backtest.barsPerSec.toLocaleString('en')} bars/s`}`,
      `worker RSS (MB, start → end): ${Object.entries(pipeline.workerRssMb)
        .map(([k, v]) => `${k} ${v.start}→${v.end}`)
        .join(', ')}`,
      `Redis used memory (MB): ${pipeline.redisMemoryMb.start} → ${pipeline.redisMemoryMb.end}`,
      `load average (1 min) at the end: ${results.machine.loadAvg1m} on ${results.machine.cpus} cores`,
      `written to ${RESULTS}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await redis.stop();
  }
}

async function main(): Promise<void> {
  // `polybot bench` passes its options as `--soak=10`; by hand `--soak 10` works too.
  const args = ArgsSchema.safeParse(
    process.argv.slice(2).flatMap((a) => (/^--[a-z]+=/.test(a) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a])),
  );
  if (!args.success) {
    process.stderr.write('usage: pnpm bench [--soak <minutes> | --only exec]\n');
    process.exit(2);
  }
  if (args.data.soakMinutes !== null) await runSoak(args.data.soakMinutes);
  else if (args.data.only === 'exec') await runExecOnly();
  else await runAll();
}

main().catch((err: unknown) => {
  process.stderr.write(`pnpm bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
