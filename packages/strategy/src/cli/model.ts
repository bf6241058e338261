/**
 * `pnpm model price --spot S --strike K --seconds T --sigma V --lambda L --jump-mean M --jump-std D [--twap W]`
 * prints one JSON line {up, down}. V annualised (365-day year), L jumps per day, M/D log-jump mean/std.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { probabilityUp } from '../jumpDiffusionModel.js';

const num = (name: string, min = -Infinity) =>
  z.coerce.number({ error: `--${name} must be a number` }).refine((v) => Number.isFinite(v) && v >= min, `--${name} must be ≥ ${min}`);

const ArgsSchema = z.object({
  spot: num('spot', 0).refine((v) => v > 0, '--spot must be positive'),
  strike: num('strike', 0).refine((v) => v > 0, '--strike must be positive'),
  seconds: num('seconds', 0),
  sigma: num('sigma', 0),
  lambda: num('lambda', 0).default(0),
  'jump-mean': num('jump-mean').default(0),
  'jump-std': num('jump-std', 0).default(0),
  twap: num('twap', 0).default(0),
});

export function main(argv: string[]): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: Object.fromEntries(['spot', 'strike', 'seconds', 'sigma', 'lambda', 'jump-mean', 'jump-std', 'twap'].map((k) => [k, { type: 'string' as const }])),
  });
  if (positionals[0] !== 'price') {
    process.stderr.write('usage: pnpm model price --spot S --strike K --seconds T --sigma V [--lambda L] [--jump-mean M] [--jump-std D] [--twap W]\n');
    return 2;
  }
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(`pnpm model: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    return 2;
  }
  const a = parsed.data;
  const up = probabilityUp({
    spot: a.spot,
    strike: a.strike,
    secondsLeft: a.seconds,
    sigma: a.sigma,
    lambdaPerYear: a.lambda * 365,
    jumpMean: a['jump-mean'],
    jumpStd: a['jump-std'],
    twapSeconds: a.twap,
  });
  process.stdout.write(`${JSON.stringify({ up, down: 1 - up })}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
