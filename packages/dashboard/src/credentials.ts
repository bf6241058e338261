/**
 * The dashboard is never open: without configured credentials, a password is generated on the
 * first start, stored in the data directory with mode 0600 and printed once (by the caller); later
 * starts read it back. A file that is not ours, or readable by others, stops the dashboard.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PolybotError } from '@polybot/shared';

export const CREDENTIALS_FILE = 'dashboard-credentials.json';
const StoredSchema = z.object({ user: z.string().min(1), password: z.string().min(16) }).strict();
export type Credentials = z.infer<typeof StoredSchema>;

/** Configured credentials win; else the stored ones; else new ones, written 0600 (`generated: true`: print them once). */
export function dashboardCredentials(dataDir: string, configured: Credentials | null): { credentials: Credentials; generated: boolean; file: string | null } {
  if (configured) return { credentials: configured, generated: false, file: null };
  const file = path.join(dataDir, CREDENTIALS_FILE);
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600); // never readable by others
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      json = undefined;
    }
    const parsed = StoredSchema.safeParse(json);
    if (!parsed.success) throw new PolybotError('CONFIG_INVALID', `${file} is not a dashboard credentials file; delete it to have a new password generated`);
    return { credentials: parsed.data, generated: false, file };
  }
  const credentials = { user: 'polybot', password: randomBytes(18).toString('base64url') };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600, flag: 'wx' });
  return { credentials, generated: true, file };
}
