/**
 * The `polybot` CLI: `--help` and `--version` on every command and subcommand, exit codes 0 / 2 / 1,
 * negative numbers as values, errors as one line without a stack trace, the pnpm scripts as aliases.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from './commands/common.js';
import { buildProgram, run, VERSION } from './polybot.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const BIN = path.resolve(HERE, '../dist/polybot.js');

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    exitCode: undefined as number | undefined,
    out: (s: string) => void (io.stdout += s),
    err: (s: string) => void (io.stderr += s),
  };
  return io;
}

/** Every command path: ['bot'], ['bot', 'status'], ['model', 'price'], … */
function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}
const ALL = paths(buildProgram(capture()));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('polybot --help and --version', () => {
  it('has the commands the README lists', () => {
    const names = ALL.map((p) => p.join(' '));
    for (const c of [
      'start',
      'worker',
      'test',
      'test:chaos',
      'bot status',
      'bot halt',
      'bot trace',
      'bot preflight',
      'bot approve',
      'model price',
      'calibrate',
      'toxicity-study',
      'backtest',
      'bench',
      'config',
    ]) {
      expect(names).toContain(c);
    }
  });

  it.each(ALL.map((p) => [p.join(' '), p]))('`polybot %s --help` prints its usage and exits 0', async (_name, p) => {
    const io = capture();
    expect(await run([...(p as string[]), '--help'], io)).toBe(0);
    expect(io.stdout).toContain(`Usage: polybot ${(p as string[]).join(' ')}`);
    expect(io.stdout).toMatch(/-h, --help/);
    expect(io.stdout).toMatch(/-V, --version/);
    expect(io.stderr).toBe('');
  });

  it.each(ALL.map((p) => [p.join(' '), p]))('`polybot %s --version` prints the version and exits 0', async (_name, p) => {
    const io = capture();
    expect(await run([...(p as string[]), '--version'], io)).toBe(0);
    expect(io.stdout.trim()).toBe(VERSION);
  });

  it('prints the whole list with no arguments and with --help', async () => {
    for (const args of [[], ['--help']]) {
      const io = capture();
      expect(await run(args, io)).toBe(0);
      for (const c of ['start', 'bot', 'backtest', 'config', 'model']) expect(io.stdout).toMatch(new RegExp(`\\n  ${c} `));
    }
  });
});

describe('polybot exit codes and errors', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['bot', 'status', '--bogus'], /unknown option '--bogus'/],
    [['model', 'price', '--spot', '1'], /required option '--strike <price>' not specified/],
    [['bot', 'trace'], /missing required argument 'id'/],
    [['test:chaos', '--soak', '-1'], /--soak expects minutes ≥ 0/],
  ])('bad input %j exits 2 with one line', async (args, message) => {
    const io = capture();
    expect(await run(args, io)).toBe(2);
    expect(io.stderr).toMatch(message);
    expect(io.stderr.trim().split('\n')[0]).toMatch(/^polybot: /);
    expect(io.stderr).not.toMatch(/\n\s+at /);
  });

  it("`polybot bench` passes --soak and --only on to the bench (it refused them as unknown options); bad values are the bench's exit 2", () => {
    for (const args of [
      ['bench', '--soak', '-5'],
      ['bench', '--only', 'everything'],
    ]) {
      const r = cli(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/usage: pnpm bench \[--soak <minutes> \| --only exec\]/);
      expect(r.stderr).not.toMatch(/unknown option/);
    }
  });

  it('accepts negative numbers as values (`--jump-mean -0.002`) and passes them to the model', () => {
    const base = ['model', 'price', '--spot', '100', '--strike', '100', '--seconds', '600', '--sigma', '0.6', '--lambda', '5', '--jump-std', '0.01'];
    const neg = cli([...base, '--jump-mean', '-0.002']);
    const zero = cli([...base, '--jump-mean', '0']);
    expect(neg.status, neg.stderr).toBe(0);
    const a = JSON.parse(neg.stdout) as { up: number; down: number };
    const b = JSON.parse(zero.stdout) as { up: number };
    expect(a.up + a.down).toBeCloseTo(1, 12);
    expect(a.up).not.toBeCloseTo(b.up, 6); // the negative jump mean reached the model
  });

  it('a tool’s own bad input is exit 2 in one line, without a stack trace', () => {
    const r = cli(['model', 'price', '--spot', 'abc', '--strike', '100', '--seconds', '60', '--sigma', '0.6']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a failure (Redis unreachable) is exit 1 in one line', () => {
    const r = cli(['bot', 'status'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach Redis/);
  });

  it('a bad configuration is exit 2 naming every bad field; `config` redacts secrets', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'polybot-cli-'));
    const file = path.join(dir, 'polybot.yaml');
    writeFileSync(file, 'risk:\n  maxOrderUsd: -5\n  nonsense: 1\n');
    const bad = cli(['config'], { POLYBOT_CONFIG: file, LOG_LEVEL: 'loud' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/risk\.maxOrderUsd \(RISK_MAX_ORDER_USD\)/);
    expect(bad.stderr).toMatch(/risk\.nonsense: unknown field/);
    expect(bad.stderr).toMatch(/logLevel \(LOG_LEVEL\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(file, 'risk:\n  maxOrderUsd: 7\n');
    const ok = cli(['config', '--json'], { POLYBOT_CONFIG: file, POLYBOT_DASHBOARD_USER: 'me', POLYBOT_DASHBOARD_PASSWORD: 'correct-horse' });
    expect(ok.status, ok.stderr).toBe(0);
    const cfg = JSON.parse(ok.stdout) as { file: string; config: { risk: { maxOrderUsd: number }; dashboard: { password: string } } };
    expect(cfg.file).toBe(file);
    expect(cfg.config.risk.maxOrderUsd).toBe(7);
    expect(cfg.config.dashboard.password).toBe('[redacted]');
    expect(ok.stdout).not.toMatch(/correct-horse/);
  });

  it('the pnpm scripts are aliases of it (`pnpm bot --help`, `pnpm bench --help` do not start anything)', () => {
    for (const script of ['bot', 'bench']) {
      const r = spawnSync('pnpm', ['-s', script, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Usage: polybot ${script}`);
    }
  }, 180_000);
});
