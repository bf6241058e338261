/** What every command module shares: output, bad-input errors, and running a tool's own entry point. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';

/** Where commands write (tests collect it); `exitCode` is what the command decided. */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  exitCode: number | undefined;
}

/** Bad input: the CLI prints its message as one line and exits 2. */
export class UsageError extends Error {}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (from packages/cli/{src,dist}/commands). */
export const ROOT = path.resolve(HERE, '../../../..');

/** A package's compiled file, e.g. `dist('strategy', 'cli/model.js')`. */
export const distFile = (pkg: string, file: string): string => path.join(ROOT, 'packages', pkg, 'dist', file);

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A command's parsed options as the argv its tool parses: `--name=value`, so a value that starts
 * with a dash (a negative number) reaches it as a value. Booleans are bare flags; arrays repeat.
 */
export function optionsArgv(cmd: Command): string[] {
  const values = cmd.opts<Record<string, unknown>>();
  const out: string[] = [];
  for (const o of cmd.options) {
    const long = o.long;
    if (!long || long === '--version' || long === '--help') continue;
    const v = values[o.attributeName()];
    if (v === undefined || v === false) continue;
    if (v === true) out.push(long);
    else if (Array.isArray(v)) for (const x of v) out.push(`${long}=${String(x)}`);
    else out.push(`${long}=${String(v as string | number)}`);
  }
  return out;
}

/**
 * Runs a compiled entry point of the workspace as a child with the terminal (stdio inherited) and
 * resolves with its exit code. Ctrl-C reaches the child (same process group); the CLI waits for it.
 */
export function runNode(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit', cwd: opts.cwd ?? process.cwd(), env: opts.env ?? process.env });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Parses a number option for commander: a clear bad-input error instead of NaN. */
export function numberArg(name: string, check: (n: number) => boolean = Number.isFinite, expects = 'a number') {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`${name} expects ${expects}.`);
    return n;
  };
}
