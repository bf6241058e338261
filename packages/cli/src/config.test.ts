/** A bad configuration stops every process at once with one clear message and a non-zero exit. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KINDS } from './kinds.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

function run(script: string, args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(dist, script), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('bad configuration', () => {
  it('stops `start` with every bad variable named and exit code 2', () => {
    const r = run('start.js', [], { POLYBOT_VENUE: 'moon', SIM_VENUE_PORT: '99999' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/POLYBOT_VENUE/);
    expect(r.stderr).toMatch(/SIM_VENUE_PORT/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each(KINDS.filter((k) => k !== 'sim-venue'))('stops the %s worker at once', (kind) => {
    const r = run('worker.js', [kind], { POLYBOT_VENUE: 'moon', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/POLYBOT_VENUE/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an unknown worker kind', () => {
    const r = run('worker.js', ['nonsense'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: pnpm worker/);
  });
});
