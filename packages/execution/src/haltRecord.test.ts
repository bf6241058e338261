/** Execution's own record of a halt: a Redis that lost its data never resumes trading by itself. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BreakerState } from '@polybot/shared/breaker';
import { HaltRecord } from './haltRecord.js';

const logger = pino({ level: 'silent' });
const T = 1_900_000_000_000;
const open = (over: Partial<Extract<BreakerState, { state: 'open' }>> = {}): BreakerState => ({
  state: 'open',
  kind: 'manual',
  reason: 'operator halt',
  trippedAtMs: T,
  cooldownUntilMs: null,
  ...over,
});
const flushed: BreakerState = { state: 'closed', resumedAtMs: null }; // what readBreaker gives for a missing key
const dir = () => mkdtempSync(path.join(os.tmpdir(), 'polybot-halt-'));

describe('the halt record in the data directory', () => {
  it('records a trip seen in Redis, and a restart after Redis lost it still refuses', () => {
    const d = dir();
    const a = new HaltRecord(d, logger);
    expect(a.sync(open(), T + 1).halted).toBe(true);
    expect(statSync(path.join(d, 'halt.json')).mode & 0o777).toBe(0o600);
    // Redis flushed (or restarted without persistence): the breaker key is gone.
    expect(a.sync(flushed, T + 2)).toEqual({ halted: true, reason: expect.stringMatching(/Redis does not show it: resume explicitly/) as unknown });
    const restarted = new HaltRecord(d, logger);
    expect(restarted.last.halted).toBe(true);
    expect(restarted.sync(flushed, T + 3).halted).toBe(true);
    expect(restarted.current).toMatchObject({ kind: 'manual', reason: 'operator halt', trippedAtMs: T });
  });

  it('clears on a resume at or after the trip (in Redis or by message), not on an older one', () => {
    const d = dir();
    const a = new HaltRecord(d, logger);
    a.sync(open(), T + 1);
    expect(a.sync({ state: 'closed', resumedAtMs: T - 5_000 }, T + 2).halted).toBe(true); // yesterday's resume
    a.resume(T - 1, T + 3);
    expect(a.last.halted).toBe(true);
    expect(a.sync({ state: 'closed', resumedAtMs: T + 10 }, T + 11).halted).toBe(false);
    expect(new HaltRecord(d, logger).last.halted).toBe(false);
    // A new trip, then a resume message.
    a.sync(open({ trippedAtMs: T + 100, kind: 'losses', reason: '3 losses' }), T + 100);
    expect(new HaltRecord(d, logger).current?.kind).toBe('losses');
    a.resume(T + 200, T + 200);
    expect(a.last.halted).toBe(false);
    expect(new HaltRecord(d, logger).sync(flushed, T + 300).halted).toBe(false);
  });

  it("an automatic trip's cool-down ends it even when Redis forgot it; a manual one never does", () => {
    const d = dir();
    const a = new HaltRecord(d, logger);
    a.sync(open({ kind: 'error_rate', cooldownUntilMs: T + 60_000 }), T);
    expect(a.sync(flushed, T + 59_999).halted).toBe(true);
    expect(a.sync(flushed, T + 60_000).halted).toBe(false);
    const b = new HaltRecord(dir(), logger);
    b.sync(open(), T);
    expect(b.sync(flushed, T + 86_400_000).halted).toBe(true);
  });

  it('a halt message without the breaker in Redis is recorded too; a later read adds its cool-down', () => {
    const d = dir();
    const a = new HaltRecord(d, logger);
    a.record({ state: 'open', kind: 'losses', reason: 'msg', trippedAtMs: T, cooldownUntilMs: null }, T);
    expect(new HaltRecord(d, logger).current?.cooldownUntilMs).toBeNull();
    a.sync(open({ kind: 'losses', reason: 'msg', cooldownUntilMs: T + 1_000 }), T + 1);
    expect(new HaltRecord(d, logger).current?.cooldownUntilMs).toBe(T + 1_000);
  });

  it('an unreadable record is a halt until a resume made after it was found', () => {
    const d = dir();
    writeFileSync(path.join(d, 'halt.json'), '{"version":1,"breaker":{"state":"op');
    const before = Date.now();
    const a = new HaltRecord(d, logger);
    expect(a.last.halted).toBe(true);
    expect(a.sync({ state: 'closed', resumedAtMs: before - 1_000 }, before).halted).toBe(true);
    expect(a.sync({ state: 'closed', resumedAtMs: Date.now() + 1 }, Date.now() + 2).halted).toBe(false);
    expect(JSON.parse(readFileSync(path.join(d, 'halt.json'), 'utf8'))).toMatchObject({ version: 1, breaker: { state: 'closed' } });
  });
});
