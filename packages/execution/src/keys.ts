/**
 * Which key signs orders. Live refuses to start without its explicit confirmation and a key; sim
 * uses a throwaway key kept in the data directory. The key is registered for log scrubbing at once.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePrivateKey } from 'viem/accounts';
import type { Hex } from 'viem';
import { z } from 'zod';
import { PolybotError, type Venue } from '@polybot/shared';
import { registerSecret } from '@polybot/shared/logger';

export const LIVE_CONFIRMATION = 'I_UNDERSTAND_REAL_MONEY';
const KeySchema = z
  .string()
  .trim()
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'a 32-byte hex private key');

export function resolveSigningKey(venue: Venue, env: Record<string, string | undefined>, dataDir: string): Hex {
  if (venue === 'live') {
    if (env.POLYBOT_LIVE !== LIVE_CONFIRMATION) {
      throw new PolybotError('LIVE_NOT_CONFIRMED', `live trading refused: set POLYBOT_LIVE=${LIVE_CONFIRMATION} to confirm real orders with real money`);
    }
    let raw = env.POLYBOT_PRIVATE_KEY;
    if (!raw && env.POLYBOT_PRIVATE_KEY_FILE) {
      try {
        raw = readFileSync(env.POLYBOT_PRIVATE_KEY_FILE, 'utf8');
      } catch {
        throw new PolybotError('CONFIG_INVALID', `POLYBOT_PRIVATE_KEY_FILE: cannot read ${env.POLYBOT_PRIVATE_KEY_FILE}`);
      }
    }
    if (!raw) throw new PolybotError('CONFIG_INVALID', 'live trading needs a key: set POLYBOT_PRIVATE_KEY or POLYBOT_PRIVATE_KEY_FILE');
    registerSecret(raw.trim());
    registerSecret(raw.trim().replace(/^0x/, ''));
    const parsed = KeySchema.safeParse(raw);
    if (!parsed.success) throw new PolybotError('CONFIG_INVALID', 'POLYBOT_PRIVATE_KEY: expected a 32-byte hex private key (value not shown)');
    // Proxy and Safe wallets sign for a funder that holds the pUSD: without it every order would be refused.
    const sigType = env.POLYBOT_SIGNATURE_TYPE?.trim();
    if (sigType && sigType !== '0' && !/^0x[0-9a-fA-F]{40}$/.test(env.POLYBOT_FUNDER_ADDRESS?.trim() ?? '')) {
      throw new PolybotError(
        'CONFIG_INVALID',
        `POLYBOT_SIGNATURE_TYPE=${sigType} needs POLYBOT_FUNDER_ADDRESS: the 0x address of the wallet holding the funds (your Polymarket wallet address)`,
      );
    }
    const key = parsed.data.startsWith('0x') ? parsed.data : `0x${parsed.data}`;
    return key as Hex;
  }
  // sim: a throwaway key, generated once, never valid for live.
  const file = path.join(dataDir, 'sim-key.json');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(file))
    writeFileSync(file, JSON.stringify({ note: 'throwaway key for the sim venue only', privateKey: generatePrivateKey() }), { mode: 0o600 });
  let json: unknown = null;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // The parser's message may quote the file: never let it near a log.
  }
  const parsed = z.object({ privateKey: KeySchema }).safeParse(json);
  if (!parsed.success) throw new PolybotError('CONFIG_INVALID', `${file} is not a valid sim key file; delete it to make a new one`);
  registerSecret(parsed.data.privateKey);
  return parsed.data.privateKey as Hex;
}
