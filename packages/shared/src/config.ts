import path from 'node:path';
import { z } from 'zod';
import { PolybotError } from './errors.js';
import { VenueSchema } from './domain/primitives.js';
import { hasHashTag, parseRedisUrl, redactRedisUrl, RedisUrlSchema, withRedisCredentials } from './redisUrl.js';

/** Where each venue's APIs live unless overridden. `sim` points at the local venue. */
export const POLYMARKET_HOSTS = {
  gamma: 'https://gamma-api.polymarket.com',
  clob: 'https://clob.polymarket.com',
  oracle: 'wss://ws-live-data.polymarket.com',
} as const;

const intFromEnv = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);

/** Variables every process reads. Packages extend this with their own (see `extendConfig`). */
export const BaseEnvSchema = z.object({
  /** One server, a Cluster or a Sentinel set: the URL forms are in redis.ts (and the README, "More than one machine"). */
  REDIS_URL: RedisUrlSchema.default('redis://127.0.0.1:6379'),
  /** Redis ACL user and password (compose and `polybot start` run Redis with them); never logged. */
  REDIS_USERNAME: z
    .string()
    .regex(/^[^\s:@/]{1,64}$/, 'a user name without spaces, ":", "@" or "/"')
    .optional(),
  REDIS_PASSWORD: z.string().min(16, 'at least 16 characters').max(512).optional(),
  POLYBOT_VENUE: VenueSchema.default('sim'),
  POLYBOT_DATA_DIR: z.string().min(1).default('.polybot'),
  POLYBOT_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9{}_-]{1,64}$/, 'letters, digits, {}, _ or - (up to 64)')
    .default('{polybot}'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIM_VENUE_PORT: intFromEnv(4010, 1, 65535),
  POLYBOT_GAMMA_URL: z.string().url().optional(),
  POLYBOT_CLOB_URL: z.string().url().optional(),
  POLYBOT_ORACLE_URL: z.string().url().optional(),
  POLYBOT_METRICS_PORT: intFromEnv(0, 0, 65535),
});

export interface BaseConfig {
  redisUrl: string;
  venue: z.infer<typeof VenueSchema>;
  dataDir: string;
  queuePrefix: string;
  logLevel: z.infer<typeof BaseEnvSchema>['LOG_LEVEL'];
  simVenuePort: number;
  gammaUrl: string;
  clobUrl: string;
  oracleUrl: string;
  metricsPort: number;
}

export type Env = Record<string, string | undefined>;

/** Parses env with a zod schema; on failure, one message naming every bad variable and what it expects. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  // Empty strings mean "unset": a blank line in an .env file must not count as a value.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const got = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
    return `  ${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(redactIfSecret(String(issue.path[0]), got))})`}`;
  });
  throw new PolybotError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
}

function redactIfSecret(name: string, value: string): string {
  if (/KEY|SECRET|PASS|TOKEN/i.test(name)) return '[redacted]';
  // A Redis URL may carry a password (user:password@ or ?sentinelPassword=).
  if (name === 'REDIS_URL') return redactRedisUrl(value);
  return value;
}

export function baseConfigFrom(raw: z.infer<typeof BaseEnvSchema>): BaseConfig {
  // BullMQ on a Cluster needs every key of a queue in one slot: the prefix must carry a hash tag.
  if (parseRedisUrl(raw.REDIS_URL).kind === 'cluster' && !hasHashTag(raw.POLYBOT_QUEUE_PREFIX)) {
    throw new PolybotError(
      'CONFIG_INVALID',
      `invalid configuration:\n  POLYBOT_QUEUE_PREFIX: on a Redis Cluster the prefix needs a hash tag such as {polybot} (got ${JSON.stringify(raw.POLYBOT_QUEUE_PREFIX)})`,
    );
  }
  let redisUrl: string;
  if (raw.REDIS_USERNAME !== undefined && raw.REDIS_PASSWORD === undefined)
    throw new PolybotError('CONFIG_INVALID', 'invalid configuration:\n  REDIS_PASSWORD: REDIS_USERNAME is set, so its password is needed too');
  try {
    redisUrl = withRedisCredentials(raw.REDIS_URL, raw.REDIS_USERNAME, raw.REDIS_PASSWORD);
  } catch (err) {
    throw new PolybotError('CONFIG_INVALID', `invalid configuration:\n  REDIS_URL: ${(err as Error).message}`);
  }
  const sim = raw.POLYBOT_VENUE === 'sim';
  const simUrl = `http://127.0.0.1:${raw.SIM_VENUE_PORT}`;
  return {
    redisUrl,
    venue: raw.POLYBOT_VENUE,
    dataDir: path.resolve(raw.POLYBOT_DATA_DIR),
    queuePrefix: raw.POLYBOT_QUEUE_PREFIX,
    logLevel: raw.LOG_LEVEL,
    simVenuePort: raw.SIM_VENUE_PORT,
    gammaUrl: raw.POLYBOT_GAMMA_URL ?? (sim ? simUrl : POLYMARKET_HOSTS.gamma),
    clobUrl: raw.POLYBOT_CLOB_URL ?? (sim ? simUrl : POLYMARKET_HOSTS.clob),
    oracleUrl: raw.POLYBOT_ORACLE_URL ?? (sim ? simUrl : POLYMARKET_HOSTS.oracle),
    metricsPort: raw.POLYBOT_METRICS_PORT,
  };
}

export function loadBaseConfig(env: Env = process.env): BaseConfig {
  return baseConfigFrom(parseEnv(BaseEnvSchema, env));
}

/**
 * For process entry points: a bad config prints one clear message and exits non-zero at once,
 * with no stack trace, so a supervisor never sees a crash loop it could mistake for a bug.
 */
export function configOrExit<T>(load: () => T, processName: string): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof PolybotError && err.code === 'CONFIG_INVALID') {
      process.stderr.write(`polybot ${processName}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
