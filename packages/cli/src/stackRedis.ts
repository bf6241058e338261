/**
 * The Redis `polybot start` spawns when none is given: with an append-only file in the data
 * directory (a restart keeps the risk ledger, the day's losses and halts) and one ACL user with a
 * generated password instead of the default user (which is switched off).
 *
 * The password is made on first start and kept in `<dataDir>/redis/secret.json` (mode 0600); the
 * config file holds only its SHA-256. Neither is ever printed: the URL shown on the terminal is redacted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PolybotError } from '@polybot/shared';
import { safeJson } from '@polybot/shared/status';

export const STACK_REDIS_USER = 'polybot';

/**
 * What the bot's user may do: everything on every key and channel except administration (CONFIG,
 * SHUTDOWN, ACL, DEBUG, MONITOR, replication…) and wiping data. BullMQ lists its workers with
 * CLIENT LIST (an admin command), so that one is allowed back; INFO (the AOF check) is not admin.
 */
export const BOT_ACL_RULES = '~* &* +@all -@admin +client|list -flushall -flushdb -swapdb';

const SecretSchema = z.object({ user: z.literal(STACK_REDIS_USER), password: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/) }).strict();
export type StackRedisSecret = z.infer<typeof SecretSchema>;

function writePrivate(file: string, body: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, body, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The user and password of the stack's Redis: read from the data directory, or made and kept there (0600). */
export function stackRedisSecret(dataDir: string): { secret: StackRedisSecret; file: string; generated: boolean } {
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'secret.json');
  if (existsSync(file)) {
    const parsed = SecretSchema.safeParse(safeJson(readFileSync(file, 'utf8')));
    if (!parsed.success)
      throw new PolybotError(
        'CONFIG_INVALID',
        `${file} is not a valid Redis secret (${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}); ` +
          'delete it to make a new one (the stack Redis then takes the new password)',
      );
    chmodSync(file, 0o600);
    return { secret: parsed.data, file, generated: false };
  }
  const secret: StackRedisSecret = { user: STACK_REDIS_USER, password: randomBytes(32).toString('base64url') };
  writePrivate(file, `${JSON.stringify(secret)}\n`);
  return { secret, file, generated: true };
}

/** The redis.conf of the stack's Redis (0600): AOF in `<dataDir>/redis`, the default user off, the bot's user by its password's hash. */
export function writeStackRedisConfig(dataDir: string, secret: StackRedisSecret): string {
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'redis.conf');
  const hash = createHash('sha256').update(secret.password).digest('hex');
  writePrivate(
    file,
    [
      '# Written by `polybot start` on every start; edit secret.json (or delete it) instead.',
      `dir ${JSON.stringify(dir)}`,
      // A second `polybot start` on the same data directory finds it (stackRedisRunning) instead of sharing the AOF.
      `pidfile ${JSON.stringify(path.join(dir, 'redis.pid'))}`,
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
      'user default off',
      `user ${secret.user} on #${hash} ${BOT_ACL_RULES}`,
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * The pid of a stack Redis already running on this data directory (its pidfile names a live
 * process), or null. Two servers appending to one AOF would corrupt it, so `polybot start` refuses.
 */
export function stackRedisRunning(dataDir: string): number | null {
  const file = path.join(dataDir, 'redis', 'redis.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
