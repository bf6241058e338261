#!/usr/bin/env node
/**
 * `polybot`: the one command line. Every command and subcommand answers `--help` and `--version`;
 * exit codes are 0 (ok), 2 (bad input: an unknown option, a bad value, a bad configuration) and
 * 1 (a failure); errors are one line on stderr, never a stack trace.
 *
 * Adding a command is a local edit: a file in `commands/` that registers it, listed in COMMANDS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { isPolybotError } from '@polybot/shared';
import { applyConfigFile } from '@polybot/shared/settings';
import { COMMANDS } from './commands/index.js';
import { UsageError, type Io } from './commands/common.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const VERSION = (JSON.parse(readFileSync(path.join(HERE, '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The whole command tree; `io` lets tests read what it prints. */
export function buildProgram(io: Io): Command {
  const program = new Command('polybot')
    .description("trade Polymarket's 15-minute crypto Up/Down markets: run the stack, steer it, study it")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`polybot: ${s.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .helpCommand(false)
    .version(VERSION, '-V, --version', 'print the version');
  for (const register of COMMANDS) register(program, io);
  // Commands that run or read the stack see the config file's values as the workers do (env first).
  program.hook('preAction', (_program, action) => {
    const top = action.parent === program ? action.name() : action.parent?.name();
    if (top && ['start', 'worker', 'bot', 'trades', 'daily', 'backtest'].includes(top)) applyConfigFile(process.env);
  });
  // `--version` on every command and subcommand, and the same error handling everywhere.
  const walk = (c: Command) => {
    for (const sub of c.commands) {
      sub.version(VERSION, '-V, --version', 'print the version');
      walk(sub);
    }
  };
  walk(program);
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    io.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every parse error is bad input
      return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.err(`polybot: ${err.message}\n`);
      return 2;
    }
    if (isPolybotError(err, 'CONFIG_INVALID')) {
      io.err(`polybot: ${err.message}\n`);
      return 2;
    }
    io.err(`polybot: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/polybot.js')) {
  const io: Io = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), exitCode: undefined };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`polybot: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
