/**
 * End to end: the workers as separate processes (compiled JavaScript, as in production) against the
 * sim venue and a real Redis. Passes only when the venue accepted and filled orders that the bot
 * placed, and the order store (orders.db) records each of them exactly once with the venue's fills.
 *
 * `POLYBOT_E2E_REDIS=cluster` (`pnpm test:cluster`) runs the same test on a local three-node Redis
 * Cluster that it starts itself (`redis-server --cluster-enabled yes` × 3, `redis-cli --cluster create`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readOrders } from '@polybot/execution/store';
import { createRedisClient, scanKeys } from '@polybot/shared/redis';
import { freePort, spawnRedisCluster, type SpawnedCluster } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { Stack, waitForHttp } from './stack.js';

const SimOrdersSchema = z.object({
  orders: z.array(z.object({ id: z.string(), status: z.string(), sizeMatched: z.union([z.number(), z.string()]) }).passthrough()),
});

let stack: Stack;
let dataDir: string;
let venueUrl: string;
const lines: string[] = [];
const metricsPorts: Record<string, number> = {};
const onCluster = process.env.POLYBOT_E2E_REDIS === 'cluster';
let cluster: SpawnedCluster | null = null;
const prefix = testPrefix('e2e');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-e2e-'));
  const venuePort = await freePort();
  venueUrl = `http://127.0.0.1:${venuePort}`;
  if (onCluster) cluster = await spawnRedisCluster(3);
  stack = new Stack({
    env: {
      REDIS_URL: cluster?.url ?? testRedisUrl(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_DATA_DIR: dataDir,
      POLYBOT_VENUE: 'sim',
      SIM_VENUE_PORT: String(venuePort),
      SIM_WINDOW_SECONDS: '60',
      SIM_SEED: '7',
      LOG_LEVEL: 'info',
      POLYBOT_METRICS_PORT: '0',
    },
    logDir: path.join(dataDir, 'logs'),
    restart: false,
    onLine: (name, line) => lines.push(`${name} ${line}`),
  });
  stack.add({ kind: 'sim-venue', index: 0, env: {} });
  await waitForHttp(`${venueUrl}/healthz`, 20_000);
  for (const kind of ['execution', 'risk', 'analysis', 'discovery'] as const) {
    metricsPorts[kind] = await freePort();
    stack.add({ kind, index: 0, env: { POLYBOT_METRICS_PORT: String(metricsPorts[kind]) } });
  }
  // The dashboard too: its /metrics (queue depths) is scraped like the others'.
  metricsPorts.dashboard = await freePort();
  stack.add({
    kind: 'dashboard',
    index: 0,
    env: {
      POLYBOT_METRICS_PORT: String(metricsPorts.dashboard),
      POLYBOT_DASHBOARD_PORT: String(await freePort()),
      POLYBOT_DASHBOARD_USER: 'polybot',
      POLYBOT_DASHBOARD_PASSWORD: 'e2e-dashboard-password',
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop(10_000);
  await cluster?.stop();
});

/** The venue first: execution persists an order before posting it, so anything the venue has is already on disk. */
async function snapshot() {
  const res = await fetch(`${venueUrl}/sim/orders`);
  const venue = SimOrdersSchema.parse(await res.json()).orders;
  const file = path.join(dataDir, 'orders.db');
  const local = existsSync(file) ? readOrders(file) : [];
  return { local, venue };
}

describe('the stack trades end to end on the sim venue', () => {
  it('places orders the venue fills, and records each exactly once in the order store', async () => {
    const deadline = Date.now() + 170_000;
    let snap = await snapshot();
    while (Date.now() < deadline) {
      snap = await snapshot();
      const filled = snap.local.filter((o) => o.filledSize > 0);
      if (filled.length >= 1) break;
      const crashed = stack.procs.filter((p) => p.child === null).map((p) => p.name);
      if (crashed.length) throw new Error(`processes exited: ${crashed.join(', ')}\n${lines.slice(-40).join('\n')}`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const filled = snap.local.filter((o) => o.filledSize > 0);
    if (filled.length === 0) throw new Error(`no filled order within the time limit; last log lines:\n${lines.slice(-60).join('\n')}`);

    // Every order the bot recorded is at the venue exactly once, and vice versa.
    const localIds = snap.local.map((o) => o.venueOrderId).filter((id): id is string => id !== null);
    expect(new Set(localIds).size).toBe(localIds.length);
    const venueIds = snap.venue.map((o) => o.id);
    expect(new Set(venueIds).size).toBe(venueIds.length);
    for (const id of venueIds) expect(localIds).toContain(id);

    // Fills recorded by the bot agree with the venue's matched size and never exceed the order.
    for (const o of filled) {
      const v = snap.venue.find((x) => x.id === o.venueOrderId);
      expect(v, `order ${o.venueOrderId} missing at the venue`).toBeDefined();
      expect(o.filledSize).toBeLessThanOrEqual(o.request.size + 1e-9);
      expect(Number(v!.sizeMatched)).toBeGreaterThan(0);
      expect(o.history.length).toBeGreaterThan(1);
    }
  }, 200_000);

  it('exposes health and the named metrics on every worker, and they moved while it traded', async () => {
    const scrape = async (kind: string) => (await fetch(`http://127.0.0.1:${metricsPorts[kind]}/metrics`)).text();
    const value = (text: string, series: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(series))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    for (const kind of Object.keys(metricsPorts)) {
      const h = await fetch(`http://127.0.0.1:${metricsPorts[kind]}/healthz`);
      expect(h.status, kind).toBe(200);
    }
    expect(value(await scrape('analysis'), 'polybot_markets_priced_total')).toBeGreaterThan(0);
    expect(value(await scrape('analysis'), 'polybot_jobs_processed_total{queue="markets"}')).toBeGreaterThan(0);
    expect(value(await scrape('risk'), 'polybot_signals_accepted_total')).toBeGreaterThan(0);
    const exec = await scrape('execution');
    expect(value(exec, 'polybot_fills_total')).toBeGreaterThan(0);
    expect(value(exec, 'polybot_fees_usd_total')).toBeGreaterThan(0);
    expect(exec).toMatch(/polybot_orders\{state="filled"\}/);
    expect(exec).toMatch(/polybot_stage_latency_seconds_bucket/);
  });

  // promtool on what each running worker really serves (labels, histograms with observations),
  // beside monitoring.test.ts's check of the definitions in-process.
  it('every worker’s live /metrics passes promtool check metrics (prom-client’s nodejs_active_* aside), no doubled prefix', async (ctx) => {
    const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).status === 0;
    const reason = 'promtool is not installed (Debian: apt-get install prometheus; ./polybot test installs it)';
    if (!promtool && process.env.CI) throw new Error(`${reason}, and CI must run this check`);
    if (!promtool) return ctx.skip(reason);
    const check = (text: string) => {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/nodejs_active_/.test(l));
    };
    // The check is live: a counter without its _total suffix is refused.
    expect(check('# HELP polybot_bad a counter\n# TYPE polybot_bad counter\npolybot_bad 1\n').join(' ')).toMatch(/should have "_total" suffix/);
    expect(Object.keys(metricsPorts).sort()).toEqual(['analysis', 'dashboard', 'discovery', 'execution', 'risk']);
    for (const kind of Object.keys(metricsPorts)) {
      const res = await fetch(`http://127.0.0.1:${metricsPorts[kind]}/metrics`);
      expect(res.status, kind).toBe(200);
      const text = await res.text();
      expect(text, kind).toMatch(/^polybot_process_cpu_seconds_total /m);
      expect(text, kind).not.toMatch(/polybot_process_process_/);
      expect(check(text), `${kind}: promtool check metrics`).toEqual([]);
    }
  });

  it.runIf(onCluster)('kept its queues and keys on the Cluster', async () => {
    const redis = createRedisClient(cluster!.url);
    const keys = await scanKeys(redis, `${prefix}:*`);
    await redis.quit();
    expect(keys.some((k) => k.startsWith(`${prefix}:orders:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${prefix}:workers:execution:`))).toBe(true);
  });
});
