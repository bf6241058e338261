/**
 * Execution's own record of a halt or breaker trip, in its data directory (`halt.json`), apart
 * from the breaker in Redis. A Redis that lost its data (a flush, a restart without persistence)
 * reads as "closed, never tripped": with this record execution stays halted until a resume it can
 * see — the breaker in Redis closed at or after the trip, or a `resume` message — or until an
 * automatic trip's cool-down ends.
 *
 * An unreadable record counts as a halt (it can only stop trading, never allow it) until a resume
 * writes a new one. Writes are atomic (temporary file, fsync, rename, fsync of the directory).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PolybotError } from '@polybot/shared';
import { BreakerStateSchema, type BreakerState } from '@polybot/shared/breaker';

type Open = Extract<BreakerState, { state: 'open' }>;

const RecordSchema = z.object({ version: z.literal(1), breaker: BreakerStateSchema, recordedAtMs: z.number().int().nonnegative() }).strict();

export interface HaltView {
  halted: boolean;
  /** Why, for logs and refusals (null when trading may go on). */
  reason: string | null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class HaltRecord {
  readonly file: string;
  private local: Open | null = null;
  private view: HaltView = { halted: false, reason: null };
  private warnedMissing = false;

  constructor(
    dataDir: string,
    private readonly logger: Logger,
  ) {
    this.file = path.join(dataDir, 'halt.json');
    if (!existsSync(this.file)) return;
    const parsed = RecordSchema.safeParse(safeJson(readFileSync(this.file, 'utf8')));
    if (!parsed.success) {
      // Fail-safe: an unreadable record is a halt, sticky until a human resumes.
      // Its trip time is now: only a resume from here on clears it (not one from before it broke).
      this.local = { state: 'open', kind: 'manual', reason: `${this.file} is unreadable`, trippedAtMs: Date.now(), cooldownUntilMs: null };
      logger.error({ file: this.file }, 'halt record unreadable: execution stays halted until a resume');
    } else if (parsed.data.breaker.state === 'open') this.local = parsed.data.breaker;
    if (this.local) this.view = { halted: true, reason: `halted (${this.local.kind}: ${this.local.reason})` };
  }

  /** The halt on record (null: none). */
  get current(): Open | null {
    return this.local;
  }

  /** The last decision, without asking Redis (heartbeats use it: a beat must not wait on Redis). */
  get last(): HaltView {
    return this.view;
  }

  private write(breaker: BreakerState, nowMs: number): void {
    const body = `${JSON.stringify({ version: 1, breaker, recordedAtMs: nowMs })}\n`;
    const tmp = `${this.file}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      const dir = openSync(path.dirname(this.file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (err) {
      throw new PolybotError('PERSISTENCE_FAILED', `cannot write the halt record ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A halt heard of (the breaker open in Redis, or a `halt` message): recorded before anything else. */
  record(open: Open, nowMs: number): void {
    const l = this.local;
    if (l && l.trippedAtMs === open.trippedAtMs && l.kind === open.kind && l.cooldownUntilMs === open.cooldownUntilMs) return;
    this.write(open, nowMs);
    this.local = open;
    this.warnedMissing = false;
    this.view = { halted: true, reason: `halted (${open.kind}: ${open.reason})` };
    this.logger.warn({ kind: open.kind, reason: open.reason, file: this.file }, 'halt recorded in the data directory');
  }

  /** A resume seen at `resumedAtMs`: clears a halt recorded at or before it. */
  resume(resumedAtMs: number, nowMs: number): void {
    if (!this.local || resumedAtMs < this.local.trippedAtMs) return;
    this.write({ state: 'closed', resumedAtMs }, nowMs);
    this.logger.warn({ kind: this.local.kind, reason: this.local.reason }, 'halt cleared by a resume');
    this.local = null;
    this.view = { halted: false, reason: null };
  }

  /**
   * Merges the breaker as Redis has it with the record: open in Redis is recorded; closed in Redis
   * clears the record only when it says it was resumed at or after the trip (or the cool-down ended).
   */
  sync(redis: BreakerState, nowMs: number): HaltView {
    if (redis.state === 'open') {
      this.record(redis, nowMs);
      this.view = { halted: true, reason: `halted (${redis.kind}: ${redis.reason})` };
      return this.view;
    }
    const local = this.local;
    if (!local) return (this.view = { halted: false, reason: null });
    if (local.cooldownUntilMs !== null && nowMs >= local.cooldownUntilMs) {
      this.resume(local.cooldownUntilMs, nowMs);
      return this.view;
    }
    if (redis.resumedAtMs !== null && redis.resumedAtMs >= local.trippedAtMs) {
      this.resume(redis.resumedAtMs, nowMs);
      return this.view;
    }
    // Redis says closed but shows no resume since our halt: it lost its data. Stay halted.
    if (!this.warnedMissing) {
      this.warnedMissing = true;
      this.logger.error(
        { kind: local.kind, reason: local.reason, trippedAtMs: local.trippedAtMs, file: this.file },
        'Redis shows no halt but execution recorded one and no resume since (Redis lost its data?): orders stay refused until an explicit resume (`polybot bot resume` or the dashboard)',
      );
    }
    this.view = { halted: true, reason: `halted (${local.kind}: ${local.reason}); Redis does not show it: resume explicitly` };
    return this.view;
  }
}
