/**
 * The one configuration of polybot: a YAML (or JSON) file whose every field is also an environment
 * variable. The same file drives sim, paper, live and the backtest, so a configuration tested in
 * the backtest runs live unchanged.
 *
 * Precedence: an environment variable, else the file (`POLYBOT_CONFIG`, else `./polybot.config.yaml`
 * when it exists), else the default. Each field parses the variable's text form with one zod schema,
 * so a value means the same whether it comes from the file or the environment. Entry points call
 * `applyConfigFile(process.env)`: it validates everything at once (every bad field named, exit 2)
 * and copies the file's values into the environment, where each worker's own schema reads them.
 *
 * Adding a setting: one `field(...)` line here, under its section, with the variable the worker reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PolybotError } from './errors.js';
import { RedisUrlSchema } from './redisUrl.js';

export type Env = Record<string, string | undefined>;

export interface Field {
  readonly kind: 'field';
  /** The environment variable that overrides (and that the worker reads). */
  readonly env: string;
  /** Parses the variable's text form; its default is the worker's default. */
  readonly schema: z.ZodType;
  readonly doc: string;
  /** Never printed; `envOnly` ones may not be written in the file at all. */
  readonly secret?: boolean;
  readonly envOnly?: boolean;
}
export interface Section {
  [key: string]: Field | Section;
}

const field = (env: string, schema: z.ZodType, doc: string, extra: { secret?: boolean; envOnly?: boolean } = {}): Field => ({
  kind: 'field',
  env,
  schema,
  doc,
  ...extra,
});

const int = (def: number | undefined, min = 0, max = Number.MAX_SAFE_INTEGER) => {
  const s = z.coerce.number().int().min(min).max(max);
  return def === undefined ? s.optional() : s.default(def);
};
const num = (def: number, check: (n: z.ZodNumber) => z.ZodNumber = (n) => n) => check(z.coerce.number()).default(def);
const bool = (def: boolean | undefined) => {
  const s = z.enum(['true', 'false']);
  return def === undefined ? s.optional() : s.default(def ? 'true' : 'false');
};
const url = () => z.string().url().optional();
const list = <T extends string>(values: readonly T[], def: readonly T[]) =>
  z
    .string()
    .default(def.join(','))
    .transform((s) => s.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(z.enum(values as [T, ...T[]])).min(1));

const ASSETS = ['BTC', 'ETH', 'SOL', 'XRP'] as const;

/** Every setting, by section. The keys are the file's; `env` is the variable that overrides it. */
export const SETTINGS = {
  venue: field(
    'POLYBOT_VENUE',
    z.enum(['sim', 'paper', 'live']).default('sim'),
    '`sim` (local venue), `paper` (real market data, simulated fills) or `live` (real orders)',
  ),
  redisUrl: field(
    'REDIS_URL',
    RedisUrlSchema.default('redis://127.0.0.1:6379'),
    'Redis for queues and shared state (`pnpm start` without it: 127.0.0.1:6379 if it answers, else a private redis-server)',
  ),
  redisUsername: field(
    'REDIS_USERNAME',
    z.string().optional(),
    'Redis ACL user (compose and `polybot start` run Redis with the user `polybot` and no default user)',
  ),
  redisPassword: field(
    'REDIS_PASSWORD',
    z.string().min(16, 'at least 16 characters').optional(),
    'password of that Redis user, 16+ characters (never logged; `docker compose` refuses to start without it)',
    {
      secret: true,
      envOnly: true,
    },
  ),
  dataDir: field('POLYBOT_DATA_DIR', z.string().min(1).default('.polybot'), 'the order store, logs and recordings'),
  queuePrefix: field(
    'POLYBOT_QUEUE_PREFIX',
    z
      .string()
      .regex(/^[A-Za-z0-9{}_-]{1,64}$/, 'letters, digits, {}, _ or - (up to 64)')
      .default('{polybot}'),
    'queue and key prefix, hash-tagged for Redis Cluster',
  ),
  logLevel: field('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino level'),
  logFile: field('POLYBOT_LOG_FILE', bool(false), 'each worker also appends its JSON log to <dataDir>/logs/ (compose: where `polybot bot trace` reads it)'),
  metrics: {
    port: field('POLYBOT_METRICS_PORT', int(0, 0, 65535), '`/metrics` and `/healthz` port of a worker (0: none; `pnpm start` numbers them from basePort)'),
    host: field(
      'POLYBOT_METRICS_HOST',
      z.string().min(1).default('127.0.0.1'),
      'address the metrics server binds (`0.0.0.0` under compose, so Prometheus in another container can scrape it)',
    ),
    basePort: field('POLYBOT_METRICS_BASE_PORT', int(9100, 1024, 65000), 'first metrics port `pnpm start` gives its processes'),
  },
  urls: {
    gamma: field('POLYBOT_GAMMA_URL', url(), 'Gamma API (default: the sim venue on `sim`, Polymarket otherwise)'),
    clob: field('POLYBOT_CLOB_URL', url(), 'CLOB API (same default)'),
    oracle: field('POLYBOT_ORACLE_URL', url(), 'oracle feed (same default)'),
    marketWs: field('POLYBOT_MARKET_WS_URL', url(), 'CLOB market channel (same default)'),
    exchange: field(
      'POLYBOT_EXCHANGE_URL',
      z.string().url().default('https://api.binance.com'),
      'spot exchange used as a labelled cross-check and fallback oracle',
    ),
  },
  start: {
    analysisWorkers: field('ANALYSIS_WORKERS', int(1, 1, 32), 'analysis processes `polybot start` runs'),
  },
  sim: {
    port: field('SIM_VENUE_PORT', int(4010, 1, 65535), "the sim venue's port"),
    host: field('SIM_VENUE_HOST', z.string().default('127.0.0.1'), "the sim venue's bind address"),
    windowSeconds: field(
      'SIM_WINDOW_SECONDS',
      z.coerce
        .number()
        .int()
        .positive()
        .refine((v) => v % 60 === 0, 'must be a multiple of 60')
        .default(120),
      'window length of the sim venue (900 for realism); discovery follows it',
    ),
    assets: field('SIM_ASSETS', list(ASSETS, ASSETS), 'assets the sim venue lists (comma-separated in the environment)'),
    seed: field('SIM_SEED', z.coerce.number().int().default(1), 'random seed of the sim venue'),
    twap: field('SIM_TWAP', bool(true), 'settle sim windows on a TWAP'),
    mispriceProb: field(
      'SIM_MISPRICE_PROB',
      num(0.2, (n) => n.min(0).max(1)),
      'share of sim windows whose maker misprices',
    ),
    takerDelayMs: field('SIM_TAKER_DELAY_MS', int(0, 0, 10_000), "the sim venue's taker delay"),
    startBalanceUsd: field(
      'SIM_START_BALANCE_USD',
      num(1_000, (n) => n.min(0)),
      "pUSD each new sim account holds (keep it equal to risk's bankrollUsd, or the ledger reconciliation trips)",
    ),
  },
  discovery: {
    assets: field('POLYBOT_ASSETS', list(ASSETS, ASSETS), 'assets traded'),
    intervalSeconds: field(
      'POLYBOT_INTERVAL_SECONDS',
      z.coerce.number().int().positive().multipleOf(60).optional(),
      'market window length (default: sim.windowSeconds on `sim`, 900 otherwise)',
    ),
    refreshMs: field('DISCOVERY_REFRESH_MS', int(2_000, 250, 60_000), 'how often each market is re-priced'),
    sweepMs: field('DISCOVERY_SWEEP_MS', int(60_000, 5_000), 'how often Gamma is searched for new markets'),
    priceTrigger: field(
      'DISCOVERY_PRICE_TRIGGER',
      num(0.0002, (n) => n.positive()),
      'relative oracle move that re-prices an asset at once',
    ),
    record: field('POLYBOT_RECORD', bool(undefined), 'record books, trades, oracle and resolutions for replay (default: on in paper)'),
    recordMaxMbPerDay: field(
      'POLYBOT_RECORD_MAX_MB_PER_DAY',
      num(200, (n) => n.positive()),
      'recording budget per day',
    ),
    fallbackAfterMs: field('POLYBOT_FALLBACK_AFTER_MS', int(5_000, 1), 'Chainlink silence after which the exchange price is used (labelled)'),
  },
  strategy: {
    concurrency: field('ANALYSIS_CONCURRENCY', int(4, 1, 64), 'market jobs one analysis process prices at once'),
    minEdge: field(
      'STRATEGY_MIN_EDGE',
      num(0.02, (n) => n.min(0).max(0.5)),
      'minimum edge after fees to signal',
    ),
    slotMs: field('STRATEGY_SLOT_MS', int(10_000, 1_000), 'at most one signal per market and side per slot'),
    maxOracleAgeMs: field('STRATEGY_MAX_ORACLE_AGE_MS', int(5_000, 1), 'oldest oracle price the strategy prices on'),
    calibrationMs: field('STRATEGY_CALIBRATION_MS', int(60_000, 5_000), 'how often the model is re-estimated'),
    maxBookAgeMs: field('STRATEGY_MAX_BOOK_AGE_MS', int(2_000, 100), 'books older than this are re-read over REST'),
    defaultSigma: field(
      'STRATEGY_DEFAULT_SIGMA',
      num(0.6, (n) => n.positive()),
      'annualised σ until enough oracle history exists',
    ),
    defaultLambdaPerYear: field(
      'STRATEGY_DEFAULT_LAMBDA_PER_YEAR',
      num(1_700, (n) => n.nonnegative()),
      'jumps per year until then',
    ),
    defaultJumpStd: field(
      'STRATEGY_DEFAULT_JUMP_STD',
      num(0.004, (n) => n.nonnegative()),
      'log-jump standard deviation until then',
    ),
    toxicity: {
      imbalanceThreshold: field(
        'STRATEGY_TOXICITY_IMBALANCE',
        num(0.57, (n) => n.min(0).max(1)),
        'order-flow imbalance that flags toxicity',
      ),
      minVolume: field(
        'STRATEGY_TOXICITY_MIN_VOLUME',
        num(50, (n) => n.nonnegative()),
        'shares traded before imbalance counts',
      ),
      lookbackMs: field('STRATEGY_TOXICITY_LOOKBACK_MS', int(30_000, 1), 'trade window of the imbalance'),
      spotMoveThreshold: field(
        'STRATEGY_TOXICITY_SPOT_MOVE',
        num(0.00025, (n) => n.positive()),
        'unabsorbed relative spot move that flags toxicity',
      ),
      spotMoveWindowMs: field('STRATEGY_TOXICITY_SPOT_MOVE_WINDOW_MS', int(5_000, 1), 'window of that move'),
      vpinBucketVolume: field(
        'STRATEGY_TOXICITY_VPIN_BUCKET',
        num(100, (n) => n.positive()),
        'VPIN bucket size (shares)',
      ),
      vpinBuckets: field('STRATEGY_TOXICITY_VPIN_BUCKETS', int(10, 1), 'VPIN buckets'),
      vpinThreshold: field(
        'STRATEGY_TOXICITY_VPIN',
        num(0.77, (n) => n.min(0).max(1)),
        'VPIN that flags toxicity',
      ),
      bookSpeedThreshold: field(
        'STRATEGY_TOXICITY_BOOK_SPEED',
        num(1.8, (n) => n.positive()),
        'book change speed ratio that flags toxicity',
      ),
      bookSpeedShortMs: field('STRATEGY_TOXICITY_BOOK_SPEED_SHORT_MS', int(2_000, 1), 'short window of the book speed'),
      bookSpeedLongMs: field('STRATEGY_TOXICITY_BOOK_SPEED_LONG_MS', int(60_000, 1), 'long window of the book speed'),
      bookSpeedMinChanges: field('STRATEGY_TOXICITY_BOOK_SPEED_MIN_CHANGES', int(10, 0), 'book changes before the speed counts'),
    },
  },
  risk: {
    bankrollUsd: field(
      'RISK_BANKROLL_USD',
      num(1_000, (n) => n.positive()),
      'starting bankroll (pUSD)',
    ),
    kellyFraction: field(
      'RISK_KELLY_FRACTION',
      num(0.25, (n) => n.gt(0).max(1)),
      'fraction of the Kelly stake',
    ),
    maxOrderUsd: field(
      'RISK_MAX_ORDER_USD',
      num(25, (n) => n.positive()),
      'largest order',
    ),
    maxMarketExposureUsd: field(
      'RISK_MAX_MARKET_EXPOSURE_USD',
      num(50, (n) => n.positive()),
      'largest exposure in one market',
    ),
    maxAssetExposureUsd: field(
      'RISK_MAX_ASSET_EXPOSURE_USD',
      num(100, (n) => n.positive()),
      'largest exposure in one asset',
    ),
    maxTotalExposureUsd: field(
      'RISK_MAX_TOTAL_EXPOSURE_USD',
      num(200, (n) => n.positive()),
      'largest total exposure',
    ),
    maxBankrollShare: field(
      'RISK_MAX_BANKROLL_SHARE',
      num(0.05, (n) => n.gt(0).max(1)),
      'largest share of the bankroll in one order',
    ),
    maxOracleAgeMs: field('RISK_MAX_ORACLE_AGE_MS', int(5_000, 1), 'refuse signals priced on an older oracle'),
    maxSignalAgeMs: field('RISK_MAX_SIGNAL_AGE_MS', int(5_000, 1), 'refuse older signals'),
    maxBookAgeMs: field('RISK_MAX_BOOK_AGE_MS', int(5_000, 1), 'refuse signals priced on an older book'),
    maxSpread: field(
      'RISK_MAX_SPREAD',
      num(0.1, (n) => n.positive().max(1)),
      'refuse wider spreads',
    ),
    minSecondsToExpiry: field(
      'RISK_MIN_SECONDS_TO_EXPIRY',
      num(10, (n) => n.nonnegative()),
      'refuse closer to the window end',
    ),
    toxicity: field('RISK_TOXICITY', z.enum(['block', 'shrink', 'ignore']).default('block'), 'what a toxicity flag does'),
    maxDailyLossUsd: field(
      'RISK_MAX_DAILY_LOSS_USD',
      num(100, (n) => n.positive()),
      'breaker: daily loss (UTC day)',
    ),
    maxConsecutiveLosses: field('RISK_MAX_CONSECUTIVE_LOSSES', int(8, 1), 'breaker: losses in a row'),
    maxErrors: field('RISK_MAX_ERRORS', int(10, 1), 'breaker: errors within errorWindowMs'),
    errorWindowMs: field('RISK_ERROR_WINDOW_MS', int(60_000, 1), 'breaker: error window'),
    cooldownMs: field('RISK_COOLDOWN_MS', int(300_000, 0), 'breaker: cooldown after a loss-streak trip'),
    venueMaxAgeMs: field('RISK_VENUE_MAX_AGE_MS', int(15_000, 1), "size on execution's venue account (bankroll, available pUSD) when at most this old"),
    reconcileMs: field('RISK_RECONCILE_MS', int(15_000, 1_000), 'how often the ledger is reconciled against the venue account'),
    reconcileToleranceUsd: field(
      'RISK_RECONCILE_TOLERANCE_USD',
      num(1, (n) => n.positive()),
      'breaker: ledger and venue account apart by more than this on two account reads in a row',
    ),
    reconcileGraceMs: field('RISK_RECONCILE_GRACE_MS', int(2_000, 0), 'an account is reconciled once this old (the events before it have arrived)'),
  },
  execution: {
    maxOrderUsd: field(
      'EXEC_MAX_ORDER_USD',
      num(50, (n) => n.positive()),
      "execution's own hard limit: largest order (apart from risk's)",
    ),
    maxMarketExposureUsd: field(
      'EXEC_MAX_MARKET_EXPOSURE_USD',
      num(100, (n) => n.positive()),
      "execution's own hard limit: exposure in one market",
    ),
    maxTotalExposureUsd: field(
      'EXEC_MAX_TOTAL_EXPOSURE_USD',
      num(400, (n) => n.positive()),
      "execution's own hard limit: total exposure",
    ),
    maxOrderAgeMs: field('EXEC_MAX_ORDER_AGE_MS', int(30_000, 1), 'orders older than this are never sent (or re-sent)'),
    clockSkewMs: field('EXEC_CLOCK_SKEW_MS', int(2_000, 0, 60_000), 'clock-skew allowance of that age check'),
    pollMs: field('EXEC_POLL_MS', int(1_000, 200), 'order status poll'),
    heartbeatMs: field('EXEC_HEARTBEAT_MS', int(5_000, 1_000, 9_000), 'venue heartbeat'),
    cancelBeforeEndMs: field('EXEC_CANCEL_BEFORE_END_MS', int(5_000, 0), 'cancel resting orders this long before the window end'),
    settleAfterMs: field('EXEC_SETTLE_AFTER_MS', int(3_000, 0), 'settle this long after the window end'),
    leaseTtlMs: field('EXEC_LEASE_TTL_MS', int(10_000, 2_000), 'execution lease time-to-live'),
    leaseWaitMs: field('EXEC_LEASE_WAIT_MS', int(30_000, 0), 'how long a second execution process waits for the lease'),
    cancelOnShutdown: field('EXEC_CANCEL_ON_SHUTDOWN', bool(true), 'cancel open orders on a clean stop'),
    venueTimeoutMs: field('EXEC_VENUE_TIMEOUT_MS', int(10_000, 500), 'venue request timeout'),
    ordersPerSecond: field(
      'EXEC_ORDERS_PER_S',
      num(40, (n) => n.positive()),
      "local mirror of the venue's order rate limit",
    ),
    orderBurst: field('EXEC_ORDER_BURST', int(60, 1), 'its burst'),
    rateLimitBackoffMs: field('EXEC_RATE_LIMIT_BACKOFF_MS', int(1_000, 100), 'back-off after a 429'),
    paperTakerDelayMs: field('EXEC_PAPER_TAKER_DELAY_MS', int(250, 0), 'paper venue: taker delay'),
    paperConfirmMs: field('EXEC_PAPER_CONFIRM_MS', int(5_000, 0), 'paper venue: time to confirm a trade'),
    paperBalanceUsd: field(
      'EXEC_PAPER_BALANCE_USD',
      num(1_000, (n) => n.positive()),
      'paper venue: simulated pUSD balance',
    ),
    accountMs: field('EXEC_ACCOUNT_MS', int(2_000, 500), 'how often the venue account (pUSD after /balance-allowance/update) is read and published'),
    accountMaxAgeMs: field('EXEC_ACCOUNT_MAX_AGE_MS', int(30_000, 1_000), 'no buy is signed on a pUSD balance older than this'),
    retainHours: field(
      'EXEC_RETAIN_HOURS',
      num(24, (n) => n.nonnegative().max(24 * 30)),
      'a frozen order leaves memory this long after its window (it stays on disk, found by id); bounds the heap',
    ),
  },
  live: {
    confirm: field('POLYBOT_LIVE', z.string().optional(), 'must be `I_UNDERSTAND_REAL_MONEY` for live orders'),
    privateKey: field('POLYBOT_PRIVATE_KEY', z.string().optional(), 'signing key (environment only, never in the file)', { secret: true, envOnly: true }),
    privateKeyFile: field('POLYBOT_PRIVATE_KEY_FILE', z.string().min(1).optional(), 'file holding the signing key'),
    signatureType: field(
      'POLYBOT_SIGNATURE_TYPE',
      int(undefined, 0, 3),
      '3 deposit wallet (every account since 2026-05-04), 1 Polymarket proxy, 2 Gnosis Safe, 0 legacy EOA',
    ),
    funderAddress: field(
      'POLYBOT_FUNDER_ADDRESS',
      z
        .string()
        .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x address')
        .optional(),
      'the wallet holding the pUSD (types 1-3: your Polymarket wallet address)',
    ),
    manualRedeem: field(
      'POLYBOT_MANUAL_REDEEM',
      bool(false),
      'live without a relayer (not a deposit wallet, or no Relayer API key): you redeem winners and merge pairs by hand; each redemption due is alerted',
    ),
    relayer: {
      url: field(
        'POLYBOT_RELAYER_URL',
        url(),
        'relayer for redemptions, merges and approvals (default: the sim venue on `sim`, https://relayer-v2.polymarket.com otherwise)',
      ),
      apiKey: field('POLYBOT_RELAYER_API_KEY', z.string().min(1).optional(), 'Relayer API key (type 3; made in the Polymarket app)', { secret: true }),
      apiKeyAddress: field(
        'POLYBOT_RELAYER_API_KEY_ADDRESS',
        z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x address')
          .optional(),
        "the address that Relayer API key belongs to (default: the signing key's)",
      ),
    },
  },
  dashboard: {
    port: field('POLYBOT_DASHBOARD_PORT', int(3000, 1, 65535), 'status page, Bull Board and `/api`'),
    host: field('POLYBOT_DASHBOARD_HOST', z.string().min(1).default('127.0.0.1'), 'bind address'),
    user: field('POLYBOT_DASHBOARD_USER', z.string().min(1).optional(), 'basic-auth user'),
    password: field('POLYBOT_DASHBOARD_PASSWORD', z.string().min(8, 'at least 8 characters').optional(), 'basic-auth password', { secret: true }),
    readOnly: field('POLYBOT_DASHBOARD_READONLY', bool(true), 'Bull Board read-only'),
  },
  alerts: {
    webhookUrl: field('POLYBOT_ALERT_WEBHOOK_URL', url(), 'Slack/Discord-compatible webhook', { secret: true }),
    telegram: {
      botToken: field('POLYBOT_TELEGRAM_BOT_TOKEN', z.string().min(10).optional(), 'Telegram bot token', { secret: true }),
      chatId: field('POLYBOT_TELEGRAM_CHAT_ID', z.string().min(1).optional(), 'the one chat alerts go to and commands are taken from'),
      apiUrl: field('POLYBOT_TELEGRAM_API_URL', url(), 'Telegram Bot API base (default https://api.telegram.org)'),
      commands: field('POLYBOT_TELEGRAM_COMMANDS', bool(true), 'answer /status, /daily, /halt, /resume from chatId'),
    },
    fills: field('POLYBOT_ALERT_FILLS', bool(false), 'alert on every fill (once per trade)'),
    trips: field('POLYBOT_ALERT_TRIPS', bool(true), 'alert on breaker trips, halts and resumes'),
    errors: field(
      'POLYBOT_ALERT_ERRORS',
      bool(true),
      'alert on venue rejections, lost heartbeats, hard-limit refusals, trades failed on chain, money stuck, events set aside',
    ),
    settlements: field('POLYBOT_ALERT_SETTLEMENTS', bool(true), 'alert on each settled window, redemption and merge'),
    daily: field('POLYBOT_ALERT_DAILY', bool(true), "a summary of each UTC day (that day's PnL) after it ends"),
  },
  backtest: {
    latencyMs: field('BACKTEST_LATENCY_MS', int(0, 0, 600_000), 'signal to fill, taker delay included'),
    stepMinutes: field(
      'BACKTEST_STEP_MINUTES',
      z
        .string()
        .default('1,3,5,7,9,11,13')
        .transform((s) => s.split(',').map((x) => Number(x.trim())))
        .pipe(z.array(z.number().int().min(1).max(14)).min(1)),
      'minutes into each window at which the strategy runs',
    ),
    twapSeconds: field(
      'BACKTEST_TWAP_SECONDS',
      num(0, (n) => n.min(0).max(900)),
      'settlement TWAP (0: point price)',
    ),
    seed: field('BACKTEST_SEED', z.coerce.number().int().default(1), 'random seed of the book model'),
    book: {
      lagSteps: field('BACKTEST_BOOK_LAG_STEPS', int(1, 0), 'the modelled maker quotes on the spot this many minutes old'),
      noiseSd: field(
        'BACKTEST_BOOK_NOISE_SD',
        num(0.02, (n) => n.min(0)),
        "noise of the maker's fair value",
      ),
      bias: field('BACKTEST_BOOK_BIAS', num(0), "bias of the maker's fair value"),
      spread: field(
        'BACKTEST_BOOK_SPREAD',
        num(0.02, (n) => n.min(0.01)),
        'maker spread',
      ),
      depth: field(
        'BACKTEST_BOOK_DEPTH',
        num(200, (n) => n.positive()),
        'shares per level',
      ),
      levels: field('BACKTEST_BOOK_LEVELS', int(3, 1), 'levels per side'),
      makerSigma: field(
        'BACKTEST_BOOK_MAKER_SIGMA',
        num(0.6, (n) => n.positive()),
        "the maker's volatility",
      ),
    },
  },
} satisfies Section;

export interface FieldEntry {
  /** Dotted path in the file: `risk.maxOrderUsd`. */
  key: string;
  field: Field;
}

/** Every field, depth first, in the order of SETTINGS. */
export function fieldEntries(section: Section = SETTINGS, prefix = ''): FieldEntry[] {
  return Object.entries(section).flatMap(([k, v]) =>
    (v as Field).kind === 'field' ? [{ key: `${prefix}${k}`, field: v as Field }] : fieldEntries(v as Section, `${prefix}${k}.`),
  );
}

/** Cross-field rules, each naming the field it blames. */
const CHECKS: Array<{ key: string; test: (v: Record<string, unknown>) => boolean; message: string }> = [
  {
    key: 'alerts.telegram.chatId',
    test: (v) => (v['alerts.telegram.botToken'] === undefined) === (v['alerts.telegram.chatId'] === undefined),
    message: 'set both alerts.telegram.botToken (POLYBOT_TELEGRAM_BOT_TOKEN) and alerts.telegram.chatId (POLYBOT_TELEGRAM_CHAT_ID), or neither',
  },
  {
    key: 'dashboard.password',
    test: (v) => (v['dashboard.user'] === undefined) === (v['dashboard.password'] === undefined),
    message: 'set both dashboard.user (POLYBOT_DASHBOARD_USER) and dashboard.password (POLYBOT_DASHBOARD_PASSWORD), or neither',
  },
];

export type Source = 'env' | 'file' | 'default';

export interface ResolvedSettings {
  /** The file read, if any. */
  file: string | null;
  /** Typed values by dotted key. */
  values: Record<string, unknown>;
  sources: Record<string, Source>;
  /** The text each set field contributes to the environment (file and env values, not defaults). */
  env: Record<string, string>;
}

/** The file's path: POLYBOT_CONFIG, else ./polybot.config.yaml (or .yml / .json) when one exists. */
export function configFilePath(env: Env, cwd = process.cwd()): string | null {
  if (env.POLYBOT_CONFIG) return path.resolve(cwd, env.POLYBOT_CONFIG);
  for (const name of ['polybot.config.yaml', 'polybot.config.yml', 'polybot.config.json']) {
    const p = path.join(cwd, name);
    if (existsSync(p)) return p;
  }
  return null;
}

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]);

/** A file value in the variable's text form: numbers as written, booleans `true`/`false`, lists comma-separated. */
function asText(v: z.infer<typeof ScalarSchema>): string | undefined {
  if (v === null) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

function readFileObject(file: string): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { error: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  try {
    return { value: file.endsWith('.json') ? JSON.parse(text) : parseYaml(text) };
  } catch (err) {
    return { error: `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Walks a parsed file against SETTINGS: unknown keys and wrong shapes are errors, leaves become text. */
function flattenFile(obj: unknown, section: Section, prefix: string, out: Map<string, string>, errors: string[]): void {
  if (obj === null || obj === undefined) return;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    errors.push(`  ${prefix ? prefix.slice(0, -1) : '(file)'}: expected a section of fields, got ${JSON.stringify(obj)}`);
    return;
  }
  for (const [k, v] of Object.entries(obj)) {
    const key = `${prefix}${k}`;
    const spec = section[k];
    if (!spec) {
      const known = Object.keys(section).join(', ');
      errors.push(`  ${key}: unknown field (${prefix ? `${prefix.slice(0, -1)} has` : 'top-level fields are'}: ${known})`);
    } else if ((spec as Field).kind === 'field') {
      const f = spec as Field;
      if (f.envOnly) {
        errors.push(`  ${key}: may only be given in the environment (${f.env}), never in a file`);
        continue;
      }
      const scalar = ScalarSchema.safeParse(v);
      if (!scalar.success) errors.push(`  ${key} (${f.env}): expected a value, got ${JSON.stringify(v)}`);
      else {
        const text = asText(scalar.data);
        if (text !== undefined) out.set(key, text);
      }
    } else flattenFile(v, spec as Section, `${key}.`, out, errors);
  }
}

/**
 * The effective configuration: the environment over the file over the defaults. Throws one
 * CONFIG_INVALID error naming every bad field (with its variable and where the value came from).
 */
export function resolveSettings(env: Env, opts: { cwd?: string } = {}): ResolvedSettings {
  const errors: string[] = [];
  const file = configFilePath(env, opts.cwd);
  const fromFile = new Map<string, string>();
  if (file) {
    const read = readFileObject(file);
    if ('error' in read) errors.push(`  ${read.error}`);
    else flattenFile(read.value, SETTINGS, '', fromFile, errors);
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  const projected: Record<string, string> = {};
  for (const { key, field: f } of fieldEntries()) {
    const envText = env[f.env];
    const fromEnv = envText !== undefined && envText !== '';
    const text = fromEnv ? envText : fromFile.get(key);
    const source: Source = fromEnv ? 'env' : text !== undefined ? 'file' : 'default';
    const parsed = f.schema.safeParse(text);
    if (!parsed.success) {
      const shown = f.secret ? '[redacted]' : JSON.stringify(text);
      errors.push(
        `  ${key} (${f.env}): ${parsed.error.issues.map((i) => i.message).join('; ')} (got ${shown} from ${source === 'env' ? 'the environment' : file})`,
      );
      continue;
    }
    values[key] = parsed.data;
    sources[key] = source;
    if (text !== undefined) projected[f.env] = text;
  }
  for (const c of CHECKS) if (!errors.length && !c.test(values)) errors.push(`  ${c.key}: ${c.message}`);
  if (errors.length) throw new PolybotError('CONFIG_INVALID', `invalid configuration${file ? ` (file ${file})` : ''}:\n${errors.join('\n')}`);
  return { file, values, sources, env: projected };
}

/**
 * For entry points: validates the whole configuration and copies the file's values into `env`
 * (the environment keeps precedence), so every worker's own schema reads the same values.
 */
export function applyConfigFile(env: Env = process.env, opts: { cwd?: string } = {}): ResolvedSettings {
  const resolved = resolveSettings(env, opts);
  for (const [name, text] of Object.entries(resolved.env)) if (env[name] === undefined || env[name] === '') env[name] = text;
  return resolved;
}

/** A value for display: secrets redacted, passwords in URLs removed. */
export function displayValue(f: Field, value: unknown): unknown {
  if (value === undefined) return null;
  if (f.secret) return '[redacted]';
  if (typeof value === 'string' && /^[a-z+]+:\/\//i.test(value))
    return value
      .replace(/(sentinelPassword=)[^&]*/g, '$1[redacted]')
      .replace(/^([a-z+]+:\/\/)([^:/@]*)(:[^@/]*)?@/i, (_m, p: string, u: string, pw?: string) => `${p}${u}${pw ? ':[redacted]' : ''}@`);
  if (typeof value === 'string' && /^(true|false)$/.test(value)) return value === 'true';
  return value;
}

/** The effective configuration as a nested object, in the file's shape, secrets redacted. */
export function effectiveConfig(resolved: ResolvedSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, field: f } of fieldEntries()) {
    const parts = key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = displayValue(f, resolved.values[key]);
  }
  return out;
}

/** Defaults for documentation: the text form of each field's default, or null when it has none. */
export function defaultOf(f: Field): unknown {
  const parsed = f.schema.safeParse(undefined);
  return parsed.success ? (displayValue({ ...f, secret: false }, parsed.data) ?? null) : null;
}

function yamlScalar(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlScalar).join(', ')}]`;
  if (typeof v === 'string')
    return /^[A-Za-z0-9_./:-]+$/.test(v) && !/^(true|false|null|yes|no|on|off|~)$/i.test(v) && Number.isNaN(Number(v)) ? v : JSON.stringify(v);
  return String(v);
}

/** The documented config file: every field at its default, with its variable; fields without a default commented out. */
export function exampleConfigFile(): string {
  const lines = [
    '# polybot configuration: every field with its default, commented out. Copy this file to',
    '# polybot.config.yaml (read from the working directory) or point POLYBOT_CONFIG at your copy, and',
    '# uncomment what you change. The environment variable named beside each field overrides it.',
    '# The same file runs sim, paper, live and the backtest (`polybot backtest --config <file>`).',
    '# `polybot config` prints the effective configuration. Generated by `polybot config --example`.',
  ];
  const walk = (section: Section, indent: string) => {
    for (const [k, v] of Object.entries(section)) {
      if ((v as Field).kind !== 'field') {
        lines.push('', `${indent}${k}:`);
        walk(v as Section, `${indent}  `);
        continue;
      }
      const f = v as Field;
      lines.push(`${indent}# ${f.doc} (${f.env})`);
      if (f.envOnly) {
        lines.push(`${indent}# (${k} is set in the environment only)`);
        continue;
      }
      const d = defaultOf(f);
      lines.push(`${indent}# ${k}:${d === null ? '' : ` ${yamlScalar(d)}`}`);
    }
  };
  walk(SETTINGS, '');
  return `${lines.join('\n')}\n`;
}

/** `.env.example`: every variable, commented out, at its default. */
export function exampleEnvFile(): string {
  const lines = [
    '# polybot environment: copy to .env and uncomment what you change. Every variable overrides the',
    '# config file field named beside it (see polybot.config.example.yaml and `polybot config`).',
    '# docker compose reads .env itself and, through the next line, passes it to every worker (env_file).',
    'POLYBOT_ENV_FILE=.env',
    '# The config file mounted into the containers (default: polybot.config.example.yaml).',
    '# POLYBOT_CONFIG_FILE=./polybot.config.yaml',
    '# Generated by `polybot config --env-example`; keep it in step (a test compares).',
  ];
  let section = '';
  for (const { key, field: f } of fieldEntries()) {
    const top = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : 'general';
    if (top !== section) lines.push('', `# --- ${(section = top)} ---`);
    const d = defaultOf(f);
    lines.push(`# ${key}: ${f.doc}`, `# ${f.env}=${d === null ? '' : Array.isArray(d) ? d.join(',') : String(d)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The README's configuration table: field, variable, default, meaning. */
export function configTable(): string {
  const rows = fieldEntries().map(({ key, field: f }) => {
    const d = f.envOnly ? '(environment only)' : defaultOf(f);
    const shown = d === null ? '—' : `\`${Array.isArray(d) ? d.join(',') : String(d)}\``;
    return `| \`${key}\` | \`${f.env}\` | ${shown} | ${f.doc.replace(/\|/g, '\\|')} |`;
  });
  return ['| field | variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
