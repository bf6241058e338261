/**
 * The Redis `polybot start` spawns: no default user, one ACL user with a generated password (kept
 * 0600, the config holding only its hash), an append-only file that survives a restart, and a user
 * that can run the bot (BullMQ included) but not administer or wipe Redis.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsumer, Producer } from '@polybot/shared/queues';
import { requireDurableRedis } from '@polybot/shared/redisPersistence';
import { spawnRedisServer, type SpawnedRedis } from '@polybot/shared/redisServer';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { BOT_ACL_RULES, stackRedisRunning, stackRedisSecret, writeStackRedisConfig } from './stackRedis.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'polybot-stack-redis-'));
const started: SpawnedRedis[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const s of started) await s.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<SpawnedRedis> {
  const { secret } = stackRedisSecret(dataDir);
  const s = await spawnRedisServer(undefined, [], {
    configFile: writeStackRedisConfig(dataDir, secret),
    auth: { user: secret.user, password: secret.password },
  });
  started.push(s);
  return s;
}
/** A connection that gives up at once (no retries), so a refused login is an error, not a wait. */
function connect(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, enableReadyCheck: false });
  c.on('error', (e: Error) => errors.push(e.message));
  clients.push(c);
  return c;
}
const errors: string[] = [];

describe('the stack Redis of `polybot start`', () => {
  it('makes a password once, keeps it 0600 and puts only its hash in the config', () => {
    const first = stackRedisSecret(dataDir);
    expect(first.generated).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const again = stackRedisSecret(dataDir);
    expect(again.generated).toBe(false);
    expect(again.secret).toEqual(first.secret);
    const conf = writeStackRedisConfig(dataDir, first.secret);
    expect(statSync(conf).mode & 0o777).toBe(0o600);
    const text = readFileSync(conf, 'utf8');
    expect(text).not.toContain(first.secret.password);
    expect(text).toMatch(/^appendonly yes$/m);
    expect(text).toMatch(/^user default off$/m);
  });

  it('refuses the default user and a wrong password; the bot user runs queues, scripts and pub/sub but cannot administer or wipe Redis', async () => {
    const s = await start();
    const anon = connect(`redis://127.0.0.1:${s.port}`);
    await anon.connect().catch(() => undefined);
    await expect(anon.get('x')).rejects.toThrow(/NOAUTH/);
    const wrong = connect(`redis://polybot:${'x'.repeat(43)}@127.0.0.1:${s.port}`);
    await wrong.connect().catch((e: Error) => errors.push(e.message));
    await expect(wrong.get('x')).rejects.toThrow();
    expect(errors.join('\n')).toMatch(/WRONGPASS/);

    const bot = connect(s.url);
    await bot.connect();
    expect(await bot.set('{t}:k', 'v')).toBe('OK');
    expect(await bot.eval("return redis.call('GET', KEYS[1])", 1, '{t}:k')).toBe('v');
    expect(await bot.publish('{t}:chan', 'hi')).toBe(0);
    expect(await bot.client('LIST')).toMatch(/id=/);
    expect(await bot.info('persistence')).toMatch(/aof_enabled:1/);
    for (const denied of [
      () => bot.flushall(),
      () => bot.flushdb(),
      () => bot.config('GET', 'dir'),
      () => bot.call('ACL', 'LIST'),
      () => bot.call('BGREWRITEAOF'),
      () => bot.call('SHUTDOWN', 'NOSAVE'),
    ])
      await expect(denied()).rejects.toThrow(/NOPERM/);

    // BullMQ as the workers use it: a job added, taken and completed under the ACL user.
    const conn = new Redis(s.url, { maxRetriesPerRequest: null });
    conn.on('error', () => undefined);
    clients.push(conn);
    const ctx = { connection: conn, prefix: '{t}', logger: pino({ level: 'silent' }) };
    const ticks = new Producer('ticks', ctx);
    let resolveSeen: (task: string) => void = () => undefined;
    const seen = new Promise<string>((resolve) => (resolveSeen = resolve));
    const w = createConsumer('ticks', async (job) => resolveSeen(job.task), ctx);
    await ticks.add({ task: 'acl-check' }, 'acl-1');
    expect(await seen).toBe('acl-check');
    await w.close();
    await ticks.close();
    conn.disconnect();
  }, 30_000);

  it('is found by a second `polybot start` on the same data directory (its pidfile), and not once it stopped', async () => {
    expect(stackRedisRunning(dataDir)).toBe(started[0]!.child.pid);
    expect(stackRedisRunning(mkdtempSync(path.join(os.tmpdir(), 'polybot-stack-redis-none-')))).toBeNull();
  });

  it('keeps its data across a restart (AOF in the data directory) and passes the paper/live persistence check', async () => {
    const first = started[0]!;
    const c = connect(first.url);
    await c.connect();
    await c.set('{t}:breaker', '{"state":"open"}');
    await requireDurableRedis(c, 'live');
    c.disconnect();
    await first.stop();
    expect(stackRedisRunning(dataDir)).toBeNull();
    const second = await start();
    const d = connect(second.url);
    await d.connect();
    expect(await d.get('{t}:breaker')).toBe('{"state":"open"}');
  }, 30_000);
});

describe('docker-compose.yml runs Redis the same way', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
  };

  it('with an AOF, no default user and the same ACL rules, and every worker signing in with REDIS_PASSWORD', () => {
    const script = compose.services.redis!.command!.join(' ');
    expect(script).toMatch(/--appendonly yes/);
    expect(script).toContain('user default off');
    expect(script).toContain(`user polybot on #%s ${BOT_ACL_RULES}`);
    expect(script).not.toMatch(/requirepass|>\$/); // only the hash, never the password, in the ACL file
    expect(compose.services.redis!.environment!.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    for (const kind of ['sim-venue', 'discovery', 'analysis', 'risk', 'execution', 'dashboard']) {
      expect(compose.services[kind]!.environment!.REDIS_USERNAME).toBe('polybot');
      expect(compose.services[kind]!.environment!.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
      expect(compose.services[kind]!.environment!.REDIS_URL).not.toMatch(/@/);
    }
  });
});
