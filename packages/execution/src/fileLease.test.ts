/** The data-directory lease on its own, with a hand-moved clock and a chosen set of live pids. */
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLease, type FileLeaseOptions } from './fileLease.js';

const T = 1_900_000_000_000;
const dir = () => mkdtempSync(path.join(os.tmpdir(), 'polybot-file-lease-'));

function world() {
  const clock = { now: T };
  const alive = new Set<number>();
  const lease = (d: string, o: Partial<FileLeaseOptions> & { pid: number }) =>
    new FileLease(d, { owner: `owner-${o.pid}`, ttlMs: 10_000, host: 'h1', now: () => clock.now, pidAlive: (p) => alive.has(p), ...o });
  return { clock, alive, lease };
}

describe('FileLease', () => {
  it('one holder at a time: a live holder is named, renewals keep it, a clean release frees it', () => {
    const d = dir();
    const { clock, alive, lease } = world();
    alive.add(100).add(200);
    const a = lease(d, { pid: 100 });
    const b = lease(d, { pid: 200 });
    expect(a.tryAcquire()).toMatchObject({ ok: true, tookOverFrom: null });
    expect(b.tryAcquire()).toMatchObject({ ok: false, why: 'held', holder: { pid: 100, host: 'h1' } });
    clock.now += 9_000;
    expect(a.renew()).toBe(true);
    clock.now += 9_000; // 18 s after the start, 9 s after the renewal: still held
    expect(b.tryAcquire()).toMatchObject({ ok: false, why: 'held' });
    a.release();
    expect(existsSync(a.file)).toBe(false);
    expect(b.tryAcquire()).toMatchObject({ ok: true, tookOverFrom: null });
  });

  it('takes over a lease whose process is gone, one naming its own pid, and one not renewed in time on another host', () => {
    const { clock, alive, lease } = world();
    // Same host, dead pid.
    const d1 = dir();
    lease(d1, { pid: 300 }).tryAcquire();
    alive.add(400);
    expect(lease(d1, { pid: 400 }).tryAcquire()).toMatchObject({ ok: true, tookOverFrom: { pid: 300 }, staleBecause: 'its process (pid 300) is gone' });
    // Same host, our own pid (a container restarted with the same pid): a previous run.
    const d2 = dir();
    alive.add(500);
    lease(d2, { pid: 500, owner: 'previous-run' }).tryAcquire();
    expect(lease(d2, { pid: 500, owner: 'this-run' }).tryAcquire()).toMatchObject({ ok: true, staleBecause: 'it names our own pid 500 (a previous run)' });
    // Another host: its pid means nothing here; only time tells.
    const d3 = dir();
    lease(d3, { pid: 600, host: 'h2' }).tryAcquire();
    const c = lease(d3, { pid: 700 });
    clock.now += 10_000;
    expect(c.tryAcquire()).toMatchObject({ ok: false, why: 'held' });
    clock.now += 1;
    expect(c.tryAcquire()).toMatchObject({ ok: true, tookOverFrom: { pid: 600, host: 'h2' } });
    expect((JSON.parse(readFileSync(c.file, 'utf8')) as { pid: number }).pid).toBe(700);
  });

  it('a holder whose lease was taken over learns it at its next renewal, and its release leaves the new holder alone', () => {
    const d = dir();
    const { clock, alive, lease } = world();
    alive.add(100).add(200);
    const a = lease(d, { pid: 100 });
    a.tryAcquire();
    clock.now += 20_000; // a hung a: not renewed for two time-to-lives
    const b = lease(d, { pid: 200 });
    expect(b.tryAcquire()).toMatchObject({ ok: true });
    expect(a.renew()).toBe(false);
    a.release();
    expect((JSON.parse(readFileSync(d + '/execution.lock', 'utf8')) as { pid: number }).pid).toBe(200);
    expect(b.renew()).toBe(true);
  });

  it('only one of two takers gets a stale lease (the takeover guard); a guard left by a dead taker expires', () => {
    const d = dir();
    const { clock, alive, lease } = world();
    lease(d, { pid: 300 }).tryAcquire(); // dead
    alive.add(400).add(500);
    writeFileSync(path.join(d, 'execution.lock.takeover'), '999\n'); // another taker, mid-way
    utimesSync(path.join(d, 'execution.lock.takeover'), T / 1000, T / 1000);
    const a = lease(d, { pid: 400 });
    expect(a.tryAcquire()).toMatchObject({ ok: false, why: 'another process is taking over the stale lease' });
    // The guard's taker died: after a time-to-live its guard no longer blocks.
    const old = (T - 20_000) / 1000;
    utimesSync(path.join(d, 'execution.lock.takeover'), old, old);
    expect(a.tryAcquire()).toMatchObject({ ok: false }); // this call clears the dead guard
    expect(a.tryAcquire()).toMatchObject({ ok: true, tookOverFrom: { pid: 300 } });
    expect(existsSync(path.join(d, 'execution.lock.takeover'))).toBe(false);
    clock.now += 1;
    expect(lease(d, { pid: 500 }).tryAcquire()).toMatchObject({ ok: false, why: 'held', holder: { pid: 400 } });
  });

  it('a lease file cut short is waited on while recent and taken over once older than a time-to-live', () => {
    const d = dir();
    const { clock, lease } = world();
    writeFileSync(path.join(d, 'execution.lock'), '{"owner":"x","pi');
    const recent = clock.now / 1000;
    utimesSync(path.join(d, 'execution.lock'), recent, recent);
    const a = lease(d, { pid: 100 });
    expect(a.tryAcquire()).toMatchObject({ ok: false, holder: null, why: expect.stringMatching(/unreadable and recent/) as unknown });
    clock.now += 10_001;
    expect(a.tryAcquire()).toMatchObject({ ok: true, tookOverFrom: null, staleBecause: expect.stringMatching(/unreadable and 10001 ms old/) as unknown });
  });
});
