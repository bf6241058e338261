/** `pnpm test:chaos [--soak <minutes>]`: the chaos suite (bounded in CI; longer with --soak). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const { values } = parseArgs({ args: process.argv.slice(2), options: { soak: { type: 'string' } } });
const soak = values.soak === undefined ? 0 : Number(values.soak);
if (!Number.isFinite(soak) || soak < 0) {
  process.stderr.write('usage: pnpm test:chaos [--soak <minutes>]\n');
  process.exit(2);
}
const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.chaos.config.ts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, CHAOS_SOAK_MINUTES: String(soak) },
});
process.exit(r.status ?? 1);
