/**
 * `polybot bot preflight`: everything a live start needs, checked read-only against the venue, one
 * line per check with what to do when it fails. The same checks gate a live execution start
 * (`worker.ts`). Safe to run at any time, in any mode: it places, cancels and approves nothing
 * (the only write is the CLOB's own create-or-derive of the API key, as every start does).
 *
 * The checks and their sources (docs/polymarket-venue.md unless said):
 * - signing key and wallet set-up: what the venue refuses (§2, §5.1 item 4); a deposit wallet must
 *   be deployed (relayer `GET /deployed?address=&type=WALLET`, needs no key, §1 and §4);
 * - geoblock: `GET https://polymarket.com/api/geoblock` (§5.6 item 22);
 * - clock: `GET /time` on the CLOB (unix seconds, docs/polymarket.md §3) against ours, within the
 *   clock-skew allowance execution's hard limits use (EXEC_CLOCK_SKEW_MS);
 * - API key: create, derive on 400 (§5.1 items 1-2), as the execution worker does;
 * - closed-only: `GET /auth/ban-status/closed-only` (§5.6 item 21);
 * - discovery: the current windows of every configured asset, found by ingestion's own discovery;
 * - book: `GET /book` of a discovered market, parsed as ingestion parses it;
 * - fees: `GET /clob-markets/{cid}` `fd` (what the venue charges) against Gamma's `feeSchedule`
 *   (what the strategy prices with) (§5.7 item 25; docs/polymarket.md §4);
 * - pUSD balance and trading approvals: `/balance-allowance` after its update (§1, §4).
 */
import { pino } from 'pino';
import { z } from 'zod';
import { AssetSchema, ASSETS, isPolybotError, type Market } from '@polybot/shared';
import { parseEnv, type BaseConfig, type Env } from '@polybot/shared/config';
import { checkTradingAllowances, DEFAULT_HARD_LIMITS } from '@polybot/execution';
import { createClobV2Port, keyAddress, resolveSigningKey, simWallet, walletSetupProblem, type ClobV2Port, type WalletSetup } from '@polybot/execution/venue';
import { ClobBookSchema, MarketDiscovery, normaliseBook } from '@polybot/ingestion';
import { createHttpClient } from '@polybot/ingestion/http';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it passed (what was seen), or why it failed and what to do. */
  detail: string;
}

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
export const PreflightEnvSchema = z.object({
  POLYBOT_SIGNATURE_TYPE: z.coerce.number().int().min(0).max(3).optional(),
  POLYBOT_FUNDER_ADDRESS: Address.optional(),
  POLYBOT_RELAYER_URL: z.string().url().optional(),
  /** Where `/api/geoblock` lives: polymarket.com (the sim answers it itself). */
  POLYBOT_GEOBLOCK_URL: z.string().url().optional(),
  POLYBOT_ASSETS: z
    .string()
    .default(ASSETS.join(','))
    .transform((s) => s.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(AssetSchema).min(1)),
  POLYBOT_INTERVAL_SECONDS: z.coerce.number().int().positive().multipleOf(60).optional(),
  SIM_WINDOW_SECONDS: z.coerce.number().int().positive().multipleOf(60).default(120),
  EXEC_CLOCK_SKEW_MS: z.coerce.number().int().nonnegative().max(60_000).default(DEFAULT_HARD_LIMITS.clockSkewMs),
  EXEC_VENUE_TIMEOUT_MS: z.coerce.number().int().min(500).default(10_000),
});

const GeoblockSchema = z
  .object({ blocked: z.boolean(), ip: z.string().optional(), country: z.string().optional(), region: z.string().optional() })
  .passthrough();
const TimeSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
const DeployedSchema = z.object({ deployed: z.boolean() }).passthrough();
const ClobMarketFeesSchema = z
  .object({ fd: z.object({ r: z.number().min(0).max(1), e: z.number().positive(), to: z.boolean().optional() }).passthrough() })
  .passthrough();

export interface PreflightOptions {
  config: BaseConfig;
  env: Env;
  /** Stop before any request when the local set-up (key, wallet) is wrong: the live start gate. */
  stopOnLocalFailure?: boolean;
  now?: () => number;
}

/** A JSON GET bounded by a timeout; its body parsed by `schema` (a clear error otherwise). */
async function getJson<T>(url: string, schema: z.ZodType<T>, timeoutMs: number): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`no answer from ${url}: ${(err as Error).name === 'TimeoutError' ? `nothing within ${timeoutMs} ms` : (err as Error).message}`, {
      cause: err,
    });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered something that is not JSON`);
  }
  const p = schema.safeParse(json);
  if (!p.success)
    throw new Error(`${url} answered an unexpected shape (${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')})`);
  return p.data;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n').join(' ');

/** Runs every check (in order) and returns one result per check. Never throws. */
export async function runPreflight(o: PreflightOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const now = o.now ?? Date.now;
  const { config } = o;
  const pass = (name: string, detail: string) => void out.push({ name, ok: true, detail });
  const fail = (name: string, detail: string) => void out.push({ name, ok: false, detail });
  if (config.venue === 'paper') {
    fail('venue', 'POLYBOT_VENUE=paper trades against no account: preflight checks the sim or live venue (set POLYBOT_VENUE=live)');
    return out;
  }
  let env: z.infer<typeof PreflightEnvSchema>;
  try {
    env = parseEnv(PreflightEnvSchema, o.env);
  } catch (err) {
    fail('configuration', message(err));
    return out;
  }
  const timeoutMs = env.EXEC_VENUE_TIMEOUT_MS;
  const clob = config.clobUrl.replace(/\/+$/, '');
  const geoblockUrl = (env.POLYBOT_GEOBLOCK_URL ?? (config.venue === 'sim' ? clob : 'https://polymarket.com')).replace(/\/+$/, '');
  const relayerUrl = (env.POLYBOT_RELAYER_URL ?? (config.venue === 'sim' ? clob : 'https://relayer-v2.polymarket.com')).replace(/\/+$/, '');

  // 1. The signing key (live: its confirmation and a well-formed key; sim: the throwaway key).
  let key: `0x${string}` | null = null;
  try {
    key = resolveSigningKey(config.venue, o.env, config.dataDir);
    pass('signing key', config.venue === 'live' ? 'POLYBOT_LIVE confirmed, key well-formed (not shown)' : 'the sim throwaway key');
  } catch (err) {
    fail('signing key', isPolybotError(err) ? err.message : message(err));
  }

  // 2. The wallet: a set-up the venue accepts (live: configured; sim: configured, else the sim account's).
  let wallet: WalletSetup | null = null;
  let eoa: string | null = null;
  if (key) {
    eoa = keyAddress(key);
    const configured =
      env.POLYBOT_SIGNATURE_TYPE !== undefined
        ? {
            signatureType: env.POLYBOT_SIGNATURE_TYPE as WalletSetup['signatureType'],
            ...(env.POLYBOT_FUNDER_ADDRESS ? { funderAddress: env.POLYBOT_FUNDER_ADDRESS } : {}),
          }
        : null;
    const problem = walletSetupProblem({ signatureType: configured?.signatureType, funderAddress: configured?.funderAddress, eoa });
    if (configured && !problem) wallet = configured;
    else if (config.venue === 'live' || configured) fail('wallet', problem ?? 'no wallet configured');
    else {
      try {
        wallet = await simWallet(clob, key, timeoutMs);
      } catch (err) {
        fail('wallet', `the sim account of ${eoa}: ${message(err)}`);
      }
    }
  } else fail('wallet', 'not checked: needs the signing key');
  if (o.stopOnLocalFailure && out.some((c) => !c.ok)) return out;

  if (wallet && eoa) {
    const type = ['EOA', 'Polymarket proxy', 'Gnosis Safe', 'deposit wallet'][wallet.signatureType]!;
    if (wallet.signatureType === 0) pass('wallet', `type 0 (EOA): orders made and signed by ${eoa}; nothing to deploy`);
    else if (wallet.signatureType === 3) {
      // §2: orders from an undeployed deposit wallet are refused ("the order signer address has to be the address of the API KEY").
      try {
        const d = await getJson(`${relayerUrl}/deployed?address=${wallet.funderAddress}&type=WALLET`, DeployedSchema, timeoutMs);
        if (d.deployed) pass('wallet', `type 3 (deposit wallet ${wallet.funderAddress}), deployed; signed by ${eoa}`);
        else
          fail(
            'wallet',
            `deposit wallet ${wallet.funderAddress} is not deployed: the venue refuses its orders. Log in once at polymarket.com (it deploys the wallet), or check POLYBOT_FUNDER_ADDRESS`,
          );
      } catch (err) {
        fail('wallet', `cannot ask the relayer whether deposit wallet ${wallet.funderAddress} is deployed: ${message(err)} (POLYBOT_RELAYER_URL)`);
      }
    } else {
      pass(
        'wallet',
        `type ${wallet.signatureType} (${type} ${wallet.funderAddress}), signed by ${eoa}; a legacy wallet's deployment is not readable without a Polygon RPC: the balance below is read from it`,
      );
    }
  }

  // 3. Geoblock (polymarket.com, not the API hosts).
  try {
    const g = await getJson(`${geoblockUrl}/api/geoblock`, GeoblockSchema, timeoutMs);
    const where = [g.country, g.region].filter(Boolean).join('/') || 'unknown place';
    if (g.blocked) fail('geoblock', `blocked: Polymarket refuses orders from ${where} (ip ${g.ip ?? '?'}); trade only from a jurisdiction it allows`);
    else pass('geoblock', `not blocked (${where}, ip ${g.ip ?? '?'})`);
  } catch (err) {
    fail('geoblock', `cannot read ${geoblockUrl}/api/geoblock: ${message(err)}`);
  }

  // 4. Clock skew against the venue's /time (whole seconds: the allowance widens by the rounding and half the round trip).
  try {
    const t0 = now();
    const venueS = await getJson(`${clob}/time`, TimeSchema, timeoutMs);
    const t1 = now();
    const skewMs = Math.round(venueS * 1000 + 500 - (t0 + t1) / 2);
    const allowed = env.EXEC_CLOCK_SKEW_MS + 500 + (t1 - t0) / 2;
    if (Math.abs(skewMs) <= allowed) pass('clock', `within ${Math.abs(skewMs)} ms of the venue (allowance ${env.EXEC_CLOCK_SKEW_MS} ms)`);
    else
      fail(
        'clock',
        `${Math.abs(skewMs)} ms ${skewMs > 0 ? 'behind' : 'ahead of'} the venue, over the ${env.EXEC_CLOCK_SKEW_MS} ms allowance: sync this machine's clock (NTP, e.g. timedatectl set-ntp true)`,
      );
  } catch (err) {
    fail('clock', `cannot read the venue's time: ${message(err)}`);
  }

  // 5. API key (create, derive on 400) and 6. closed-only mode.
  let port: ClobV2Port | null = null;
  if (key && wallet) {
    try {
      port = await createClobV2Port({ host: clob, privateKey: key, timeoutMs, ...wallet });
      pass('API key', `created or derived for ${eoa} (key …${port.apiKey.slice(-4)})`);
    } catch (err) {
      fail('API key', `${message(err)}: check POLYBOT_CLOB_URL and the key; a 401 means the venue refused the key's signature`);
    }
  } else fail('API key', 'not checked: needs the signing key and a wallet');
  if (port) {
    try {
      if (await port.closedOnly())
        fail('closed-only', 'the account is in closed-only mode: the venue takes only orders that close positions; contact Polymarket support');
      else pass('closed-only', 'the account may open positions');
    } catch (err) {
      fail('closed-only', `cannot read the account status: ${message(err)}`);
    }
  } else fail('closed-only', 'not checked: needs the API key');

  // 7. Discovery of the current windows, by ingestion's own code.
  const intervalSeconds = env.POLYBOT_INTERVAL_SECONDS ?? (config.venue === 'sim' ? env.SIM_WINDOW_SECONDS : 900);
  const logger = pino({ level: 'silent' });
  const gamma = createHttpClient({ baseURL: config.gammaUrl, logger, maxAttempts: 1, timeoutMs, per10s: 250 });
  const clobHttp = createHttpClient({ baseURL: clob, logger, maxAttempts: 1, timeoutMs, per10s: 500 });
  let markets: Market[] = [];
  try {
    const discovery = new MarketDiscovery(
      { assets: env.POLYBOT_ASSETS, intervalSeconds, windowsAhead: 2 },
      {
        gamma,
        logger,
        hasBook: async (ids) => {
          for (const id of ids) await clobHttp.get('/book', ClobBookSchema, { token_id: id });
          return true;
        },
        clobFee: async (cid) => {
          const f = await clobHttp.get(`/clob-markets/${cid}`, ClobMarketFeesSchema);
          return { rate: f.fd.r, exponent: f.fd.e, takerOnly: f.fd.to ?? true };
        },
        ownPriceToBeat: () => Promise.resolve(null),
      },
    );
    markets = await discovery.getCrypto15mMarkets(now());
    const missing = env.POLYBOT_ASSETS.filter((a) => !markets.some((m) => m.asset === a));
    const found = env.POLYBOT_ASSETS.filter((a) => !missing.includes(a)).map((a) => `${a} ${markets.filter((m) => m.asset === a).length}`);
    if (missing.length)
      fail(
        'discovery',
        `no open ${intervalSeconds / 60}-minute window on ${config.gammaUrl} for ${missing.join(', ')}${found.length ? ` (found: ${found.join(', ')})` : ''}${discovery.rejected ? `; ${discovery.rejected} market(s) failed normalisation` : ''}: check POLYBOT_GAMMA_URL, POLYBOT_ASSETS and POLYBOT_INTERVAL_SECONDS`,
      );
    else pass('discovery', `open windows: ${found.join(', ')} (e.g. ${markets[0]!.slug})`);
  } catch (err) {
    fail('discovery', `cannot list markets on ${config.gammaUrl}: ${message(err)}`);
  }
  const now0 = now();
  const market = [...markets].sort((a, b) => Math.abs(a.windowStartMs - now0) - Math.abs(b.windowStartMs - now0))[0] ?? null;

  // 8. A book, and 9. its fee schedule.
  if (market) {
    try {
      const book = normaliseBook(await clobHttp.get('/book', ClobBookSchema, { token_id: market.upTokenId }), market);
      const bid = book.bids[0]?.price;
      const ask = book.asks[0]?.price;
      if (bid === undefined && ask === undefined) fail('book', `${market.slug} Up: the book is empty on both sides (no liquidity to trade against)`);
      else pass('book', `${market.slug} Up: best bid ${bid ?? 'none'}, best ask ${ask ?? 'none'}, tick ${book.tickSize}, min size ${book.minOrderSize}`);
    } catch (err) {
      fail('book', `${market.slug} Up: ${message(err)}`);
    }
    try {
      const f = (await clobHttp.get(`/clob-markets/${market.conditionId}`, ClobMarketFeesSchema)).fd;
      const g = market.feeSchedule;
      const venue = `rate ${f.r}, exponent ${f.e}${f.to === false ? ', makers too' : ', takers only'}`;
      if (Math.abs(f.r - g.rate) > 1e-9 || f.e !== g.exponent || (f.to ?? true) !== g.takerOnly)
        fail(
          'fees',
          `${market.slug}: the CLOB charges ${venue} but Gamma's feeSchedule says rate ${g.rate}, exponent ${g.exponent}${g.takerOnly ? ', takers only' : ''}; the strategy prices fees from Gamma's: do not trade until they agree`,
        );
      else pass('fees', `${market.slug}: ${venue} (the CLOB and Gamma agree)`);
    } catch (err) {
      fail('fees', `${market.slug}: cannot read the fee schedule: ${message(err)}`);
    }
  } else {
    fail('book', 'not checked: no market discovered');
    fail('fees', 'not checked: no market discovered');
  }

  // 10. pUSD balance and 11. the trading approvals.
  if (port?.balanceAllowance) {
    const read = port.balanceAllowance.bind(port);
    try {
      // money's check (money/approve.ts): the same verdict as the live start's.
      const r = await checkTradingAllowances((a, refresh) => read(a, refresh), market?.upTokenId ?? null);
      const holder = wallet?.signatureType === 0 ? eoa : wallet?.funderAddress;
      if (r.balanceUsd > 0) pass('pUSD balance', `$${r.balanceUsd.toFixed(2)} at ${holder}`);
      else fail('pUSD balance', `$${r.balanceUsd.toFixed(2)} at ${holder}: deposit pUSD to that address (for a deposit wallet: your Polymarket wallet)`);
      if (!r.ok) fail('allowances', r.missing.join('; '));
      else pass('allowances', `${r.report.ok.length} approval(s) in place${r.unreported.length ? `; not checked: ${r.unreported.join('; ')}` : ''}`);
    } catch (err) {
      fail('pUSD balance', `cannot read /balance-allowance: ${message(err)}`);
      fail('allowances', 'not checked: /balance-allowance unreadable');
    }
  } else {
    fail('pUSD balance', 'not checked: needs the API key');
    fail('allowances', 'not checked: needs the API key');
  }
  return out;
}

/** One line per check, then a summary line. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `preflight: all ${results.length} checks passed` : `preflight: ${failed} of ${results.length} checks failed`);
  return `${lines.join('\n')}\n`;
}

export const preflightPassed = (results: readonly CheckResult[]): boolean => results.length > 0 && results.every((r) => r.ok);
