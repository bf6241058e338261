/**
 * `polybot bot preflight` against the sim venue: green on its realistic defaults, and each failure
 * mode injected the way the sim injects it (its fault switches, its accounts), failing exactly its
 * own line with what to do. The book and fee cases go through a proxy that rewrites one answer
 * (an empty book, a CLOB fee that disagrees with Gamma's), which the sim's market never produces.
 * Last, a live execution start refuses to run when preflight fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseConfig } from '@polybot/shared/config';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { formatChecks, preflightPassed, runPreflight, type CheckResult } from './preflight.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/worker.js');
const POLYBOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/polybot.js');
let venue: SimVenue;
let proxy: http.Server;
let proxyUrl = '';
let rewrite: 'none' | 'empty-book' | 'fee-drift' = 'none';

beforeAll(async () => {
  venue = await startSimVenue({ port: 0, windowSeconds: 300, assets: ['BTC'], seed: 21, misprice: 0 });
  const target = new URL(venue.url);
  proxy = http.createServer((req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        let body = Buffer.concat(chunks);
        const url = req.url ?? '';
        if (r.statusCode === 200 && rewrite === 'empty-book' && url.startsWith('/book?')) {
          body = Buffer.from(JSON.stringify({ ...(JSON.parse(body.toString()) as object), bids: [], asks: [] }));
        }
        if (r.statusCode === 200 && rewrite === 'fee-drift' && url.startsWith('/clob-markets/')) {
          const j = JSON.parse(body.toString()) as { fd: Record<string, unknown> };
          body = Buffer.from(JSON.stringify({ ...j, fd: { ...j.fd, r: 0.072 } }));
        }
        res.writeHead(r.statusCode ?? 502, { ...r.headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => proxy?.close(() => r()));
  await venue?.close();
});
afterEach(async () => {
  rewrite = 'none';
  await sim('/sim/faults', { geoblocked: false, closedOnly: false, clockOffsetMs: 0, burst500: 0, malformedGamma: 0 });
});

async function sim(p: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${venue.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A fresh account (its own key in its own data directory), so account faults stay its own. */
function account(): { dataDir: string; eoa: string; key: `0x${string}` } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-preflight-'));
  const key = generatePrivateKey();
  writeFileSync(path.join(dataDir, 'sim-key.json'), JSON.stringify({ privateKey: key }));
  return { dataDir, eoa: privateKeyToAccount(key).address, key };
}

async function preflight(dataDir: string, extra: Record<string, string> = {}, url = venue.url): Promise<CheckResult[]> {
  const env = { POLYBOT_VENUE: 'sim', POLYBOT_DATA_DIR: dataDir, POLYBOT_CLOB_URL: url, POLYBOT_GAMMA_URL: url, POLYBOT_ORACLE_URL: url };
  const all = { ...env, POLYBOT_ASSETS: 'BTC', SIM_WINDOW_SECONDS: '300', EXEC_VENUE_TIMEOUT_MS: '3000', ...extra };
  return runPreflight({ config: loadBaseConfig(all), env: all });
}

const line = (r: CheckResult[], name: string) => {
  const c = r.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} line in:\n${formatChecks(r)}`);
  return c;
};
const failed = (r: CheckResult[]) => r.filter((c) => !c.ok).map((c) => c.name);

describe('preflight against the sim venue', () => {
  it('passes every check on the realistic defaults, one line each', async () => {
    const r = await preflight(account().dataDir);
    expect(failed(r), formatChecks(r)).toEqual([]);
    expect(preflightPassed(r)).toBe(true);
    expect(r.map((c) => c.name)).toEqual([
      'signing key',
      'wallet',
      'geoblock',
      'clock',
      'API key',
      'closed-only',
      'discovery',
      'book',
      'fees',
      'pUSD balance',
      'allowances',
    ]);
    expect(line(r, 'wallet').detail).toMatch(/type 3 \(deposit wallet 0x[0-9a-fA-F]{40}\), deployed/);
    expect(line(r, 'pUSD balance').detail).toMatch(/^\$1000\.00 at 0x/);
    const text = formatChecks(r);
    expect(text.trim().split('\n')).toHaveLength(12);
    expect(text).toMatch(/all 11 checks passed/);
  });

  it('geoblocked: fails the geoblock line, saying where from', async () => {
    await sim('/sim/faults', { geoblocked: true });
    const r = await preflight(account().dataDir);
    expect(failed(r)).toEqual(['geoblock']);
    expect(line(r, 'geoblock').detail).toMatch(/blocked: Polymarket refuses orders from US\/NY/);
  });

  it('a clock off by 10 s: fails the clock line and says to sync it', async () => {
    await sim('/sim/faults', { clockOffsetMs: 10_000 });
    const r = await preflight(account().dataDir);
    expect(failed(r)).toEqual(['clock']);
    expect(line(r, 'clock').detail).toMatch(/^\d+ ms behind the venue, over the 2000 ms allowance: sync/);
    const skew = Number(/^(\d+)/.exec(line(r, 'clock').detail)![1]);
    expect(skew).toBeGreaterThan(8_500);
    expect(skew).toBeLessThan(11_500);
  });

  it('closed-only account: fails the closed-only line', async () => {
    await sim('/sim/faults', { closedOnly: true });
    const r = await preflight(account().dataDir);
    expect(failed(r)).toEqual(['closed-only']);
    expect(line(r, 'closed-only').detail).toMatch(/closed-only mode/);
  });

  it('an undeployed deposit wallet: fails the wallet line, saying how to deploy it', async () => {
    const a = account();
    await sim('/sim/users', { address: a.eoa, type: 'deposit', deployed: false });
    const r = await preflight(a.dataDir);
    expect(line(r, 'wallet').ok).toBe(false);
    expect(line(r, 'wallet').detail).toMatch(/is not deployed: the venue refuses its orders/);
  });

  it('a wallet set-up the venue refuses (type 3 whose funder is the key itself): fails before any request', async () => {
    const a = account();
    const r = await preflight(a.dataDir, { POLYBOT_SIGNATURE_TYPE: '3', POLYBOT_FUNDER_ADDRESS: a.eoa });
    expect(line(r, 'wallet').ok).toBe(false);
    expect(line(r, 'wallet').detail).toMatch(/POLYBOT_FUNDER_ADDRESS is the key's own address/);
    expect(line(r, 'API key').detail).toMatch(/not checked/);
  });

  it('a legacy EOA account configured as type 0 passes, its wallet line saying so', async () => {
    const legacy = account();
    await sim('/sim/users', { address: legacy.eoa, type: 'eoa' });
    const r = await preflight(legacy.dataDir, { POLYBOT_SIGNATURE_TYPE: '0' });
    expect(failed(r), formatChecks(r)).toEqual([]);
    expect(line(r, 'wallet').detail).toBe(`type 0 (EOA): orders made and signed by ${legacy.eoa}; nothing to deploy`);
  });

  it('no pUSD: fails the balance line, naming the address to fund', async () => {
    const a = account();
    const u = (await sim('/sim/users', { address: a.eoa, type: 'deposit' })) as { wallet: string };
    await sim(`/sim/accounts/${u.wallet}`, { balanceUsd: 0 });
    const r = await preflight(a.dataDir);
    expect(failed(r)).toEqual(['pUSD balance']);
    expect(line(r, 'pUSD balance').detail).toContain(`$0.00 at ${u.wallet}: deposit pUSD`);
  });

  it('revoked approvals: fails the allowances line, naming each and `pnpm bot approve`', async () => {
    const a = account();
    const u = (await sim('/sim/users', { address: a.eoa, type: 'deposit' })) as { wallet: string };
    await sim(`/sim/accounts/${u.wallet}`, { revokeApprovals: true });
    const r = await preflight(a.dataDir);
    expect(failed(r)).toEqual(['allowances']);
    expect(line(r, 'allowances').detail).toMatch(/missing pUSD allowance for .*run `pnpm bot approve`/);
  });

  it('the venue failing (HTTP 500s): the API key line fails with the status, and what needs the key is not checked', async () => {
    await sim('/sim/faults', { burst500: 50 });
    const r = await preflight(account().dataDir);
    expect(line(r, 'API key').ok).toBe(false);
    expect(line(r, 'API key').detail).toMatch(/500/);
    expect(line(r, 'closed-only').detail).toMatch(/not checked: needs the API key/);
    expect(line(r, 'pUSD balance').detail).toMatch(/not checked/);
  });

  it('Gamma answering malformed JSON: fails discovery, and the book and fee checks say why they did not run', async () => {
    await sim('/sim/faults', { malformedGamma: 2 });
    const r = await preflight(account().dataDir);
    expect(failed(r)).toEqual(['discovery', 'book', 'fees']);
    expect(line(r, 'discovery').detail).toMatch(/no open 5-minute window .* for BTC/);
    expect(line(r, 'book').detail).toMatch(/not checked: no market discovered/);
  });

  it('an empty book: fails the book line', async () => {
    rewrite = 'empty-book';
    const r = await preflight(account().dataDir, {}, proxyUrl);
    expect(failed(r)).toEqual(['book']);
    expect(line(r, 'book').detail).toMatch(/empty on both sides/);
  });

  it("a CLOB fee that disagrees with Gamma's: fails the fee line with both", async () => {
    rewrite = 'fee-drift';
    const r = await preflight(account().dataDir, {}, proxyUrl);
    expect(failed(r)).toEqual(['fees']);
    expect(line(r, 'fees').detail).toMatch(/the CLOB charges rate 0\.072, exponent 1, takers only but Gamma's feeSchedule says rate 0\.07/);
  });
});

/** A child process, its output and exit code (async: the sim venue answers from this process). */
function runChild(file: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const r = { stdout: '', stderr: '', status: null as number | null };
  child.stdout.on('data', (c: Buffer) => (r.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (r.stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ ...r, status: code })));
}

describe('`polybot bot preflight` (the command)', () => {
  it('exit 0 and one JSON object when all pass; exit 1 when one fails', async () => {
    const a = account();
    const env = {
      POLYBOT_VENUE: 'sim',
      POLYBOT_DATA_DIR: a.dataDir,
      POLYBOT_CLOB_URL: venue.url,
      POLYBOT_GAMMA_URL: venue.url,
      POLYBOT_ORACLE_URL: venue.url,
      POLYBOT_ASSETS: 'BTC',
      SIM_WINDOW_SECONDS: '300',
    };
    const ok = await runChild(POLYBOT, ['bot', 'preflight', '--json'], env);
    expect(ok.status, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(json.ok).toBe(true);
    expect(json.checks).toHaveLength(11);
    await sim('/sim/faults', { closedOnly: true });
    const bad = await runChild(POLYBOT, ['bot', 'preflight'], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL {2}closed-only +the account is in closed-only mode/m);
    expect(bad.stdout).toMatch(/preflight: 1 of 11 checks failed\n$/);
  });
});

describe('a live execution start runs the same checks', () => {
  it('refuses to start (exit 2) when preflight fails, printing its lines', async () => {
    const a = account();
    const u = (await sim('/sim/users', { address: a.eoa, type: 'deposit' })) as { wallet: string };
    await sim('/sim/faults', { geoblocked: true });
    const r = await runChild(WORKER, ['execution'], {
      POLYBOT_VENUE: 'live',
      POLYBOT_LIVE: 'I_UNDERSTAND_REAL_MONEY',
      POLYBOT_PRIVATE_KEY: a.key,
      POLYBOT_SIGNATURE_TYPE: '3',
      POLYBOT_FUNDER_ADDRESS: u.wallet,
      POLYBOT_DATA_DIR: a.dataDir,
      POLYBOT_CLOB_URL: venue.url,
      POLYBOT_GAMMA_URL: venue.url,
      POLYBOT_ORACLE_URL: venue.url,
      POLYBOT_GEOBLOCK_URL: venue.url,
      POLYBOT_RELAYER_URL: venue.url,
      POLYBOT_ASSETS: 'BTC',
      POLYBOT_INTERVAL_SECONDS: '300',
      REDIS_URL: 'redis://127.0.0.1:1',
      POLYBOT_METRICS_PORT: '0',
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/live trading refused by preflight/);
    expect(r.stderr).toMatch(/FAIL +geoblock +blocked/);
    expect(r.stderr).toMatch(/PASS +wallet +type 3 \(deposit wallet/);
    expect(r.stderr).toMatch(/1 of 11 checks failed/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(a.key.slice(2, 26));
  });
});
