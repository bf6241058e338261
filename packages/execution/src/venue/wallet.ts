/**
 * Which wallet the bot trades through. Live: the user says (POLYBOT_SIGNATURE_TYPE and
 * POLYBOT_FUNDER_ADDRESS, checked against what the venue is known to refuse). Sim: the sim venue
 * is also polymarket.com, so the account it made for the key says (`GET /sim/users/{address}`;
 * a new account is a deposit wallet, as on Polymarket since 2026-05-04).
 */
import { privateKeyToAccount } from 'viem/accounts';
import type { Hex } from 'viem';
import { z } from 'zod';
import { walletSetupProblem, type SignatureType } from './signing.js';

export interface WalletSetup {
  signatureType: SignatureType;
  funderAddress?: string;
}

const SimAccountSchema = z
  .object({ signatureType: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]), wallet: z.string().regex(/^0x[0-9a-fA-F]{40}$/) })
  .passthrough();

/** The address of a signing key (the EOA that signs L1 auth and, for types 0-2, orders). */
export const keyAddress = (privateKey: Hex): string => privateKeyToAccount(privateKey).address;

/** The sim account of a key: its signature type and funder wallet. */
export async function simWallet(host: string, privateKey: Hex, timeoutMs = 5_000): Promise<WalletSetup> {
  const eoa = privateKeyToAccount(privateKey).address;
  const res = await fetch(`${host.replace(/\/+$/, '')}/sim/users/${eoa}`, { signal: AbortSignal.timeout(timeoutMs) });
  const p = SimAccountSchema.safeParse(await res.json().catch(() => null));
  if (!res.ok || !p.success) throw new Error(`sim account of ${eoa}: unexpected answer ${res.status}`);
  return p.data.signatureType === 0 ? { signatureType: 0 } : { signatureType: p.data.signatureType, funderAddress: p.data.wallet };
}

/**
 * The wallet to trade through: the one configured (POLYBOT_SIGNATURE_TYPE, POLYBOT_FUNDER_ADDRESS),
 * else on the sim the account the sim made for the key. Live without a usable setup throws, saying
 * what to configure (a setup the venue is known to refuse).
 */
export async function resolveWallet(
  venue: string,
  configured: { signatureType?: number | undefined; funderAddress?: string | undefined },
  host: string,
  privateKey: Hex,
  timeoutMs = 5_000,
): Promise<WalletSetup> {
  const eoa = privateKeyToAccount(privateKey).address;
  const wallet: WalletSetup | null =
    configured.signatureType !== undefined
      ? { signatureType: configured.signatureType as SignatureType, ...(configured.funderAddress ? { funderAddress: configured.funderAddress } : {}) }
      : null;
  const problem = walletSetupProblem({ signatureType: wallet?.signatureType, funderAddress: wallet?.funderAddress, eoa });
  if (venue === 'live' && problem) throw new Error(problem);
  return wallet ?? (await simWallet(host, privateKey, timeoutMs));
}
