/**
 * The execution worker as a real process: corrupt records stop it untouched, live mode refuses to
 * start unconfirmed and never prints its key, and SIGKILLs at random moments lose or duplicate nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type OrderRequest } from '@polybot/shared';
import { Producer } from '@polybot/shared/queues';
import { createRedis, type Redis } from '@polybot/shared/redis';
import { testPrefix } from '@polybot/shared/testing/redis';
import { testRedisUrl } from '@polybot/shared/testing/vitest';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { canTransition } from './orderStateMachine.js';
import { readOrders } from './sqliteStore.js';
import { openSimMarkets } from './testing/simMarkets.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/dist/worker.js');
const baseEnv = () => ({ PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), LOG_LEVEL: 'info', POLYBOT_METRICS_PORT: '0' });

function runSync(env: Record<string, string>) {
  return spawnSync(process.execPath, [WORKER, 'execution'], { env, encoding: 'utf8', timeout: 30_000 });
}

describe('start-up refusals', () => {
  it('stops on a corrupt orders.json with a clear message and leaves it untouched', () => {
    for (const body of ['{"version": 1, "orders": [', '{"version": 1, "orders": "nope"}']) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-corrupt-'));
      const file = path.join(dir, 'orders.json');
      writeFileSync(file, body);
      const before = statSync(file).mtimeMs;
      const r = runSync({ ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('corrupt'), POLYBOT_CLOB_URL: 'http://127.0.0.1:1' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/orders\.json/);
      expect(r.stderr).toMatch(/left untouched/);
      expect(readFileSync(file, 'utf8')).toBe(body);
      expect(statSync(file).mtimeMs).toBe(before);
    }
  });

  it('stops on a corrupt orders.db with a clear message and leaves it untouched', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-corrupt-db-'));
    const file = path.join(dir, 'orders.db');
    const body = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 7)]);
    writeFileSync(file, body);
    const r = runSync({ ...baseEnv(), POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('corrupt-db'), POLYBOT_CLOB_URL: 'http://127.0.0.1:1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/orders\.db cannot be read as the order store/);
    expect(r.stderr).toMatch(/left untouched/);
    expect(readFileSync(file).equals(body)).toBe(true);
  });

  it('refuses live trading without its confirmation, naming POLYBOT_LIVE', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-live-'));
    const r = runSync({ ...baseEnv(), POLYBOT_VENUE: 'live', POLYBOT_DATA_DIR: dir, POLYBOT_QUEUE_PREFIX: testPrefix('live') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/POLYBOT_LIVE/);
    expect(existsSync(path.join(dir, 'orders.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'orders.db'))).toBe(false);
  });

  it('never prints the private key, whatever happens after start', () => {
    const key = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-key-'));
    for (const extra of [
      { POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY', POLYBOT_PRIVATE_KEY: key },
      { POLYBOT_LIVE: 'yes', POLYBOT_PRIVATE_KEY: key },
      { POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY', POLYBOT_PRIVATE_KEY: `0x${key}zz` },
    ]) {
      const r = runSync({
        ...baseEnv(),
        ...extra,
        POLYBOT_VENUE: 'live',
        POLYBOT_DATA_DIR: dir,
        POLYBOT_QUEUE_PREFIX: testPrefix('key'),
        POLYBOT_CLOB_URL: 'http://127.0.0.1:1',
        EXEC_VENUE_TIMEOUT_MS: '1000',
      });
      expect(r.status).not.toBe(0);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(out.length).toBeGreaterThan(0);
      expect(out).not.toContain(key);
      expect(out.toLowerCase()).not.toContain(key.slice(0, 24));
    }
  });
});

/** Resolves when `pattern` shows in the child's output (stdout or stderr), or rejects after `ms`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output was:\n${seen.slice(-2000)}`)), ms);
    const on = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

describe('one owner, and paper', () => {
  let venue: SimVenue;
  let redis: Redis;
  beforeAll(async () => {
    venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC'], seed: 9, misprice: 0 });
    redis = createRedis(testRedisUrl());
  });
  afterAll(async () => {
    await venue?.close();
    await redis?.quit();
  });

  it('a second execution process waits for the lease, or exits saying who holds it', async () => {
    const prefix = testPrefix('lease');
    const env = { ...baseEnv(), POLYBOT_QUEUE_PREFIX: prefix, POLYBOT_CLOB_URL: venue.url, EXEC_LEASE_TTL_MS: '2000' };
    const a = spawn(process.execPath, [WORKER, 'execution'], { env: { ...env, POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-lease-a-')) } });
    try {
      await waitForOutput(a, /execution running/, 20_000);
      const impatient = runSync({ ...env, POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-lease-b-')), EXEC_LEASE_WAIT_MS: '1500' });
      expect(impatient.status).toBe(1);
      expect(impatient.stderr).toMatch(/holds the lease; only one may run/);
      const patient = spawn(process.execPath, [WORKER, 'execution'], {
        env: { ...env, POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-lease-c-')), EXEC_LEASE_WAIT_MS: '20000' },
      });
      try {
        await waitForOutput(patient, /waiting for the execution lease/, 10_000);
        a.kill('SIGKILL'); // the owner dies without releasing: the lease runs out and the waiter takes over
        await waitForOutput(patient, /execution running/, 15_000);
      } finally {
        patient.kill('SIGTERM');
        await new Promise((res) => patient.once('exit', res));
      }
    } finally {
      a.kill('SIGKILL');
    }
  }, 60_000);

  it('a full start-up with a key (live mode, pointed at the local sim venue, no order sent) never prints the key', async () => {
    const key = '8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-key-run-'));
    // The account's deposit wallet, as polymarket.com shows it (here: the sim's sign-up).
    const eoa = privateKeyToAccount(`0x${key}`).address;
    const { wallet } = (await (await fetch(`${venue.url}/sim/users/${eoa}`)).json()) as { wallet: string };
    // Its Relayer API key (made in the Polymarket app; here the sim's): live sends redemptions and merges through it.
    const { apiKey } = (await (await fetch(`${venue.url}/sim/relayer-keys`, { method: 'POST', body: JSON.stringify({ address: eoa }) })).json()) as {
      apiKey: string;
    };
    const child = spawn(process.execPath, [WORKER, 'execution'], {
      env: {
        ...baseEnv(),
        LOG_LEVEL: 'debug',
        POLYBOT_RELAYER_API_KEY: apiKey,
        POLYBOT_RELAYER_API_KEY_ADDRESS: eoa,
        POLYBOT_VENUE: 'live',
        POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY',
        POLYBOT_PRIVATE_KEY: key,
        POLYBOT_SIGNATURE_TYPE: '3',
        POLYBOT_FUNDER_ADDRESS: wallet,
        POLYBOT_DATA_DIR: dir,
        POLYBOT_QUEUE_PREFIX: testPrefix('keyrun'),
        POLYBOT_CLOB_URL: venue.url,
        // Live start runs preflight: every host it asks is the local sim (nothing leaves the machine).
        POLYBOT_GAMMA_URL: venue.url,
        POLYBOT_RELAYER_URL: venue.url,
        POLYBOT_GEOBLOCK_URL: venue.url,
        POLYBOT_ASSETS: 'BTC',
        POLYBOT_INTERVAL_SECONDS: '600',
      },
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitForOutput(child, /execution running/, 20_000);
      expect(out).toMatch(/preflight: all 11 checks passed/);
      expect(out).toMatch(/collateral check passed/);
    } finally {
      // A child that already exited (a refused start) fires no second 'exit': do not wait for one.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((res) => child.once('exit', res));
      }
    }
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain(key);
    expect(out).not.toContain(key.slice(0, 20));
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8')).not.toContain(key.slice(0, 20));
  }, 40_000);

  it('live refuses a wallet setup the venue would refuse, and says what to configure (exit 2)', async () => {
    const base = {
      ...baseEnv(),
      POLYBOT_VENUE: 'live',
      POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY',
      POLYBOT_PRIVATE_KEY: '7da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f',
      POLYBOT_CLOB_URL: venue.url,
    };
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [WORKER, 'execution'], {
          env: { ...base, ...env, POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-wallet-')), POLYBOT_QUEUE_PREFIX: testPrefix('wallet') },
        });
        let out = '';
        child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const none = await run({});
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/set POLYBOT_SIGNATURE_TYPE: 3 for a deposit wallet/);
    const noFunder = await run({ POLYBOT_SIGNATURE_TYPE: '3' });
    expect(noFunder.code).toBe(2);
    expect(noFunder.out).toMatch(/needs POLYBOT_FUNDER_ADDRESS/);
  }, 40_000);

  it('live refuses an account polybot could never redeem from (no Relayer API key) unless told the redemptions are manual', async () => {
    const key = '6da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f';
    const eoa = privateKeyToAccount(`0x${key}`).address;
    const { wallet } = (await (await fetch(`${venue.url}/sim/users/${eoa}`)).json()) as { wallet: string };
    const env = {
      ...baseEnv(),
      POLYBOT_VENUE: 'live',
      POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY',
      POLYBOT_PRIVATE_KEY: key,
      POLYBOT_SIGNATURE_TYPE: '3',
      POLYBOT_FUNDER_ADDRESS: wallet,
      POLYBOT_CLOB_URL: venue.url,
      POLYBOT_GAMMA_URL: venue.url,
      POLYBOT_RELAYER_URL: venue.url,
      POLYBOT_GEOBLOCK_URL: venue.url,
      POLYBOT_ASSETS: 'BTC',
      POLYBOT_INTERVAL_SECONDS: '600',
    };
    const start = (extra: Record<string, string>) => {
      const child = spawn(process.execPath, [WORKER, 'execution'], {
        env: { ...env, ...extra, POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-relayer-')), POLYBOT_QUEUE_PREFIX: testPrefix('relayer') },
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      return { child, out: () => out };
    };
    const refused = start({});
    const code = await new Promise((res) => refused.child.once('exit', res));
    expect(code).toBe(2);
    expect(refused.out()).toMatch(/live trading refused: no Relayer API key.*would never redeem.*POLYBOT_MANUAL_REDEEM=true/s);
    const manual = start({ POLYBOT_MANUAL_REDEEM: 'true' });
    try {
      await waitForOutput(manual.child, /execution running/, 20_000);
    } finally {
      if (manual.child.exitCode === null && manual.child.signalCode === null) {
        manual.child.kill('SIGTERM');
        await new Promise((res) => manual.child.once('exit', res));
      }
    }
  }, 40_000);

  it('stops at once when another process has taken its lease', async () => {
    const prefix = testPrefix('lease-lost');
    const env = {
      ...baseEnv(),
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_CLOB_URL: venue.url,
      EXEC_LEASE_TTL_MS: '2000',
      POLYBOT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'polybot-lease-d-')),
    };
    const a = spawn(process.execPath, [WORKER, 'execution'], { env });
    try {
      await waitForOutput(a, /execution running/, 20_000);
      await redis.set(redisKeys(prefix).executionLease, 'someone-else', 'PX', 60_000);
      const code = await new Promise((res) => a.once('exit', res));
      expect(code).toBe(1);
    } finally {
      a.kill('SIGKILL');
    }
  }, 30_000);

  it('paper trades on the real books of the venue without ever sending it an order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-paper-w-'));
    const prefix = testPrefix('paper');
    const before = ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: unknown[] }).orders.length;
    const child = spawn(process.execPath, [WORKER, 'execution'], {
      env: {
        ...baseEnv(),
        POLYBOT_VENUE: 'paper',
        POLYBOT_DATA_DIR: dir,
        POLYBOT_QUEUE_PREFIX: prefix,
        POLYBOT_CLOB_URL: venue.url,
        EXEC_PAPER_TAKER_DELAY_MS: '50',
        EXEC_PAPER_CONFIRM_MS: '200',
        EXEC_POLL_MS: '300',
      },
    });
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    try {
      await waitForOutput(child, /execution running/, 20_000);
      const m = openSimMarkets(venue, 30_000)[0]!;
      const ask = venue.state.exchange.books.get(m.upToken)!.asks[0]!;
      const r: OrderRequest = {
        id: 'sig-paper-1',
        signalId: 'sig-paper-1',
        createdAtMs: Date.now(),
        conditionId: m.conditionId as `0x${string}`,
        asset: 'BTC',
        outcome: 'UP',
        // Three ticks above the ask read here: the maker requotes every second, and a FAK at exactly
        // that ask was killed unfilled when the ask moved up before the worker's paper venue matched it.
        tokenId: m.upToken,
        side: 'BUY',
        orderType: 'FAK',
        postOnly: false,
        price: Math.min(0.99, Number((ask.price + 0.03).toFixed(2))),
        size: 5,
        windowEndMs: m.endMs,
        tickSize: 0.01,
        minOrderSize: 5,
        negRisk: false,
        feeRate: 0.07,
        sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
      };
      await orders.add(r, r.id);
      let o = undefined as ReturnType<typeof readOrders>[number] | undefined;
      for (let i = 0; i < 40 && !(o && o.fills.length && o.fills.every((f) => f.status === 'CONFIRMED')); i++) {
        await new Promise((res) => setTimeout(res, 250));
        o = readOrders(path.join(dir, 'orders.db')).find((x) => x.request.id === r.id);
      }
      expect(o?.filledSize).toBeGreaterThan(0);
      expect(o!.fills.every((f) => f.status === 'CONFIRMED' && f.fee > 0)).toBe(true);
      expect(existsSync(path.join(dir, 'paper-venue.json'))).toBe(true);
      expect(existsSync(path.join(dir, 'sim-key.json'))).toBe(false); // paper signs nothing
      const after = ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: unknown[] }).orders.length;
      expect(after).toBe(before);
    } finally {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
      await orders.close();
    }
  }, 60_000);
});

describe('SIGKILL at random moments', () => {
  let venue: SimVenue;
  let redis: Redis;
  beforeAll(async () => {
    venue = await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC', 'ETH'], seed: 5, misprice: 0 });
    redis = createRedis(testRedisUrl());
  });
  afterAll(async () => {
    await venue?.close();
    await redis?.quit();
  });

  it('finds every order exactly once at the venue and in the order store, with the same fills', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-kill-'));
    const prefix = testPrefix('kill');
    const env = {
      ...baseEnv(),
      POLYBOT_DATA_DIR: dir,
      POLYBOT_QUEUE_PREFIX: prefix,
      POLYBOT_CLOB_URL: venue.url,
      EXEC_LEASE_TTL_MS: '2000',
      EXEC_LEASE_WAIT_MS: '20000',
      EXEC_POLL_MS: '300',
    };
    const orders = new Producer('orders', { connection: redis, prefix, logger: pino({ level: 'silent' }) });
    const loopMs = Number(process.env.KILL_LOOP_MS ?? 10_000);
    const minKills = 8;
    // Markets that stay open for the whole test (the loop, the drain, the 5 s cancel before the end).
    const markets = openSimMarkets(venue, loopMs + 75_000);
    let child: ChildProcess | null = null;
    let output = ''; // the current process's
    const start = () => {
      output = '';
      child = spawn(process.execPath, [WORKER, 'execution'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      // Always drained, so a full pipe never blocks the process; waitForOutput listens alongside.
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    };
    start();
    let kills = 0;
    let sent = 0;
    let recordedDuringLoop = 0;
    const deadline = Date.now() + loopMs;
    while (kills < minKills || Date.now() < deadline) {
      // Kill a process that holds the lease and works, not one still starting: every other one at a
      // random moment of its recovery or placing, the others once they have placed an order (so
      // orders are placed by processes that get killed, however slow the machine).
      await waitForOutput(child!, /recovering from the order store/, 20_000);
      const placed = kills % 2 === 1 ? waitForOutput(child!, /order job done/, 20_000) : null;
      for (let i = 0; i < 5; i++) {
        const m = markets[sent % markets.length]!;
        const up = sent % 2 === 0;
        const token = up ? m.upToken : m.downToken;
        const book = venue.state.exchange.books.get(token)!;
        const id = `sig-kill-${sent}`;
        const r: OrderRequest = {
          id,
          signalId: id,
          createdAtMs: Date.now(),
          conditionId: m.conditionId as `0x${string}`,
          asset: m.asset,
          outcome: up ? 'UP' : 'DOWN',
          tokenId: token,
          side: 'BUY',
          orderType: sent % 3 === 0 ? 'GTC' : 'FAK',
          postOnly: false,
          price: book.asks[0]!.price,
          size: Math.max(5, Math.ceil(1.5 / book.asks[0]!.price)),
          windowEndMs: m.endMs,
          tickSize: 0.01,
          minOrderSize: 5,
          negRisk: false,
          feeRate: 0.07,
          sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
        };
        await orders.add(r, id);
        if (sent % 4 === 0) await orders.add(r, `${id}-dup`).catch(() => undefined); // a re-sent job under another id
        sent++;
      }
      if (placed) await placed;
      await new Promise((res) => setTimeout(res, Math.random() * (placed ? 500 : 1_500)));
      child!.kill('SIGKILL');
      kills++;
      await new Promise((res) => child!.once('exit', res));
      // The dead owner's lease would block the next process for its TTL (2 s), longer than most
      // lives here: then no process but the last would ever place an order. It is dead: drop it.
      await redis.del(redisKeys(prefix).executionLease);
      start();
    }
    if (existsSync(path.join(dir, 'orders.db'))) recordedDuringLoop = readOrders(path.join(dir, 'orders.db')).length;
    // Let the last process recover and drain. It must have finished its recovery: a SIGTERM before
    // that stops it without the cancel and the re-read, and the store keeps what the last killed
    // process knew (an order open with no fill that the venue has since filled).
    const settle = Date.now() + 30_000;
    let local: ReturnType<typeof readOrders>;
    do {
      await new Promise((res) => setTimeout(res, 1_000));
      local = readOrders(path.join(dir, 'orders.db'));
      // Jobs a killed process held stay active (never re-run); the live process's job finishes on SIGTERM.
      const waiting = await orders.queue.getJobCountByTypes('waiting', 'delayed');
      if (/execution running/.test(output) && waiting === 0 && local.every((o) => o.state !== 'submitted')) break;
    } while (Date.now() < settle);
    expect(output).toMatch(/execution running/); // the last process recovered within the drain's 30 s
    child!.kill('SIGTERM');
    await new Promise((res) => child!.once('exit', res));
    // Every signal is accounted for: recorded, or its job was in the hands of a process we killed
    // before it recorded anything (it stays active until BullMQ sees it stalled, and is never re-run).
    const recordedIds = new Set(readOrders(path.join(dir, 'orders.db')).map((o) => o.request.id));
    const counts = await orders.queue.getJobCounts();
    const dropped: string[] = [];
    for (let i = 0; i < sent; i++) {
      const id = `sig-kill-${i}`;
      if (recordedIds.has(id)) continue;
      dropped.push(`${id}:${await orders.queue.getJobState(id)}`);
    }
    await orders.close();
    process.stderr.write(
      `[kill loop] kills=${kills} recordedDuringLoop=${recordedDuringLoop}/${sent} jobs ${JSON.stringify(counts)} dropped by a kill before recording: ${JSON.stringify(dropped)}\n`,
    );
    expect(counts.waiting).toBe(0);
    for (const d of dropped) expect(d).toMatch(/:(active|failed)$/);
    expect(dropped.length).toBeLessThanOrEqual(kills);

    type SimOrder = { id: string; status: string; originalSize: number; sizeMatched: number; fills: Array<{ tradeId: string; size: number; status: string }> };
    const venueOrders = ((await (await fetch(`${venue.url}/sim/orders`)).json()) as { orders: SimOrder[] }).orders;
    local = readOrders(path.join(dir, 'orders.db'));
    const ids = local.map((o) => o.request.id);
    expect(new Set(ids).size).toBe(ids.length); // one record per signal
    const hashes = local.map((o) => o.venueOrderId);
    for (const v of venueOrders) expect(hashes.filter((h) => h === v.id)).toHaveLength(1); // venue → local exactly once
    expect(venueOrders.length).toBeLessThanOrEqual(sent); // never two orders for a signal
    for (const o of local) {
      const v = venueOrders.find((x) => x.id === o.venueOrderId);
      if (!v) {
        expect(['expired', 'rejected', 'canceled']).toContain(o.state); // never reached the venue
        continue;
      }
      expect(o.filledSize).toBeCloseTo(v.sizeMatched, 6);
      expect(o.filledSize).toBeLessThanOrEqual(o.request.size + 1e-9);
      // The same trades, once each, at the same sizes.
      const venueFills = v.fills
        .filter((f) => f.status !== 'FAILED')
        .map((f) => `${f.tradeId}:${f.size}`)
        .sort();
      const localFills = o.fills
        .filter((f) => f.status !== 'FAILED')
        .map((f) => `${f.tradeId}:${f.size}`)
        .sort();
      expect(localFills).toEqual(venueFills);
      // The same state, read the venue's way (status by prefix).
      const full = v.sizeMatched >= v.originalSize - 1e-9;
      if (v.status.startsWith('LIVE')) expect(['open', 'partially_filled', 'cancel_requested']).toContain(o.state);
      else if (full) expect(o.state).toBe('filled');
      else if (v.status.startsWith('CANCELED')) expect(o.state).toBe('canceled');
      // Every transition recorded is one the table allows.
      for (let i = 1; i < o.history.length; i++) expect(canTransition(o.history[i - 1]!.to, o.history[i]!.to)).toBe(true);
    }
    expect(local.filter((o) => o.state === 'submitted')).toEqual([]); // nothing left in flight
    // The throwaway key signs every order and appears in none of the records.
    const simKey = (JSON.parse(readFileSync(path.join(dir, 'sim-key.json'), 'utf8')) as { privateKey: string }).privateKey;
    expect(readFileSync(path.join(dir, 'orders.db')).toString('latin1')).not.toContain(simKey.replace(/^0x/, ''));
    expect(recordedDuringLoop).toBeGreaterThanOrEqual(minKills / 2); // placed by processes that were then killed
    const states: Record<string, number> = {};
    for (const o of local) states[o.state] = (states[o.state] ?? 0) + 1;
    const refusals = local.filter((o) => o.state === 'rejected').map((o) => o.history.at(-1)?.note ?? '');
    process.stderr.write(
      `[kill loop] kills=${kills} signals=${sent} recordedDuringLoop=${recordedDuringLoop} venueOrders=${venueOrders.length} recorded=${local.length} states=${JSON.stringify(states)} refused=${JSON.stringify(refusals.slice(0, 3))}\n`,
    );
    expect(local.filter((o) => o.filledSize > 0).length).toBeGreaterThan(sent / 3); // the loop really traded
  }, 90_000);
});
