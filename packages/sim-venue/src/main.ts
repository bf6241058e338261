// `node dist/main.js` (or `tsx src/main.ts`): the sim venue from the environment (SIM_VENUE_PORT default 4010),
// stopping cleanly on SIGINT/SIGTERM. Same entry as `pnpm worker sim-venue`.
import { runWorker } from './worker.js';

await runWorker();
