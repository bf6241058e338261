/**
 * `pnpm worker <kind>`: runs one process of the stack. This is what docker-compose and the
 * `start` launcher use; each layer's package owns its worker, this file only dispatches.
 */
import { configOrExit } from '@polybot/shared/config';
import { applyConfigFile } from '@polybot/shared/settings';
import { isKind, KINDS, runKind } from './kinds.js';

export async function main(argv: string[]): Promise<void> {
  const kind = argv[0];
  if (!isKind(kind)) {
    process.stderr.write(`usage: pnpm worker <${KINDS.join('|')}>\n`);
    process.exit(2);
  }
  // The config file (POLYBOT_CONFIG or ./polybot.config.yaml) under the environment, checked whole.
  configOrExit(() => applyConfigFile(process.env), kind);
  await runKind(kind);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`polybot worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
