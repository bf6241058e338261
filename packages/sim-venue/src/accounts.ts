/**
 * Accounts as the venue sees them: each API key belongs to an EOA (L1 auth is EOA-bound,
 * docs/polymarket-venue.md §2), and each EOA has one account type that decides which orders it
 * may sign (§5.1 item 4):
 * - `deposit` (every account made since 2026-05-04, the default for an address the sim has not
 *   seen): orders must be type 3 (POLY_1271) with maker = signer = the EOA's deployed deposit
 *   wallet and an ERC-7739-wrapped signature by the EOA (§2, §3). An EOA or Safe maker gets
 *   "maker address not allowed, please use the deposit wallet flow" (py-clob-client-v2 #52/#53,
 *   py-sdk #136); an undeployed or foreign wallet gets "the order signer address has to be the
 *   address of the API KEY" (py-clob-client-v2 #64, py-sdk #136).
 * - `eoa` (legacy): type 0, maker = signer = the EOA.
 * - `proxy` / `safe` (legacy): type 1 / 2, maker = the account's wallet, signer = the EOA.
 * Any signer that is not the key's EOA (types 0-2) gets "the order signer address has to be the
 * address of the API KEY" (clob-client-v2 #66/#73/#103).
 */
import { getAddress, keccak256, encodeAbiParameters, recoverTypedDataAddress, toHex, type Hex } from 'viem';
import { CHAIN_ID, EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, ORDER_TYPES, type WireOrder } from './auth.js';

export type AccountType = 'eoa' | 'proxy' | 'safe' | 'deposit';
export const SIGNATURE_TYPE: Record<AccountType, number> = { eoa: 0, proxy: 1, safe: 2, deposit: 3 };

export interface SimAccount {
  eoa: string;
  type: AccountType;
  /** The funder wallet (maker of its orders); the EOA itself for `eoa`. */
  wallet: string;
  /** Whether that wallet contract exists on chain (an `eoa` account always "is"). */
  deployed: boolean;
}

/** The sim's stand-in for the CREATE2 address of an EOA's proxy or Safe (deterministic, not Polymarket's init code). */
export function walletAddressFor(eoa: string, type: 'proxy' | 'safe'): string {
  const h = keccak256(encodeAbiParameters([{ type: 'string' }, { type: 'address' }], [`sim-${type}-wallet`, getAddress(eoa)]));
  return getAddress(`0x${h.slice(-40)}`);
}

/** Deposit wallets live with the relayer (relayer.ts): their address, deployment, and deploying one. */
export interface DepositWallets {
  walletOf(owner: string): string;
  isDeployed(wallet: string): boolean;
  deploy(owner: string): string;
}

export class Accounts {
  private readonly byEoa = new Map<string, { eoa: string; type: AccountType; wallet: string; deployed: boolean }>();

  constructor(private readonly deposit: DepositWallets) {}

  private view(a: { eoa: string; type: AccountType; wallet: string; deployed: boolean }): SimAccount {
    return { ...a, deployed: a.type === 'deposit' ? this.deposit.isDeployed(a.wallet) : a.deployed };
  }

  /** The account of an EOA; one not seen before is a new account: a deposit wallet, deployed at sign-up. */
  get(eoa: string): SimAccount {
    const key = eoa.toLowerCase();
    let a = this.byEoa.get(key);
    if (!a) {
      const wallet = this.deposit.deploy(eoa);
      a = { eoa: getAddress(eoa), type: 'deposit', wallet, deployed: true };
      this.byEoa.set(key, a);
    }
    return this.view(a);
  }

  /** Sign-up (what polymarket.com does): an account of a given type, deployed unless told otherwise. */
  register(eoa: string, type: AccountType, deployed = true): SimAccount {
    let wallet: string = getAddress(eoa);
    if (type === 'deposit') wallet = deployed ? this.deposit.deploy(eoa) : getAddress(this.deposit.walletOf(eoa));
    else if (type !== 'eoa') wallet = walletAddressFor(eoa, type);
    const a = { eoa: getAddress(eoa), type, wallet, deployed: type === 'eoa' ? true : deployed };
    this.byEoa.set(eoa.toLowerCase(), a);
    return this.view(a);
  }
}

const ORDER_TYPE_STRING =
  'Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)';

function domain(negRisk: boolean) {
  return { name: 'Polymarket CTF Exchange', version: '2', chainId: CHAIN_ID, verifyingContract: (negRisk ? NEG_RISK_EXCHANGE_V2 : EXCHANGE_V2) as Hex };
}
function message(o: WireOrder) {
  return {
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
  };
}

/**
 * The EOA behind a type-3 (POLY_1271) signature, as the deposit wallet's ERC-1271 check with
 * ERC-7739 nested typed data sees it (§3): 65-byte ECDSA over `TypedDataSign{contents: Order,
 * "DepositWallet", "1", chainId, wallet, 0}` in the exchange domain, followed by that domain's
 * separator, the order's struct hash, the type string and its uint16 length. Null when any part
 * does not match the order.
 */
export async function depositWalletSigner(o: WireOrder, negRisk = false): Promise<string | null> {
  try {
    const sig = o.signature.startsWith('0x') ? o.signature.slice(2) : o.signature;
    if (sig.length !== (65 + 32 + 32 + 186 + 2) * 2) return null;
    const ecdsa = `0x${sig.slice(0, 130)}` as Hex;
    const sep = `0x${sig.slice(130, 194)}`;
    const contents = `0x${sig.slice(194, 258)}`;
    const typeString = Buffer.from(sig.slice(258, 258 + 372), 'hex').toString('utf8');
    const len = parseInt(sig.slice(630, 634), 16);
    const d = domain(negRisk);
    const expectedSep = keccak256(
      encodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
        [
          keccak256(toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)')),
          keccak256(toHex(d.name)),
          keccak256(toHex(d.version)),
          BigInt(d.chainId),
          d.verifyingContract,
        ],
      ),
    );
    const m = message(o);
    const expectedContents = keccak256(
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
    if (
      sep.toLowerCase() !== expectedSep.toLowerCase() ||
      contents.toLowerCase() !== expectedContents.toLowerCase() ||
      typeString !== ORDER_TYPE_STRING ||
      len !== 186
    )
      return null;
    return await recoverTypedDataAddress({
      domain: d,
      types: {
        TypedDataSign: [
          { name: 'contents', type: 'Order' },
          { name: 'name', type: 'string' },
          { name: 'version', type: 'string' },
          { name: 'chainId', type: 'uint256' },
          { name: 'verifyingContract', type: 'address' },
          { name: 'salt', type: 'bytes32' },
        ],
        Order: ORDER_TYPES.Order,
      },
      primaryType: 'TypedDataSign',
      message: { contents: m, name: 'DepositWallet', version: '1', chainId: BigInt(CHAIN_ID), verifyingContract: o.signer as Hex, salt: `0x${'0'.repeat(64)}` },
      signature: ecdsa,
    });
  } catch {
    return null;
  }
}

/** The venue's answer to who may sign this order for this key's account: null when fine, else the 400 text. */
export async function checkOrderSigner(o: WireOrder, account: SimAccount, plainSigner: () => Promise<string | null>, negRisk = false): Promise<string | null> {
  const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (o.signatureType === 3) {
    if (account.type !== 'deposit') return 'the order signer address has to be the address of the API KEY';
    if (!eq(o.maker, o.signer) || !eq(o.signer, account.wallet) || !account.deployed) return 'the order signer address has to be the address of the API KEY';
    const eoa = await depositWalletSigner(o, negRisk);
    return eoa && eq(eoa, account.eoa) ? null : 'invalid signature';
  }
  if (!eq(o.signer, account.eoa)) return 'the order signer address has to be the address of the API KEY';
  // New (deposit-wallet) accounts may not trade from an EOA or a Safe.
  if (account.type === 'deposit') return 'maker address not allowed, please use the deposit wallet flow';
  const expectedType = SIGNATURE_TYPE[account.type];
  if (o.signatureType !== expectedType || !eq(o.maker, account.wallet)) return 'invalid signature';
  const signer = await plainSigner();
  return signer && eq(signer, account.eoa) ? null : 'invalid signature';
}
