import { z } from 'zod';
import { SIM_ASSETS, type SimAsset } from './prices.js';
import { startSimVenue } from './server.js';

const EnvSchema = z.object({
  SIM_VENUE_PORT: z.coerce.number().int().min(1).max(65535).default(4010),
  SIM_VENUE_HOST: z.string().default('127.0.0.1'),
  SIM_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .refine((v) => v % 60 === 0, 'must be a multiple of 60')
    .default(120),
  SIM_ASSETS: z
    .string()
    .default(SIM_ASSETS.join(','))
    .transform((s) => s.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(z.enum(SIM_ASSETS)).min(1)),
  SIM_SEED: z.coerce.number().int().default(1),
  SIM_TWAP: z.enum(['true', 'false']).default('true'),
  SIM_MISPRICE_PROB: z.coerce.number().min(0).max(1).default(0.2),
  SIM_TAKER_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** pUSD each account starts with (a funded, onboarded account). */
  SIM_START_BALANCE_USD: z.coerce.number().min(0).default(1_000),
});

function line(level: number, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), proc: 'sim-venue', msg, ...fields })}\n`);
}

/** `pnpm worker sim-venue`: the venue as its own process, configured from the environment. */
export async function runWorker(): Promise<void> {
  const cleaned = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    process.stderr.write(`polybot sim-venue: invalid configuration:\n${lines.join('\n')}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  const venue = await startSimVenue({
    port: env.SIM_VENUE_PORT,
    host: env.SIM_VENUE_HOST,
    windowSeconds: env.SIM_WINDOW_SECONDS,
    assets: env.SIM_ASSETS as SimAsset[],
    seed: env.SIM_SEED,
    twap: env.SIM_TWAP === 'true',
    misprice: env.SIM_MISPRICE_PROB,
    takerDelayMs: env.SIM_TAKER_DELAY_MS,
    startingBalanceUsd: env.SIM_START_BALANCE_USD,
    log: (msg, fields) => line(30, msg, fields),
  });
  line(30, 'sim venue listening', { url: venue.url, windowSeconds: env.SIM_WINDOW_SECONDS, assets: env.SIM_ASSETS });
  const stop = () => {
    line(30, 'sim venue stopping');
    void venue.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// `node packages/sim-venue/dist/worker.js` runs the venue alone (it needs nothing of the bot);
// `pnpm worker sim-venue` loads this module by name and calls runWorker().
if (import.meta.url === `file://${process.argv[1]}`) await runWorker();
