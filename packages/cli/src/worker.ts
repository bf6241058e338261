/**
 * `pnpm worker <kind>`: runs one process of the stack. This is what docker-compose and the
 * `start` launcher use; each layer's package owns its worker, this file only dispatches.
 */
import { configOrExit, loadBaseConfig } from '@polybot/shared/config';
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
  // A live execution process starts only when every preflight check passes (the same checks as
  // `polybot bot preflight`); a wrong local set-up stops it before any request.
  if (kind === 'execution') {
    const config = configOrExit(() => loadBaseConfig(), kind);
    if (config.venue === 'live') {
      const { runPreflight, formatChecks, preflightPassed } = await import('./preflight.js');
      const results = await runPreflight({ config, env: process.env, stopOnLocalFailure: true });
      if (!preflightPassed(results)) {
        process.stderr.write(`polybot execution: live trading refused by preflight:\n${formatChecks(results)}`);
        process.exit(2);
      }
      process.stdout.write(formatChecks(results));
    }
  }
  await runKind(kind);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`polybot worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
