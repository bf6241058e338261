/** Running the stack and its tests: `start`, `worker`, `test`, `test:chaos`. */
import path from 'node:path';
import type { Command } from 'commander';
import { KINDS } from '../kinds.js';
import { distFile, numberArg, ROOT, runNode, type Io } from './common.js';

export function registerStack(program: Command, io: Io): void {
  program
    .command('start')
    .description('the whole stack in one terminal (sim venue by default); Ctrl-C stops it')
    .option('--quiet', "do not print the processes' log lines")
    .action(async (opts: { quiet?: boolean }) => {
      const { main } = await import('../start.js');
      await main(opts.quiet ? ['--quiet'] : []);
    });

  program
    .command('worker')
    .description('one process of the stack (what docker compose runs)')
    .argument('<kind>', KINDS.join(' | '))
    .action(async (kind: string) => {
      const { main } = await import('../worker.js');
      await main([kind]);
    });

  program
    .command('test')
    .description('build, then every test (vitest) against a real Redis; extra arguments go to vitest')
    .argument('[vitest-args...]', 'files or vitest options, e.g. packages/shared')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      io.exitCode = await runNode(path.join(ROOT, 'node_modules/vitest/vitest.mjs'), ['run', ...args], { cwd: ROOT });
    });

  program
    .command('test:chaos')
    .description('the fault suite: kills, Redis restarts and venue faults while orders flow')
    .option(
      '--soak <minutes>',
      'repeat the rounds for this long (outside CI)',
      numberArg('--soak', (n) => n >= 0, 'minutes ≥ 0'),
    )
    .action(async (opts: { soak?: number }) => {
      io.exitCode = await runNode(distFile('cli', 'chaos/cli.js'), opts.soak === undefined ? [] : [`--soak=${opts.soak}`]);
    });
}
