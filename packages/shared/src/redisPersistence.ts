/**
 * Paper and live keep money state in Redis (the risk ledger, the breaker, reservations): a Redis
 * that forgets on restart would reset the bankroll, the day's losses and a manual halt. So they
 * refuse to start unless every data node writes an append-only file (AOF).
 */
import { z } from 'zod';
import { PolybotError } from './errors.js';
import { masters, type RedisClient } from './redis.js';

/** The fields of `INFO persistence` we read (Redis 5+ writes both). */
const PersistenceInfoSchema = z.object({
  aof_enabled: z.enum(['0', '1']),
  aof_last_write_status: z.string().optional(),
});

/** `INFO` text → its `key:value` lines. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** What is wrong with one node's `INFO persistence`, or null when it writes an AOF. */
export function aofProblem(infoText: string): string | null {
  const parsed = PersistenceInfoSchema.safeParse(parseInfo(infoText));
  if (!parsed.success) return 'its INFO persistence has no aof_enabled field';
  if (parsed.data.aof_enabled !== '1') return 'it has no AOF persistence (appendonly no)';
  if (parsed.data.aof_last_write_status !== undefined && parsed.data.aof_last_write_status !== 'ok')
    return `its last AOF write failed (aof_last_write_status:${parsed.data.aof_last_write_status})`;
  return null;
}

/** The problem with the Redis persistence (every master of a Cluster is asked), or null when all write an AOF. */
export async function redisPersistenceProblem(redis: RedisClient): Promise<string | null> {
  const nodes = await masters(redis);
  if (nodes.length === 0) return 'no Redis Cluster master is known yet';
  for (const node of nodes) {
    let text: string;
    try {
      text = await node.info('persistence');
    } catch (err) {
      return `INFO persistence failed (${(err as Error).message}); the Redis user needs the INFO command`;
    }
    const problem = aofProblem(text);
    if (problem) return `Redis at ${node.options.host ?? '?'}:${node.options.port ?? '?'}: ${problem}`;
  }
  return null;
}

/**
 * Paper and live: refuse (CONFIG_INVALID, so the process exits 2 with the message and no restart
 * loop) unless Redis writes an AOF. The sim may run on a throwaway Redis.
 */
export async function requireDurableRedis(redis: RedisClient, venue: 'sim' | 'paper' | 'live', timeoutMs = 15_000): Promise<void> {
  if (venue === 'sim') return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`Redis did not answer INFO persistence within ${timeoutMs} ms (is it up, and are REDIS_USERNAME/REDIS_PASSWORD right?)`),
      timeoutMs,
    );
  });
  const problem = await Promise.race([redisPersistenceProblem(redis), timeout]).finally(() => clearTimeout(timer));
  if (problem === null) return;
  throw new PolybotError(
    'CONFIG_INVALID',
    `${venue} trading refused: ${problem}. The risk ledger, the day's losses and halts live in Redis and would be lost on a restart. ` +
      'Fix: run Redis with `--appendonly yes` (docker-compose.yml and `polybot start` do), or on a running server ' +
      '`CONFIG SET appendonly yes` then `CONFIG REWRITE`.',
  );
}
