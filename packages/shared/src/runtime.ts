import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { configOrExit, loadBaseConfig, type BaseConfig, type Env } from './config.js';
import { redisKeys } from './keys.js';
import { createLogger } from './logger.js';
import type { QueueContext } from './queues.js';
import { createRedis } from './redis.js';
import { Shutdown } from './shutdown.js';

export const WORKER_KINDS = ['discovery', 'analysis', 'risk', 'execution', 'dashboard', 'sim-venue'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface WorkerRuntime {
  kind: WorkerKind;
  id: string;
  config: BaseConfig;
  logger: Logger;
  redis: Redis;
  queues: QueueContext;
  shutdown: Shutdown;
}

/**
 * The thin shell every worker process starts with: validated config (bad config exits at once),
 * a logger, one Redis connection, graceful shutdown, and a liveness key other processes can see.
 */
export function startWorkerRuntime(kind: WorkerKind, env: Env = process.env): WorkerRuntime {
  const config = configOrExit(() => loadBaseConfig(env), kind);
  const logger = createLogger({ name: kind, level: config.logLevel });
  const redis = createRedis(config.redisUrl, { logger, name: `polybot-${kind}` });
  const shutdown = new Shutdown(logger).listen();
  const id = `${os.hostname()}-${process.pid}`;
  const keys = redisKeys(config.queuePrefix);
  const beat = () =>
    redis
      .set(keys.workerHeartbeat(kind, id), JSON.stringify({ kind, id, pid: process.pid, atMs: Date.now() }), 'EX', 15)
      .catch(() => undefined);
  void beat();
  const timer = setInterval(beat, 5_000);
  timer.unref();
  shutdown.add('redis', async () => {
    clearInterval(timer);
    await redis.del(keys.workerHeartbeat(kind, id)).catch(() => undefined);
    await redis.quit().catch(() => undefined);
  });
  logger.info({ venue: config.venue, prefix: config.queuePrefix, dataDir: config.dataDir }, `${kind} worker starting`);
  return { kind, id, config, logger, redis, queues: { connection: redis, prefix: config.queuePrefix, logger }, shutdown };
}
