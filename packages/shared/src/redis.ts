import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * One way to open Redis. `maxRetriesPerRequest: null` is what BullMQ workers require:
 * commands wait for the reconnect instead of failing while Redis restarts.
 */
export function createRedis(url: string, opts: { logger?: Logger; name?: string; extra?: RedisOptions } = {}): Redis {
  let lastLog = 0;
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: opts.name,
    // Exponential backoff with jitter, capped, forever: a Redis restart must never kill a worker.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 7), 5_000) + Math.floor(Math.random() * 100),
    ...opts.extra,
  });
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLog > 5_000) {
      lastLog = now;
      opts.logger?.warn({ err: err.message, name: opts.name }, 'redis connection error');
    }
  });
  return redis;
}

export type { Redis } from 'ioredis';
