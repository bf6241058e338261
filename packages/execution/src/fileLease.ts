/**
 * A lease on the data directory: `execution.lock`, naming the process that owns the order store.
 * It fences a second execution process on the same volume even when the two use different Redis
 * servers (or Redis lost the lease key), which the Redis lease alone cannot.
 *
 * - Taken by creating the file exclusively (`wx`); renewed by rewriting it (temporary file, rename)
 *   every third of its time-to-live; released by deleting it on a clean stop.
 * - A lease is stale when its process is gone (same host, no such pid — or our own pid, a previous
 *   life of this container) or when it was not renewed within its time-to-live (another host, a
 *   hung process). A stale lease is taken over under a second exclusive file (`execution.lock.takeover`),
 *   so two processes cannot both take over the same stale lease.
 * - Renewal reads the file first: if it names another owner, the lease is lost and the caller stops.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const HolderSchema = z
  .object({
    owner: z.string().min(1),
    pid: z.number().int().positive(),
    host: z.string(),
    acquiredAtMs: z.number().int().nonnegative(),
    renewedAtMs: z.number().int().nonnegative(),
    ttlMs: z.number().int().positive(),
  })
  .strict();
export type LeaseHolder = z.infer<typeof HolderSchema>;

export type AcquireResult =
  { ok: true; tookOverFrom: LeaseHolder | null; staleBecause: string | null } | { ok: false; holder: LeaseHolder | null; why: string };

export interface FileLeaseOptions {
  owner: string;
  ttlMs: number;
  now?: () => number;
  pid?: number;
  host?: string;
  /** Whether a process with this pid runs on this host (default: signal 0). */
  pidAlive?: (pid: number) => boolean;
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, under another user
  }
}

function readJson(file: string): { text: string; json: unknown } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch {
    return { text, json: undefined };
  }
}

/** A file's mtime, or +Infinity when it vanished meanwhile (so it is never taken for old). */
function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Number.POSITIVE_INFINITY;
    throw err;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function writeExclusive(file: string, body: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function replace(file: string, body: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export class FileLease {
  readonly file: string;
  private readonly guard: string;
  private readonly now: () => number;
  private readonly pid: number;
  private readonly host: string;
  private readonly pidAlive: (pid: number) => boolean;
  private acquiredAtMs = 0;
  private held = false;

  constructor(
    dataDir: string,
    private readonly opts: FileLeaseOptions,
  ) {
    this.file = path.join(dataDir, 'execution.lock');
    this.guard = `${this.file}.takeover`;
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.host = opts.host ?? os.hostname();
    this.pidAlive = opts.pidAlive ?? defaultPidAlive;
  }

  private body(): string {
    const h: LeaseHolder = {
      owner: this.opts.owner,
      pid: this.pid,
      host: this.host,
      acquiredAtMs: this.acquiredAtMs,
      renewedAtMs: this.now(),
      ttlMs: this.opts.ttlMs,
    };
    return `${JSON.stringify(h)}\n`;
  }

  /** Why a holder no longer holds (null: it does). */
  staleBecause(h: LeaseHolder): string | null {
    // Not ours yet, yet it names our pid on our host: a previous run (a container restarted with the same pid).
    if (h.host === this.host && h.pid === this.pid) return `it names our own pid ${h.pid} (a previous run)`;
    if (h.host === this.host && !this.pidAlive(h.pid)) return `its process (pid ${h.pid}) is gone`;
    const age = this.now() - h.renewedAtMs;
    if (age > h.ttlMs) return `it was last renewed ${age} ms ago (time-to-live ${h.ttlMs} ms)`;
    return null;
  }

  /** Takes the lease if free or stale; otherwise says who holds it. */
  tryAcquire(attempt = 0): AcquireResult {
    if (this.held) return { ok: true, tookOverFrom: null, staleBecause: null };
    this.acquiredAtMs = this.now();
    if (writeExclusive(this.file, this.body())) {
      this.held = true;
      return { ok: true, tookOverFrom: null, staleBecause: null };
    }
    const cur = readJson(this.file);
    if (cur === null) return attempt < 3 ? this.tryAcquire(attempt + 1) : { ok: false, holder: null, why: 'the lease file keeps changing' }; // released in between
    const parsed = HolderSchema.safeParse(cur.json);
    let why: string | null;
    if (parsed.success) why = this.staleBecause(parsed.data);
    else {
      // A lease file cut short (a crash while writing it): stale once it is older than a time-to-live.
      const age = this.now() - mtimeMs(this.file);
      why = age > this.opts.ttlMs ? `it is unreadable and ${Math.round(age)} ms old` : null;
      if (why === null) return { ok: false, holder: null, why: `${this.file} is unreadable and recent (a process is writing it?)` };
    }
    const holder = parsed.success ? parsed.data : null;
    if (why === null) return { ok: false, holder, why: 'held' };
    // Stale: take it over, one process at a time.
    if (!writeExclusive(this.guard, `${this.pid}\n`)) {
      // A taker that died mid-way leaves its guard: removed once older than a time-to-live.
      if (this.now() - mtimeMs(this.guard) > this.opts.ttlMs) unlinkQuietly(this.guard);
      return { ok: false, holder, why: 'another process is taking over the stale lease' };
    }
    try {
      const again = readJson(this.file);
      if (again !== null && again.text !== cur.text) return { ok: false, holder, why: 'the lease changed hands while we looked' };
      replace(this.file, this.body());
      this.held = true;
      return { ok: true, tookOverFrom: holder, staleBecause: why };
    } finally {
      unlinkQuietly(this.guard);
    }
  }

  /** Renews the lease; false when the file names another owner (the lease is lost: stop). Throws on I/O errors. */
  renew(): boolean {
    if (!this.held) return false;
    const cur = readJson(this.file);
    if (cur === null) {
      // Deleted under us (by hand?): take it again if nobody else did.
      return writeExclusive(this.file, this.body());
    }
    const parsed = HolderSchema.safeParse(cur.json);
    if (!parsed.success || parsed.data.owner !== this.opts.owner || parsed.data.pid !== this.pid || parsed.data.host !== this.host) {
      this.held = false;
      return false;
    }
    replace(this.file, this.body());
    return true;
  }

  /** Deletes the file if it is still ours. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const cur = readJson(this.file);
    const parsed = cur ? HolderSchema.safeParse(cur.json) : null;
    if (parsed?.success && parsed.data.owner === this.opts.owner && parsed.data.pid === this.pid) unlinkQuietly(this.file);
  }
}

/** A holder for messages: who, where, since when. */
export function describeHolder(h: LeaseHolder | null): string {
  if (!h) return 'an unknown process';
  return `pid ${h.pid} on ${h.host}, since ${new Date(h.acquiredAtMs).toISOString()}, renewed ${new Date(h.renewedAtMs).toISOString()}`;
}
