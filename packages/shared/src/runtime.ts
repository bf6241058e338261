import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { configOrExit, loadBaseConfig, type BaseConfig, type Env } from './config.js';
import { redisKeys } from './keys.js';
import { registry } from './metrics.js';
import { createLogger, registerSecret } from './logger.js';
import type { QueueContext } from './queues.js';
import { useRateLimiter } from './http.js';
import type { RateLimiter } from './rateLimit.js';
import { createRedisClient, type RedisClient } from './redis.js';
import { redisUrlSecrets } from './redisUrl.js';
import { RedisRateLimiter } from './redisRateLimit.js';
import { Shutdown } from './shutdown.js';

export const WORKER_KINDS = ['discovery', 'analysis', 'risk', 'execution', 'dashboard', 'sim-venue'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface WorkerRuntime {
  kind: WorkerKind;
  id: string;
  config: BaseConfig;
  logger: Logger;
  redis: RedisClient;
  /** The venue's rate limits, shared by every process through Redis (the HTTP layer already uses it). */
  rateLimiter: RateLimiter;
  queues: QueueContext;
  shutdown: Shutdown;
  /** A dependency check for /healthz (Redis is always checked). */
  addHealthCheck(name: string, check: () => Promise<boolean> | boolean): void;
  health(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
}

/**
 * The thin shell every worker process starts with: validated config (bad config exits at once),
 * a logger, one Redis connection, graceful shutdown, and a liveness key other processes can see.
 */
export function startWorkerRuntime(kind: WorkerKind, env: Env = process.env): WorkerRuntime {
  const config = configOrExit(() => loadBaseConfig(env), kind);
  // The Redis password (in REDIS_URL or REDIS_PASSWORD) is scrubbed from every log line.
  for (const s of redisUrlSecrets(config.redisUrl)) registerSecret(s);
  // POLYBOT_LOG_FILE=true (compose): each process also writes its JSON lines to <dataDir>/logs, where `polybot bot trace` reads them.
  const logFile = env.POLYBOT_LOG_FILE === 'true' ? path.join(config.dataDir, 'logs', `${env.POLYBOT_PROCESS_NAME ?? kind}-${os.hostname()}.log`) : undefined;
  const logger = createLogger({ name: kind, level: config.logLevel, ...(logFile ? { file: logFile } : {}) });
  const redis = createRedisClient(config.redisUrl, { logger, name: `polybot-${kind}` });
  const shutdown = new Shutdown(logger).listen();
  const rateLimiter = new RedisRateLimiter(redis, config.queuePrefix, { logger });
  useRateLimiter(rateLimiter);
  const id = `${os.hostname()}-${process.pid}`;
  const keys = redisKeys(config.queuePrefix);
  const beat = () =>
    redis.set(keys.workerHeartbeat(kind, id), JSON.stringify({ kind, id, pid: process.pid, atMs: Date.now() }), 'EX', 15).catch(() => undefined);
  void beat();
  const timer = setInterval(beat, 5_000);
  timer.unref();
  shutdown.add('redis', async () => {
    clearInterval(timer);
    await redis.del(keys.workerHeartbeat(kind, id)).catch(() => undefined);
    await redis.quit().catch(() => undefined);
  });
  const checks = new Map<string, () => Promise<boolean> | boolean>();
  checks.set('redis', async () => {
    if (redis.status !== 'ready') return false;
    const pong = await Promise.race([redis.ping(), new Promise<null>((r) => setTimeout(() => r(null), 1_000).unref())]);
    return pong === 'PONG';
  });
  const health = async () => {
    const results: Record<string, boolean> = {};
    for (const [name, check] of checks)
      results[name] = await Promise.resolve()
        .then(check)
        .catch(() => false);
    return { ok: Object.values(results).every(Boolean), checks: results };
  };
  if (config.metricsPort > 0) {
    // /metrics for Prometheus, /healthz for supervisors (true only when Redis and our own dependencies answer).
    const server = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        void registry.metrics().then((body) => {
          res.setHeader('content-type', registry.contentType);
          res.end(body);
        });
      } else if (req.url === '/healthz') {
        void health().then((h) => {
          res.statusCode = h.ok ? 200 : 503;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ kind, id, ...h }));
        });
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    server.on('error', (err) => logger.error({ err: err.message, port: config.metricsPort }, 'metrics server failed'));
    server.listen(config.metricsPort, env.POLYBOT_METRICS_HOST || '127.0.0.1');
    shutdown.add('metrics server', () => new Promise<void>((r) => server.close(() => r())));
  }
  logger.info({ venue: config.venue, prefix: config.queuePrefix, dataDir: config.dataDir, metricsPort: config.metricsPort }, `${kind} worker starting`);
  return {
    kind,
    id,
    config,
    logger,
    redis,
    rateLimiter,
    queues: { connection: redis, prefix: config.queuePrefix, logger },
    shutdown,
    addHealthCheck: (name, check) => void checks.set(name, check),
    health,
  };
}
