/**
 * The model, the data and the measurements: `model price`, `calibrate`, `toxicity-study`,
 * `backtest`, `bench`. Each runs its package's own entry point; this file declares the options
 * (for `--help` and for checking them). A new option: one `.option()` here and the tool's parser.
 */
import type { Command } from 'commander';
import { collect, distFile, optionsArgv, runNode, type Io } from './common.js';

/** Runs `file` with the fixed words, the command's arguments and its options. */
const passTo =
  (io: Io, file: () => string, ...fixed: string[]) =>
  async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    io.exitCode = await runNode(file(), [...fixed, ...cmd.args, ...optionsArgv(cmd)]);
  };

export function registerResearch(program: Command, io: Io): void {
  const model = program.command('model').description('the pricing model');
  model
    .command('price')
    .description("the jump-diffusion model's P(Up) and P(Down) as one JSON line")
    .requiredOption('--spot <price>', 'spot price now')
    .requiredOption('--strike <price>', 'the price to beat')
    .requiredOption('--seconds <s>', 'seconds left in the window')
    .requiredOption('--sigma <v>', 'annualised volatility (365-day year)')
    .option('--lambda <l>', 'jumps per day')
    .option('--jump-mean <m>', 'log-jump mean (may be negative, e.g. -0.002)')
    .option('--jump-std <d>', 'log-jump standard deviation')
    .option('--twap <w>', 'settlement TWAP window in seconds')
    .action(passTo(io, () => distFile('strategy', 'cli/model.js'), 'price'));

  program
    .command('calibrate')
    .description('the model against what happened, window by window, on a price history')
    .requiredOption('--data <file>', 'a price history (repeatable)', collect)
    .option('--half <first|second>', 'only the first or second half of the windows')
    .option('--lookback <minutes>', 'estimation look-back before each window (default 180)')
    .option('--twap <seconds>', 'settlement TWAP window')
    .option('--json', 'one JSON object')
    .action(passTo(io, () => distFile('strategy', 'cli/calibrate.js')));

  program
    .command('toxicity-study')
    .description("how each toxicity measure relates to the next seconds' price move, and the thresholds derived")
    .option('--data <file>', 'Binance trades/quotes files (repeatable; default: the shipped ones)', collect)
    .option('--json', 'one JSON object')
    .action(passTo(io, () => distFile('strategy', 'cli/toxicityStudy.js')));

  program
    .command('backtest')
    .description('replay a price history, a paper recording or recorded Polymarket books through the same strategy, risk and execution code')
    .option('--data <file>', 'a price history (one-minute bars, csv or csv.gz)')
    .option('--books <file>', 'recorded Polymarket books (data/polymarket/books.csv.gz format) instead')
    .option('--outcomes <file>', 'with --books: how each window resolved (outcomes.csv)')
    .option('--timeframe <15m|1h>', 'with --books: only these windows')
    .option('--strategy <value|pairs|all>', 'with --books: which strategies (default all)')
    .option('--wallet <file>', "with --books: a real bot's trades to compare pair accumulation with")
    .option('--fees <historical|v2>', "with --books: the fee each market had (default), or today's V2 taker fee on every window")
    .option('--recording <file>', 'a paper-trading recording (.ndjson.gz) instead')
    .option('--asset <asset>', 'BTC, ETH, SOL or XRP')
    .option('--from <iso>', 'start of the period')
    .option('--to <iso>', 'end of the period')
    .option('--config <file>', 'the polybot config file (the same one live runs), or a backtest settings JSON')
    .option('--seed <n>', 'random seed of the book model')
    .option('--twap <seconds>', 'settlement TWAP window')
    .option('--latency <ms>', 'signal to fill, taker delay included')
    .option('--report <file.html>', 'write an HTML report')
    .option('--json', 'one JSON object')
    .option('--sweep', 'minimum edge × Kelly fraction grid')
    .action(passTo(io, () => distFile('backtest', 'cli/backtest.js')));

  program
    .command('bench')
    .description('measurements on a private Redis and the whole stack; writes bench-results.json')
    .option('--soak <minutes>', 'only the soak: the pipeline for that long, worker RSS and Redis memory sampled (added under "soak")')
    .option('--only <part>', '"exec": execution step by step and its floors alone, printed only')
    .action(passTo(io, () => distFile('bench', 'main.js')));
}
