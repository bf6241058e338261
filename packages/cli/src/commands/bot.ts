/**
 * `polybot bot <status|orders|positions|halt|resume|approve|trace>`: steer the running stack through Redis
 * (the dashboard package's `bot` tool does the work). `preflight` runs here (preflight.ts): it needs
 * ingestion's discovery beside execution's venue adapter. A new subcommand: one `.command()` below
 * and its branch in packages/dashboard/src/cli/bot.ts.
 */
import type { Command } from 'commander';
import { distFile, optionsArgv, runNode, type Io } from './common.js';

const BOT = () => distFile('dashboard', 'cli/bot.js');

export function registerBot(program: Command, io: Io): void {
  const bot = program.command('bot').description('the running stack, through Redis: status, orders, positions, halt, resume, trace');
  const pass = (sub: Command, ...fixed: string[]) =>
    sub.action(async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const positionals = cmd.args;
      io.exitCode = await runNode(BOT(), [...fixed, ...positionals, ...optionsArgv(cmd)]);
    });
  pass(bot.command('status').description('breaker, bankroll and PnL, workers, live windows, last trips').option('--json', 'one JSON object'), 'status');
  pass(bot.command('orders').description('open orders').option('--json', 'a JSON array'), 'orders');
  pass(bot.command('positions').description('positions per market and outcome').option('--json', 'a JSON array'), 'positions');
  pass(
    bot
      .command('halt')
      .description('trip the shared breaker: execution cancels every open order, nothing is placed until resume')
      .option('--reason <text>', 'why (shown on the status page and in alerts)')
      .option('--json', 'one JSON object'),
    'halt',
  );
  pass(
    bot
      .command('resume')
      .description("close the breaker: trading resumes (refused while the day's loss is over the limit)")
      .option('--confirm', 'resume after a daily-loss trip')
      .option('--json', 'one JSON object'),
    'resume',
  );
  pass(
    bot
      .command('approve')
      .description('grant the missing pUSD/CTF allowances for the exchange contracts in one relayer batch (live)')
      .option('--json', 'one JSON object'),
    'approve',
  );
  bot
    .command('preflight')
    .description(
      'read-only checks before trading live: geoblock, wallet type and deployment, API key, closed-only, clock skew, discovery, a book and its fees, pUSD balance and allowances; exit 0 only if all pass',
    )
    .option('--json', 'one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { runPreflight, formatChecks, preflightPassed } = await import('../preflight.js');
      const { loadBaseConfig } = await import('@polybot/shared/config');
      const results = await runPreflight({ config: loadBaseConfig(), env: process.env });
      io.out(opts.json ? `${JSON.stringify({ ok: preflightPassed(results), checks: results })}\n` : formatChecks(results));
      io.exitCode = preflightPassed(results) ? 0 : 1;
    });
  pass(
    bot
      .command('trace')
      .description("every log line of every process that mentions the id, and the order's history")
      .argument('<id>', 'a signal or order id')
      .option('--json', 'one JSON object'),
    'trace',
  );
}
