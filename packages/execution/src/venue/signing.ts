/**
 * Signs CTF Exchange V2 orders for every wallet type the venue knows, from exact amounts (the
 * sizing code decides them; the official client's builder cannot be given amounts for V2).
 *
 * - type 0 (EOA): maker = signer = the key's address; plain EIP-712 `Order` signature.
 * - type 1 (Polymarket proxy) and 2 (Gnosis Safe): maker = the funder wallet, signer = the EOA;
 *   plain EIP-712 `Order` signature by the EOA.
 * - type 3 (POLY_1271, deposit wallet): maker = signer = the deposit wallet; the EOA signs an
 *   ERC-7739 `TypedDataSign{contents: Order, name "DepositWallet", version "1", chainId,
 *   verifyingContract: wallet, salt 0}` under the exchange domain, and the wire signature is
 *   `ecdsa(65) ‖ exchangeDomainSeparator(32) ‖ contentsHash(32) ‖ typeString(186) ‖ uint16 186`
 *   (docs/polymarket-venue.md §3; clob-client-v2 1.1.0 `order-utils/exchangeOrderBuilderV2`).
 *   `signing.official.test.ts` checks these bytes against the official client's for the same order.
 */
import { encodeAbiParameters, hashTypedData, keccak256, toHex, type Hex, type LocalAccount } from 'viem';

export const CHAIN_ID = 137;
export const EXCHANGE_V2 = '0xE111180000d2663C0091e4f400237545B87B996B';
export const NEG_RISK_EXCHANGE_V2 = '0xe2222d279d744050d28e00520010520000310F59';
export const ZERO_BYTES32 = `0x${'0'.repeat(64)}` as Hex;

export const SIGNATURE_TYPES = { EOA: 0, POLY_PROXY: 1, POLY_GNOSIS_SAFE: 2, POLY_1271: 3 } as const;
export type SignatureType = 0 | 1 | 2 | 3;

export const ORDER_STRUCT = [
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
] as const;
const ORDER_TYPE_STRING =
  'Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)';
const DOMAIN_TYPE_HASH = keccak256(toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
const TYPED_DATA_SIGN_STRUCT = [
  { name: 'contents', type: 'Order' },
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
] as const;

/** A signed V2 order as the venue takes it (amounts in 1e-6 units, as decimal strings). */
export interface SignedOrderV2 {
  salt: string;
  maker: Hex;
  signer: Hex;
  tokenId: string;
  makerAmount: string;
  takerAmount: string;
  side: 'BUY' | 'SELL';
  signatureType: SignatureType;
  timestamp: string;
  expiration: string;
  metadata: Hex;
  builder: Hex;
  signature: Hex;
}

export type UnsignedOrderV2 = Omit<SignedOrderV2, 'signature'>;

export function exchangeDomain(negRisk: boolean) {
  return {
    name: 'Polymarket CTF Exchange',
    version: '2',
    chainId: CHAIN_ID,
    verifyingContract: (negRisk ? NEG_RISK_EXCHANGE_V2 : EXCHANGE_V2) as Hex,
  } as const;
}

function orderMessage(o: UnsignedOrderV2) {
  return {
    salt: BigInt(o.salt),
    maker: o.maker,
    signer: o.signer,
    tokenId: BigInt(o.tokenId),
    makerAmount: BigInt(o.makerAmount),
    takerAmount: BigInt(o.takerAmount),
    side: o.side === 'BUY' ? 0 : 1,
    signatureType: o.signatureType,
    timestamp: BigInt(o.timestamp),
    metadata: o.metadata,
    builder: o.builder,
  };
}

/** The venue's order id: the EIP-712 hash of the order (known before posting). */
export function orderHash(o: UnsignedOrderV2, negRisk: boolean): Hex {
  return hashTypedData({ domain: exchangeDomain(negRisk), types: { Order: ORDER_STRUCT }, primaryType: 'Order', message: orderMessage(o) });
}

function domainSeparator(negRisk: boolean): Hex {
  const d = exchangeDomain(negRisk);
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
      [DOMAIN_TYPE_HASH, keccak256(toHex(d.name)), keccak256(toHex(d.version)), BigInt(d.chainId), d.verifyingContract],
    ),
  );
}

function contentsHash(o: UnsignedOrderV2): Hex {
  const m = orderMessage(o);
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint256' },
        { type: 'uint8' },
        { type: 'uint8' },
        { type: 'uint256' },
        { type: 'bytes32' },
        { type: 'bytes32' },
      ],
      [
        keccak256(toHex(ORDER_TYPE_STRING)),
        m.salt,
        m.maker,
        m.signer,
        m.tokenId,
        m.makerAmount,
        m.takerAmount,
        m.side,
        m.signatureType,
        m.timestamp,
        m.metadata,
        m.builder,
      ],
    ),
  );
}

/** Signs an order with the EOA `account` for its signature type (see the header). */
export async function signOrderV2(account: LocalAccount, o: UnsignedOrderV2, negRisk: boolean): Promise<SignedOrderV2> {
  const domain = exchangeDomain(negRisk);
  if (o.signatureType !== SIGNATURE_TYPES.POLY_1271) {
    if (o.signer.toLowerCase() !== account.address.toLowerCase()) throw new Error('the order signer must be the signing key for signature types 0, 1 and 2');
    const signature = await account.signTypedData({ domain, types: { Order: ORDER_STRUCT }, primaryType: 'Order', message: orderMessage(o) });
    return { ...o, signature };
  }
  if (o.signer.toLowerCase() !== o.maker.toLowerCase()) throw new Error('a deposit-wallet (type 3) order has maker = signer = the deposit wallet');
  const inner = await account.signTypedData({
    domain,
    types: { TypedDataSign: TYPED_DATA_SIGN_STRUCT, Order: ORDER_STRUCT },
    primaryType: 'TypedDataSign',
    message: { contents: orderMessage(o), name: 'DepositWallet', version: '1', chainId: BigInt(CHAIN_ID), verifyingContract: o.signer, salt: ZERO_BYTES32 },
  });
  const len = (186).toString(16).padStart(4, '0');
  const signature = `0x${inner.slice(2)}${domainSeparator(negRisk).slice(2)}${contentsHash(o).slice(2)}${toHex(ORDER_TYPE_STRING).slice(2)}${len}` as Hex;
  return { ...o, signature };
}

/** A salt as the official client makes it (fits 53 bits: the wire sends it as a JSON number). */
export function newSalt(nowMs: number): string {
  return String(Math.round(Math.random() * nowMs));
}

/** A setup the venue is known to refuse: what to configure instead. */
export function walletSetupProblem(o: { signatureType: number | undefined; funderAddress?: string | undefined; eoa: string }): string | null {
  if (o.signatureType === undefined) {
    return "set POLYBOT_SIGNATURE_TYPE: 3 for a deposit wallet (every Polymarket account made since 2026-05-04), 1 for a Polymarket proxy wallet, 2 for a Gnosis Safe, 0 only for a legacy account that trades from the key's own address";
  }
  if (o.signatureType === 0) {
    if (o.funderAddress && o.funderAddress.toLowerCase() !== o.eoa.toLowerCase()) {
      return `POLYBOT_SIGNATURE_TYPE=0 trades from the key's own address ${o.eoa}; POLYBOT_FUNDER_ADDRESS ${o.funderAddress} would be refused by the venue (set the wallet's type 1, 2 or 3 instead)`;
    }
    return null;
  }
  if (!o.funderAddress)
    return `POLYBOT_SIGNATURE_TYPE=${o.signatureType} needs POLYBOT_FUNDER_ADDRESS: the address of the wallet that holds the pUSD (your Polymarket wallet address)`;
  if (o.funderAddress.toLowerCase() === o.eoa.toLowerCase()) {
    return `POLYBOT_FUNDER_ADDRESS is the key's own address; for POLYBOT_SIGNATURE_TYPE=${o.signatureType} it must be the ${o.signatureType === 3 ? 'deposit wallet' : o.signatureType === 1 ? 'proxy wallet' : 'Safe'} address`;
  }
  return null;
}
