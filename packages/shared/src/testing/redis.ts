/**
 * A real Redis for tests, never a mock (BullMQ does not run on one). In order:
 * REDIS_URL if set; a testcontainers Redis when a Docker engine answers; a `redis-server`
 * spawned on a free port; else a clear error. Never a silent skip.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnRedisServer } from '../redisServer.js';

export { freePort, spawnRedisServer } from '../redisServer.js';

export interface TestRedis {
  url: string;
  how: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

function dockerEngineMaybe(): boolean {
  if (process.env.DOCKER_HOST) return true;
  return existsSync('/var/run/docker.sock');
}

async function tryTestcontainers(): Promise<TestRedis | null> {
  if (!dockerEngineMaybe()) return null;
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withCommand(['redis-server', '--appendonly', 'yes'])
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .withStartupTimeout(60_000)
      .start();
    return {
      url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      how: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  } catch {
    return null;
  }
}

export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, how: 'REDIS_URL', stop: async () => {} };
  const tc = await tryTestcontainers();
  if (tc) return tc;
  // With an append-only file, as paper and live require (a test of the refusal spawns its own Redis without).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-test-redis-'));
  try {
    const r = await spawnRedisServer(undefined, ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir]);
    return {
      ...r,
      stop: async () => {
        await r.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    throw new Error(
      'Tests need a real Redis and none could be had. Set REDIS_URL to a server, start a Docker engine ' +
        'for testcontainers, or install redis-server (Debian: apt-get install redis-server). ' +
        `Last error: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

let counter = 0;
/** A queue prefix private to one test file (hash-tagged like production). */
export function testPrefix(label: string): string {
  counter += 1;
  return `{t-${label.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20)}-${process.pid}-${Date.now().toString(36)}-${counter}}`;
}
