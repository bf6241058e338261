/**
 * Our order signatures, byte for byte against the official client's (`@polymarket/clob-client-v2`
 * 1.1.0 `OrderBuilder`, V2 orders) for the same order: every signature type (0 EOA, 1 proxy, 2 Safe,
 * 3 deposit wallet: ERC-7739-wrapped POLY_1271, docs/polymarket-venue.md §3), both exchanges (plain
 * and neg-risk), buys and sells. ECDSA here is deterministic (RFC 6979), so equal typed data gives
 * equal bytes: the official builder signs with its own salt and timestamp, and we sign those same
 * fields with `signOrderV2`.
 */
import { OrderBuilder, Side } from '@polymarket/clob-client-v2';
import { createWalletClient, http, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { polygon } from 'viem/chains';
import { describe, expect, it } from 'vitest';
import { signOrderV2, type SignatureType, type UnsignedOrderV2 } from './signing.js';

const KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const WALLET = '0x7a16fF8270133F063aAb6C9977183D9e72835428'; // the funder of types 1-3 (any address: signing needs no chain)

/** The official builder's signed order, as our struct (its fields have the same names). */
function fields(o: Record<string, unknown>): UnsignedOrderV2 & { signature: string } {
  return {
    salt: String(o.salt),
    maker: o.maker as Hex,
    signer: o.signer as Hex,
    tokenId: String(o.tokenId),
    makerAmount: String(o.makerAmount),
    takerAmount: String(o.takerAmount),
    side: o.side as 'BUY' | 'SELL',
    signatureType: o.signatureType as SignatureType,
    timestamp: String(o.timestamp),
    expiration: String(o.expiration ?? '0'),
    metadata: o.metadata as Hex,
    builder: o.builder as Hex,
    signature: String(o.signature),
  };
}

describe("order signatures against the official client's", () => {
  const account = privateKeyToAccount(KEY);
  const wallet = createWalletClient({ account, chain: polygon, transport: http('http://127.0.0.1:9') });
  for (const signatureType of [0, 1, 2, 3] as const) {
    for (const negRisk of [false, true]) {
      it(`type ${signatureType}${negRisk ? ', neg-risk exchange' : ''}: the same bytes`, async () => {
        const funder = signatureType === 0 ? account.address : WALLET;
        const builder = new OrderBuilder(wallet as never, 137, signatureType as never, funder);
        for (const [side, price, size] of [
          [Side.BUY, 0.57, 12.34],
          [Side.SELL, 0.031, 250],
        ] as const) {
          const raw = (await builder.buildOrder(
            { tokenID: '71321045679252212594626385532706912750332728571942532289631379312455583992563', price, size, side } as never,
            { tickSize: price === 0.031 ? '0.001' : '0.01', negRisk } as never,
            2,
          )) as unknown as Record<string, unknown>;
          const official = fields(raw);
          const { signature, ...unsigned } = official;
          // Who makes and who signs, as the venue checks it (§5.1 item 4).
          expect(unsigned.maker).toBe(funder);
          expect(unsigned.signer).toBe(signatureType === 3 ? WALLET : account.address);
          const ours = await signOrderV2(account, unsigned, negRisk);
          expect(ours.signature).toBe(signature);
          if (signatureType === 3)
            expect((signature.length - 2) / 2).toBe(65 + 32 + 32 + 186 + 2); // §3: 317 bytes
          else expect((signature.length - 2) / 2).toBe(65);
        }
      });
    }
  }
});
