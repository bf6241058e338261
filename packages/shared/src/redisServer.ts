import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A private Redis for tests and for `pnpm start` when none is reachable. */
export interface SpawnedRedis {
  url: string;
  how: 'redis-server';
  port: number;
  child: ChildProcess;
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

/**
 * Spawns a private redis-server on the given or a free port: without persistence, or as a config
 * file says (`opts.configFile`: its persistence, users and directory; the port and bind still come
 * from here). Exported for chaos tests that restart Redis. `opts.auth` goes into the returned URL.
 */
export async function spawnRedisServer(
  port?: number,
  args: string[] = [],
  opts: { configFile?: string; auth?: { user: string; password: string } } = {},
): Promise<SpawnedRedis> {
  const p = port ?? (await freePort());
  const base = opts.configFile ? [opts.configFile] : ['--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...base, '--port', String(p), '--bind', '127.0.0.1', ...args], {
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
  const userinfo = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.password)}@` : '';
  return {
    url: `redis://${userinfo}127.0.0.1:${p}`,
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

export interface SpawnedCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` (see redis.ts for the URL forms). */
  url: string;
  nodes: SpawnedRedis[];
  stop(): Promise<void>;
}

/**
 * A local Redis Cluster of `n` masters (no replicas) on free ports, for tests and the bench:
 * `redis-server --cluster-enabled yes` × n, joined by `redis-cli --cluster create`, ready when
 * every node reports `cluster_state:ok`.
 */
export async function spawnRedisCluster(n = 3): Promise<SpawnedCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-cluster-'));
  const nodes: SpawnedRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      nodes.push(
        await spawnRedisServer(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
        ]),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const s of nodes) {
      while (!(await run('redis-cli', ['-p', String(s.port), 'cluster', 'info'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`redis cluster node ${s.port} did not reach cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis+cluster://${nodes.map((s) => `127.0.0.1:${s.port}`).join(',')}`, nodes, stop };
}

export interface SpawnedSentinel {
  /** `redis+sentinel://127.0.0.1:<sentinel port>/<name>`. */
  url: string;
  master: SpawnedRedis;
  sentinel: ChildProcess;
  stop(): Promise<void>;
}

/** A master and one Sentinel watching it (quorum 1), on free ports, for tests. */
export async function spawnRedisSentinel(name = 'polybot'): Promise<SpawnedSentinel> {
  const master = await spawnRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-sentinel-'));
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} 5000`,
      '',
    ].join('\n'),
  );
  const sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (sentinel.exitCode === null) {
      const gone = new Promise<void>((r) => sentinel.once('exit', () => r()));
      sentinel.kill('SIGTERM');
      await gone;
    }
    await master.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!(await run('redis-cli', ['-p', String(port), 'sentinel', 'get-master-addr-by-name', name]).catch(() => '')).includes(String(master.port))) {
      if (Date.now() > deadline) throw new Error(`redis sentinel on ${port} does not know master ${name}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis+sentinel://127.0.0.1:${port}/${name}`, master, sentinel, stop };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}
