import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getAddress, hashTypedData, recoverTypedDataAddress, type Hex } from 'viem';

export const CHAIN_ID = 137;
export const EXCHANGE_V2 = '0xE111180000d2663C0091e4f400237545B87B996B';
export const NEG_RISK_EXCHANGE_V2 = '0xe2222d279d744050d28e00520010520000310F59';
const CLOB_AUTH_MESSAGE = 'This message attests that I control the given wallet';

export interface ApiCreds {
  apiKey: string;
  secret: string;
  passphrase: string;
  address: string;
}

export type Headers = Record<string, string | string[] | undefined>;
const h = (headers: Headers, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * API keys per (address, nonce), deterministic as `derive-api-key` promises (docs/polymarket-venue.md
 * §5.1 items 1-2): `create` answers once; while the key exists a second create is refused (400
 * "Could not create api key") and `derive` gives the same key back; derive before any create fails
 * (400 "Could not derive api key!", rs-clob-client-v2 #37).
 */
export class ApiKeys {
  private readonly byKey = new Map<string, ApiCreds>();
  private readonly created = new Set<string>();
  constructor(private readonly seed: string) {}

  private credsFor(address: string, nonce: string): ApiCreds {
    const d = createHash('sha256')
      .update(`${this.seed}:${address.toLowerCase()}${nonce === '0' ? '' : `:${nonce}`}`)
      .digest();
    const hex = d.toString('hex');
    return {
      apiKey: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
      secret: createHash('sha256').update(d).update('secret').digest('base64url'),
      passphrase: createHash('sha256').update(d).update('pass').digest('hex').slice(0, 32),
      address: getAddress(address),
    };
  }

  /** POST /auth/api-key: a new key, or null when one exists for this address and nonce. */
  create(address: string, nonce = '0'): ApiCreds | null {
    const k = `${address.toLowerCase()}:${nonce}`;
    if (this.created.has(k)) return null;
    this.created.add(k);
    const creds = this.credsFor(address, nonce);
    this.byKey.set(creds.apiKey, creds);
    return creds;
  }

  /** GET /auth/derive-api-key: the existing key, or null when none was created. */
  deriveExisting(address: string, nonce = '0'): ApiCreds | null {
    return this.created.has(`${address.toLowerCase()}:${nonce}`) ? this.credsFor(address, nonce) : null;
  }

  /** Test helper: the key of an address, created if need be. */
  derive(address: string): ApiCreds {
    return this.create(address) ?? this.deriveExisting(address)!;
  }

  /** L1: an EIP-712 ClobAuth signature by the address in POLY_ADDRESS. */
  async verifyL1(headers: Headers): Promise<string | null> {
    const address = h(headers, 'POLY_ADDRESS');
    const signature = h(headers, 'POLY_SIGNATURE');
    const timestamp = h(headers, 'POLY_TIMESTAMP');
    const nonce = h(headers, 'POLY_NONCE') ?? '0';
    if (!address || !signature || !timestamp) return null;
    try {
      const recovered = await recoverTypedDataAddress({
        domain: { name: 'ClobAuthDomain', version: '1', chainId: CHAIN_ID },
        types: {
          ClobAuth: [
            { name: 'address', type: 'address' },
            { name: 'timestamp', type: 'string' },
            { name: 'nonce', type: 'uint256' },
            { name: 'message', type: 'string' },
          ],
        },
        primaryType: 'ClobAuth',
        message: { address: address as Hex, timestamp, nonce: BigInt(nonce), message: CLOB_AUTH_MESSAGE },
        signature: signature as Hex,
      });
      return recovered.toLowerCase() === address.toLowerCase() ? getAddress(address) : null;
    } catch {
      return null;
    }
  }

  /** L2: HMAC-SHA256 over timestamp + method + path (no query) + body with the key's secret. */
  verifyL2(headers: Headers, method: string, path: string, body: string): ApiCreds | null {
    const key = h(headers, 'POLY_API_KEY');
    const creds = key ? this.byKey.get(key) : undefined;
    if (!creds) return null;
    if (h(headers, 'POLY_PASSPHRASE') !== creds.passphrase) return null;
    if ((h(headers, 'POLY_ADDRESS') ?? '').toLowerCase() !== creds.address.toLowerCase()) return null;
    const ts = h(headers, 'POLY_TIMESTAMP') ?? '';
    const sig = h(headers, 'POLY_SIGNATURE') ?? '';
    const expected = createHmac('sha256', Buffer.from(creds.secret, 'base64url')).update(`${ts}${method}${path}${body}`).digest('base64url');
    const a = Buffer.from(expected);
    const b = Buffer.from(sig.replace(/=+$/, ''));
    return a.length === b.length && timingSafeEqual(a, b) ? creds : null;
  }
}

export interface WireOrder {
  salt: number | string;
  maker: string;
  signer: string;
  tokenId: string;
  makerAmount: string;
  takerAmount: string;
  side: 'BUY' | 'SELL';
  signatureType: number;
  timestamp: string;
  expiration?: string;
  metadata: string;
  builder: string;
  signature: string;
}

/** The CTF Exchange V2 order struct, as signed (EIP-712); also the inner struct of a type-3 signature. */
export const ORDER_TYPES = {
  Order: [
    { name: 'salt', type: 'uint256' },
    { name: 'maker', type: 'address' },
    { name: 'signer', type: 'address' },
    { name: 'tokenId', type: 'uint256' },
    { name: 'makerAmount', type: 'uint256' },
    { name: 'takerAmount', type: 'uint256' },
    { name: 'side', type: 'uint8' },
    { name: 'signatureType', type: 'uint8' },
    { name: 'timestamp', type: 'uint256' },
    { name: 'metadata', type: 'bytes32' },
    { name: 'builder', type: 'bytes32' },
  ],
} as const;

function typedOrder(o: WireOrder, negRisk: boolean) {
  return {
    domain: {
      name: 'Polymarket CTF Exchange',
      version: '2',
      chainId: CHAIN_ID,
      verifyingContract: (negRisk ? NEG_RISK_EXCHANGE_V2 : EXCHANGE_V2) as Hex,
    },
    types: ORDER_TYPES,
    primaryType: 'Order' as const,
    message: {
      salt: BigInt(o.salt),
      maker: o.maker as Hex,
      signer: o.signer as Hex,
      tokenId: BigInt(o.tokenId),
      makerAmount: BigInt(o.makerAmount),
      takerAmount: BigInt(o.takerAmount),
      side: o.side === 'BUY' ? 0 : 1,
      signatureType: o.signatureType,
      timestamp: BigInt(o.timestamp),
      metadata: o.metadata as Hex,
      builder: o.builder as Hex,
    },
  };
}

/** The order id is the EIP-712 hash of the signed order: a client knows it before posting. */
export function orderHash(o: WireOrder, negRisk = false): string {
  return hashTypedData(typedOrder(o, negRisk));
}

export async function orderSigner(o: WireOrder, negRisk = false): Promise<string | null> {
  try {
    return await recoverTypedDataAddress({ ...typedOrder(o, negRisk), signature: o.signature as Hex });
  } catch {
    return null;
  }
}
