/** /healthz follows Redis: false while it is gone, true again once the worker has reconnected; no crash loop. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, spawnRedisServer } from '@polybot/shared/redisServer';
import { testPrefix } from '@polybot/shared/testing/redis';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/worker.js');

async function health(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}
async function until(cond: () => Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('condition not met in time');
}

describe('health across a Redis restart', () => {
  it('goes false when Redis goes, and true when it is back, in the same process', async () => {
    let redis = await spawnRedisServer();
    const metricsPort = await freePort();
    const child = spawn(process.execPath, [WORKER, 'risk'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: redis.url,
        POLYBOT_QUEUE_PREFIX: testPrefix('health'),
        POLYBOT_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      await until(async () => (await health(metricsPort)) === 200, 15_000);
      await redis.stop();
      await until(async () => (await health(metricsPort)) === 503, 15_000);
      redis = await spawnRedisServer(redis.port);
      await until(async () => (await health(metricsPort)) === 200, 20_000);
      expect(child.exitCode).toBeNull(); // the same process recovered
    } finally {
      child.kill('SIGKILL');
      await redis.stop();
    }
  }, 60_000);
});
