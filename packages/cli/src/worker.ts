/**
 * `pnpm worker <kind>`: runs one process of the stack. This is what docker-compose and the
 * `start` launcher use; each layer's package owns its worker, this file only dispatches.
 */
const WORKERS = {
  'sim-venue': '@polybot/sim-venue/worker',
  discovery: '@polybot/ingestion/worker',
  analysis: '@polybot/strategy/worker',
  risk: '@polybot/risk/worker',
  execution: '@polybot/execution/worker',
  dashboard: '@polybot/dashboard/worker',
} as const;
export type Kind = keyof typeof WORKERS;
export const KINDS = Object.keys(WORKERS) as Kind[];

export function isKind(value: string | undefined): value is Kind {
  return value !== undefined && value in WORKERS;
}

export async function runKind(kind: Kind): Promise<void> {
  // A variable specifier keeps TypeScript from resolving packages at build time:
  // each layer is loaded only by the process that runs it.
  const spec: string = WORKERS[kind];
  const mod = (await import(spec)) as { runWorker?: () => Promise<void> };
  if (typeof mod.runWorker !== 'function') throw new Error(`${spec} does not export runWorker()`);
  await mod.runWorker();
}

async function main(argv: string[]): Promise<void> {
  const kind = argv[0];
  if (!isKind(kind)) {
    process.stderr.write(`usage: pnpm worker <${KINDS.join('|')}>\n`);
    process.exit(2);
  }
  await runKind(kind);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`polybot worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
