/**
 * A real Redis for tests, never a mock (BullMQ does not run on one). In order:
 * REDIS_URL if set; a testcontainers Redis when a Docker engine answers; a `redis-server`
 * spawned on a free port; else a clear error. Never a silent skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export interface TestRedis {
  url: string;
  how: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
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

/** Spawns a private redis-server (no persistence) on the given or a free port. Exported for chaos tests that restart Redis. */
export async function spawnRedisServer(port?: number): Promise<TestRedis & { port: number; child: ChildProcess }> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${p}: ${out}`)), 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${p}`,
    how: 'redis-server',
    port: p,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, how: 'REDIS_URL', stop: async () => {} };
  const tc = await tryTestcontainers();
  if (tc) return tc;
  try {
    return await spawnRedisServer();
  } catch (err) {
    throw new Error(
      'Tests need a real Redis and none could be had. Set REDIS_URL to a server, start a Docker engine ' +
        'for testcontainers, or install redis-server (Debian: apt-get install redis-server). ' +
        `Last error: ${(err as Error).message}`,
    );
  }
}

let counter = 0;
/** A queue prefix private to one test file (hash-tagged like production). */
export function testPrefix(label: string): string {
  counter += 1;
  return `{t-${label.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20)}-${process.pid}-${Date.now().toString(36)}-${counter}}`;
}
