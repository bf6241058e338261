/**
 * The CLOB's view of an account's money, on top of the chain: the balance it last read (refreshed
 * by `GET /balance-allowance/update`, and moved by its own trades), what open orders and
 * matched-but-not-yet-mined trades reserve, and the balance check a new order must pass.
 *
 * Sources (docs/polymarket-venue.md):
 * - §1 and §4: `GET /balance-allowance?asset_type=COLLATERAL|CONDITIONAL&token_id=&signature_type=`
 *   answers `{balance:"<base units>", allowances:{addr:"<uint>"}}`, and `GET /balance-allowance/update`
 *   is called before a re-fetch (the CLOB's cached view is refreshed on request).
 * - §5.2 item 10: an order may use up to `balance − Σ(open size − filled)`; the failure text starts
 *   with `not enough balance / allowance`, e.g. `…: the balance is not enough -> balance: 0`, and it
 *   also shows briefly after a fill, before settlement (so matched trades not yet on chain reserve too).
 *   The full text with the order amount in base units (`balance: 8100, order amount: 5140070`, and
 *   `sum of matched orders` when something is reserved) is as third-party bots record it from the
 *   live CLOB (found through the reference search; not in Polymarket's docs).
 */
import { CONTRACTS, TRADING_SPENDERS, toUnits, type Chain } from './chain.js';
import type { SimOrder } from './exchange.js';

export const COLLATERAL = 'COLLATERAL';
const key = (address: string, asset: string) => `${address.toLowerCase()}|${asset}`;
const MAX_UINT256 = (2n ** 256n - 1n).toString();

export class ClobBalances {
  private readonly cached = new Map<string, bigint>();

  constructor(
    private readonly chain: Chain,
    private readonly orders: () => Iterable<SimOrder>,
    private readonly feeRate: number,
  ) {}

  private onChain(address: string, asset: string): bigint {
    return asset === COLLATERAL ? this.chain.balance(address) : this.chain.tokenBalance(address, asset);
  }

  /** The balance the CLOB believes (read from chain the first time, then only on update or by its own trades). */
  balance(address: string, asset: string): bigint {
    const k = key(address, asset);
    let v = this.cached.get(k);
    if (v === undefined) {
      v = this.onChain(address, asset);
      this.cached.set(k, v);
    }
    return v;
  }

  /** `GET /balance-allowance/update`: re-read the chain. */
  refresh(address: string, asset: string): void {
    this.cached.set(key(address, asset), this.onChain(address, asset));
  }

  /** One of its own trades reached the chain: the CLOB moves its view with it. */
  moved(address: string, asset: string, delta: bigint): void {
    const k = key(address, asset);
    const v = this.cached.get(k);
    if (v !== undefined) this.cached.set(k, v + delta);
  }

  /**
   * What open orders and matched-but-unmined trades of this maker hold back: pUSD for BUYs (price ×
   * remaining size, plus the taker fee on what matched), shares of the token for SELLs.
   */
  reserved(address: string, asset: string): bigint {
    let units = 0n;
    for (const o of this.orders()) {
      if (o.maker.toLowerCase() !== address.toLowerCase()) continue;
      const collateral = asset === COLLATERAL;
      if (collateral ? o.side !== 'BUY' : o.side !== 'SELL' || o.tokenId !== asset) continue;
      if (o.status === 'LIVE' || o.status === 'DELAYED') {
        const remaining = Math.max(0, o.originalSize - o.sizeMatched);
        units += collateral ? toUnits(remaining * o.price) : toUnits(remaining);
      }
      for (const t of o.trades) {
        if (t.status !== 'MATCHED') continue;
        units += collateral ? toUnits(t.size * t.price) + toUnits(t.fee) : toUnits(t.size);
      }
    }
    return units;
  }

  /**
   * Null when the order fits, else the venue's refusal text. A BUY needs its pUSD amount (with the
   * taker fee at its limit when it can take) within balance − reserved, and the exchange's pUSD
   * allowance; a SELL needs its shares, and the exchange approved as operator.
   */
  refusal(o: Pick<SimOrder, 'maker' | 'side' | 'tokenId' | 'price' | 'originalSize'>, takes: boolean, negRisk = false): string | null {
    const exchange = negRisk ? CONTRACTS.negRiskExchangeV2 : CONTRACTS.exchangeV2;
    const asset = o.side === 'BUY' ? COLLATERAL : o.tokenId;
    const fee = takes && o.side === 'BUY' ? o.originalSize * this.feeRate * o.price * (1 - o.price) : 0;
    const amount = o.side === 'BUY' ? toUnits(o.originalSize * o.price + fee) : toUnits(o.originalSize);
    if (o.side === 'BUY' ? this.chain.allowance(o.maker, exchange) < amount : !this.chain.isApprovedForAll(o.maker, exchange)) {
      // The prefix is what clients match (§5.3 item 12); the words after it are the sim's.
      return `not enough balance / allowance: the allowance is not enough -> spender: ${exchange}, order amount: ${amount}`;
    }
    const balance = this.balance(o.maker, asset);
    const reserved = this.reserved(o.maker, asset);
    if (amount > balance - reserved) {
      return reserved > 0n
        ? `not enough balance / allowance: the balance is not enough -> balance: ${balance}, sum of matched orders: ${reserved}, order amount: ${amount}`
        : `not enough balance / allowance: the balance is not enough -> balance: ${balance}, order amount: ${amount}`;
    }
    return null;
  }

  /** The `/balance-allowance` answer. */
  answer(address: string, asset: string): { balance: string; allowances: Record<string, string> } {
    const collateral = asset === COLLATERAL;
    const allowances: Record<string, string> = {};
    for (const spender of TRADING_SPENDERS) {
      allowances[spender] = collateral ? this.chain.allowance(address, spender).toString() : this.chain.isApprovedForAll(address, spender) ? MAX_UINT256 : '0';
    }
    return { balance: this.balance(address, asset).toString(), allowances };
  }
}
