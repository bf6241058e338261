/**
 * Test-only: the official `@polymarket/clob-client-v2` set up as a user of the sim venue would be:
 * an account made at sign-up (a deposit wallet by default, as on Polymarket since 2026-05-04), an
 * API key created once and derived on every later start, and the client signing for that wallet.
 */
import { ApiError, ClobClient } from '@polymarket/clob-client-v2';
import { createWalletClient, http as viemHttp, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { polygon } from 'viem/chains';

export interface SimUser {
  client: ClobClient;
  key: Hex;
  eoa: string;
  wallet: string;
  signatureType: number;
  creds: { key: string; secret: string; passphrase: string };
}

export async function simUser(url: string, opts: { type?: 'eoa' | 'proxy' | 'safe' | 'deposit'; deployed?: boolean; key?: Hex } = {}): Promise<SimUser> {
  const key = opts.key ?? generatePrivateKey();
  const account = privateKeyToAccount(key);
  const signer = createWalletClient({ account, chain: polygon, transport: viemHttp('http://127.0.0.1:1') });
  const acct = (await (
    opts.type
      ? await fetch(`${url}/sim/users`, {
          method: 'POST',
          body: JSON.stringify({ address: account.address, type: opts.type, deployed: opts.deployed ?? true }),
        })
      : await fetch(`${url}/sim/users/${account.address}`)
  ).json()) as { wallet: string; signatureType: number };
  const base = { host: url, chain: 137, signer, throwOnError: true, signatureType: acct.signatureType, funderAddress: acct.wallet };
  const l1 = new ClobClient(base as never);
  let creds;
  try {
    creds = await l1.createApiKey();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400) throw err;
    creds = await l1.deriveApiKey();
  }
  return { client: new ClobClient({ ...base, creds } as never), key, eoa: account.address, wallet: acct.wallet, signatureType: acct.signatureType, creds };
}
