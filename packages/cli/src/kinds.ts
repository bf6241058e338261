/**
 * The process kinds of the stack and how one is started: each layer's package owns its worker,
 * loaded by name so that a process loads only the layer it runs (and nothing imports a worker.ts).
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
