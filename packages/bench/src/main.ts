/**
 * `pnpm bench`: measured, not asserted. Prints a table and writes bench-results.json at the repo root.
 */
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnRedisServer } from '@polybot/shared/redisServer';
import { benchBacktest } from '@polybot/backtest';
import { benchPricing, benchStrategyPass, loadBars, minuteCloses } from '@polybot/strategy';
import { bullmqFloor, redisRtt } from './floor.js';
import { analysisThroughput, runPipeline } from './pipeline.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** A year of one-minute bars (the shipped FTX month repeated) through the backtest. */
async function backtestYear(): Promise<{ barsPerSec: number; bars: number; seconds: number } | null> {
  const file = path.resolve(ROOT, 'data/btc-1m/ftx_btc-perp_1m_2021-12-31_2022-02-01.csv.gz');
  if (!existsSync(file)) return null;
  const closes = minuteCloses(loadBars(file)).closes;
  return benchBacktest(closes, 1);
}

async function main(): Promise<void> {
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
    const floors: Record<string, unknown> = { [`${rate}/s`]: floorSame };
    for (const r of [50, 200]) floors[`${r}/s`] = await bullmqFloor(redis.url, `{bench-floor-${r}}`, r, r * 10);
    log('analysis throughput with 1 and 2 processes…');
    const workers1 = await analysisThroughput(redis.url, '{bench-a1}', 1, 3_000);
    const workers2 = await analysisThroughput(redis.url, '{bench-a2}', 2, 3_000);
    log('backtest…');
    const backtest = await backtestYear();
    const results = {
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      tickToOrder: pipeline.tickToOrder,
      tickToOrderStages: pipeline.stages,
      pipelineTicksPerSec: pipeline.ticksPerSec,
      pipelineOrdersPerSec: pipeline.ordersPerSec,
      bullmqFloor: floorSame,
      bullmqFloorByRate: floors,
      redisRttMs,
      ratio: {
        p50VsFloor: Math.round((pipeline.tickToOrder.p50Ms / floorSame.p50Ms) * 100) / 100,
        p99VsFloor: Math.round((pipeline.tickToOrder.p99Ms / floorSame.p99Ms) * 100) / 100,
        p50VsRedisRtt: Math.round((pipeline.tickToOrder.p50Ms / redisRttMs.p50Ms) * 10) / 10,
      },
      analysisThroughput: { workers1, workers2, scaling: Math.round((workers2 / workers1) * 100) / 100 },
      pricingEvalsPerSec: pricing.evalsPerSec,
      strategyPassesPerSec: pass.passesPerSec,
      strategyPassMicros: Math.round((1e6 / pass.passesPerSec) * 10) / 10,
      backtestBarsPerSec: backtest?.barsPerSec ?? null,
      backtestYearSeconds: backtest?.seconds ?? null,
      workerRssMb: pipeline.workerRssMb,
      redisMemoryMb: pipeline.redisMemoryMb,
    };
    writeFileSync(path.join(ROOT, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
    const row = (name: string, p: { p50Ms: number; p90Ms: number; p99Ms: number; samples: number }) =>
      `${name.padEnd(34)} ${String(p.p50Ms).padStart(8)} ${String(p.p90Ms).padStart(8)} ${String(p.p99Ms).padStart(8)} ${String(p.samples).padStart(7)}`;
    const lines = [
      `${'latency (ms)'.padEnd(34)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'samples'.padStart(7)}`,
      row('tick → order acked (pipeline)', pipeline.tickToOrder),
      row('  tick → analysis pass starts', pipeline.stages.toAnalysis),
      row('  pass → order job (books, risk)', pipeline.stages.analysisAndRisk),
      row('  order job → venue ack (sign, post)', pipeline.stages.execution),
      ...Object.entries(floors).map(([k, v]) => row(`BullMQ 3-hop floor @ ${k}`, v as never)),
      row('Redis round trip', redisRttMs),
      '',
      `pipeline ticks/s ${pipeline.ticksPerSec}, orders/s ${pipeline.ordersPerSec}; p50 ${results.ratio.p50VsFloor}× floor, p99 ${results.ratio.p99VsFloor}× floor`,
      `analysis throughput: 1 process ${workers1}/s, 2 processes ${workers2}/s (${results.analysisThroughput.scaling}×)`,
      `pricing: ${pricing.evalsPerSec.toLocaleString('en')} evaluations/s on one core`,
      `strategy pass (one market: model, book walks, toxicity, arbitrage): ${pass.passesPerSec.toLocaleString('en')} passes/s, ${results.strategyPassMicros} µs each`,
      `backtest: ${backtest === null ? 'not available in this build' : `${backtest.bars.toLocaleString('en')} one-minute bars (a year) in ${backtest.seconds} s, ${backtest.barsPerSec.toLocaleString('en')} bars/s`}`,
      `worker RSS (MB, start → end): ${Object.entries(pipeline.workerRssMb)
        .map(([k, v]) => `${k} ${v.start}→${v.end}`)
        .join(', ')}`,
      `Redis used memory (MB): ${pipeline.redisMemoryMb.start} → ${pipeline.redisMemoryMb.end}`,
      `written to ${path.join(ROOT, 'bench-results.json')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`pnpm bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
