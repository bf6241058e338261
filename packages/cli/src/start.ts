/**
 * `pnpm start`: the whole stack in one terminal on the sim venue (or paper/live when configured).
 * Redis: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a private redis-server.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { configOrExit, loadBaseConfig, parseEnv } from '@polybot/shared/config';
import { applyConfigFile } from '@polybot/shared/settings';
import { spawnRedisServer, type SpawnedRedis } from '@polybot/shared/redisServer';
import { redactRedisUrl } from '@polybot/shared/redis';
import { dashboardCredentials } from '@polybot/dashboard';
import { Stack, waitForHttp } from './stack.js';
import { stackRedisRunning, stackRedisSecret, writeStackRedisConfig } from './stackRedis.js';

const StartEnvSchema = z.object({
  ANALYSIS_WORKERS: z.coerce.number().int().min(1).max(32).default(1),
  POLYBOT_DASHBOARD_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  POLYBOT_METRICS_BASE_PORT: z.coerce.number().int().min(1024).max(65000).default(9100),
});

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * Which Redis the stack uses. A private redis-server is spawned with an AOF and an ACL user in
 * `<dataDir>/redis` (stackRedis.ts); its URL carries that user's password, so it is never printed as is.
 */
export async function resolveRedis(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ url: string; owned: SpawnedRedis | null; how: string }> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, owned: null, how: 'REDIS_URL' };
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local)) return { url: local, owned: null, how: 'the Redis on 127.0.0.1:6379' };
  const running = stackRedisRunning(dataDir);
  if (running !== null)
    throw new Error(
      `a Redis started by polybot (pid ${running}) already runs on ${path.join(dataDir, 'redis')}: another \`polybot start\` uses this data directory; stop it, or set POLYBOT_DATA_DIR`,
    );
  const { secret } = stackRedisSecret(dataDir);
  const configFile = writeStackRedisConfig(dataDir, secret);
  try {
    const owned = await spawnRedisServer(undefined, [], { configFile, auth: { user: secret.user, password: secret.password } });
    return { url: owned.url, owned, how: `a private redis-server (AOF and user ${secret.user} in ${path.dirname(configFile)})` };
  } catch {
    throw new Error(
      'no Redis: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (Debian: apt-get install redis-server; macOS: brew install redis)',
    );
  }
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_KEYS = ['slug', 'asset', 'signalId', 'orderId', 'state', 'reason', 'reasons', 'err', 'url'];

/** One compact, readable line per JSON log line. */
export function formatLine(name: string, line: string): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${name.padEnd(11)} ${line}`;
  }
  const time = typeof obj.time === 'string' ? obj.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  const level = LEVELS[Number(obj.level)] ?? String(obj.level ?? '');
  const extra = SHOWN_KEYS.filter((k) => obj[k] !== undefined)
    .map((k) => `${k}=${typeof obj[k] === 'string' ? obj[k] : JSON.stringify(obj[k])}`)
    .join(' ');
  return `${time} ${name.padEnd(11)} ${level.padEnd(5)} ${String(obj.msg ?? '')}${extra ? `  ${extra}` : ''}`;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { quiet: { type: 'boolean', default: false } } });
  configOrExit(() => applyConfigFile(process.env), 'start');
  const base = configOrExit(() => loadBaseConfig(), 'start');
  const extra = configOrExit(() => parseEnv(StartEnvSchema, process.env), 'start');
  const redis = await resolveRedis(process.env, base.dataDir);
  const logDir = path.join(base.dataDir, 'logs');
  // The dashboard is never open: a generated login (first start only) is shown here, on the
  // terminal, and not by the dashboard process, whose output also goes to its log file.
  const login = process.env.POLYBOT_DASHBOARD_USER ? null : dashboardCredentials(base.dataDir, null);
  let stopping = false;

  const stack = new Stack({
    // Our own Redis: its URL carries the credentials (separate ones from the environment would clash).
    env: { REDIS_URL: redis.url, ...(redis.owned ? { REDIS_USERNAME: '', REDIS_PASSWORD: '' } : {}), POLYBOT_DATA_DIR: base.dataDir, LOG_LEVEL: base.logLevel },
    logDir,
    restart: true,
    onLine: (name, line) => {
      if (!values.quiet) process.stdout.write(`${formatLine(name, line)}\n`);
    },
    onFatal: (name) => {
      process.stderr.write(`\npolybot: ${name} stopped on a configuration error (see above); shutting down.\n`);
      void shutdown(2);
    },
  });

  async function shutdown(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\npolybot: stopping every process…\n');
    await stack.stop();
    await redis.owned?.stop();
    process.exit(code);
  }
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let port = extra.POLYBOT_METRICS_BASE_PORT;
  const spec = (kind: Parameters<Stack['add']>[0]['kind'], index = 0) => ({
    kind,
    index,
    env: { POLYBOT_METRICS_PORT: String(port++) },
  });

  if (base.venue === 'sim') {
    stack.add(spec('sim-venue'));
    await waitForHttp(`http://127.0.0.1:${base.simVenuePort}/healthz`, 30_000);
  }
  stack.add(spec('execution'));
  stack.add(spec('risk'));
  for (let i = 0; i < extra.ANALYSIS_WORKERS; i++) stack.add(spec('analysis', i));
  stack.add(spec('discovery'));
  const dashboard = spec('dashboard');
  stack.add({ ...dashboard, env: { ...dashboard.env, POLYBOT_DASHBOARD_PORT: String(extra.POLYBOT_DASHBOARD_PORT) } });

  process.stdout.write(
    [
      '',
      `polybot is running on the ${base.venue} venue (Redis: ${redis.how}, ${redactRedisUrl(redis.url)})`,
      `  dashboard     http://localhost:${extra.POLYBOT_DASHBOARD_PORT}/          (status page)`,
      `  bull board    http://localhost:${extra.POLYBOT_DASHBOARD_PORT}/queues`,
      login?.generated
        ? `  login         user ${login.credentials.user}, password ${login.credentials.password}  (generated now, shown only this once; kept in ${login.file}, mode 0600)`
        : login
          ? `  login         user ${login.credentials.user}, password in ${login.file}`
          : '  login         POLYBOT_DASHBOARD_USER / POLYBOT_DASHBOARD_PASSWORD',
      base.venue === 'sim' ? `  sim venue     http://127.0.0.1:${base.simVenuePort}/sim/orders` : '',
      `  orders        ${path.join(base.dataDir, 'orders.db')}  (SQLite)`,
      `  logs          ${logDir}/`,
      '  Ctrl-C stops everything.',
      '',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`polybot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
