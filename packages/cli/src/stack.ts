/**
 * The stack as separate processes: one per worker, supervised. Used by `pnpm start` and by the
 * end-to-end and chaos tests, so what the tests run is what a trader runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kind } from './kinds.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Processes always run the compiled JavaScript, also when the tests import this file from src/.
const WORKER_JS = path.join(path.basename(HERE) === 'src' ? path.join(HERE, '..', 'dist') : HERE, 'worker.js');

export interface ProcessSpec {
  kind: Kind;
  /** Replica index, for names, log files and ports. */
  index: number;
  env: Record<string, string>;
}

export interface ManagedProcess {
  spec: ProcessSpec;
  name: string;
  child: ChildProcess | null;
  restarts: number;
  stopped: boolean;
}

export interface StackOptions {
  env: Record<string, string>;
  logDir: string;
  /** Called with each log line (already JSON-parsed when possible) for the terminal. */
  onLine?: (name: string, line: string) => void;
  /** Restart a process that exits unexpectedly (not after a config error, exit code 2). */
  restart?: boolean;
  onFatal?: (name: string, code: number | null) => void;
}

export class Stack {
  readonly procs: ManagedProcess[] = [];
  private readonly logs = new Map<string, WriteStream>();
  private stopping = false;

  constructor(private readonly opts: StackOptions) {
    mkdirSync(opts.logDir, { recursive: true });
  }

  add(spec: ProcessSpec): ManagedProcess {
    const name = spec.index === 0 ? spec.kind : `${spec.kind}-${spec.index}`;
    const proc: ManagedProcess = { spec, name, child: null, restarts: 0, stopped: false };
    this.procs.push(proc);
    this.launch(proc);
    return proc;
  }

  private log(name: string): WriteStream {
    let stream = this.logs.get(name);
    if (!stream) {
      stream = createWriteStream(path.join(this.opts.logDir, `${name}.log`), { flags: 'a' });
      this.logs.set(name, stream);
    }
    return stream;
  }

  private launch(proc: ManagedProcess): void {
    const child = spawn(process.execPath, [WORKER_JS, proc.spec.kind], {
      env: { ...process.env, ...this.opts.env, ...proc.spec.env, POLYBOT_PROCESS_NAME: proc.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.child = child;
    const out = this.log(proc.name);
    const pipe = (stream: NodeJS.ReadableStream | null) => {
      let buf = '';
      stream?.on('data', (chunk: Buffer) => {
        out.write(chunk);
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) this.opts.onLine?.(proc.name, line);
        }
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('exit', (code, signal) => {
      if (proc.child === child) proc.child = null;
      if (proc.stopped || this.stopping) return;
      this.opts.onLine?.(proc.name, JSON.stringify({ level: 50, msg: `exited (code ${code}, signal ${signal})` }));
      if (code === 2) {
        this.opts.onFatal?.(proc.name, code);
        return;
      }
      if (this.opts.restart !== false) {
        proc.restarts += 1;
        const delay = Math.min(500 * 2 ** Math.min(proc.restarts, 5), 15_000);
        setTimeout(() => !proc.stopped && this.launch(proc), delay).unref();
      }
    });
  }

  /** Kills one process the hard way (chaos tests); the supervisor restarts it if restart is on. */
  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const proc = this.procs.find((p) => p.name === name);
    return proc?.child?.kill(signal) ?? false;
  }

  /** Starts a stopped process again (after `stopOne`). */
  startOne(name: string): void {
    const proc = this.procs.find((p) => p.name === name);
    if (!proc || proc.child) return;
    proc.stopped = false;
    this.launch(proc);
  }

  async stopOne(name: string, timeoutMs = 15_000): Promise<void> {
    const proc = this.procs.find((p) => p.name === name);
    if (proc) await stopProc(proc, timeoutMs);
  }

  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopping = true;
    // Producers first, execution last, so in-flight orders are recorded before it goes.
    const order: Kind[] = ['discovery', 'analysis', 'dashboard', 'risk', 'execution', 'sim-venue'];
    for (const kind of order) {
      await Promise.all(this.procs.filter((p) => p.spec.kind === kind).map((p) => stopProc(p, timeoutMs)));
    }
    await Promise.all([...this.logs.values()].map((s) => new Promise((r) => s.end(r))));
  }
}

async function stopProc(proc: ManagedProcess, timeoutMs: number): Promise<void> {
  proc.stopped = true;
  const child = proc.child;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Waits until an HTTP endpoint answers 2xx. */
export async function waitForHttp(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}
