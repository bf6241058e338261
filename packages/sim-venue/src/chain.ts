/**
 * The sim's Polygon: what each address holds on chain — pUSD (ERC-20, 6 decimals) and the outcome
 * tokens (ERC-1155 conditional tokens, 6 decimals) — the approvals trading needs, and the contract
 * calls a relayer batch can make: `approve`, `setApprovalForAll`, and `redeemPositions` /
 * `mergePositions` on the CollateralAdapter. Amounts are integers in base units (1e6 = 1 pUSD or
 * 1 share), as on chain. Imports nothing of the bot.
 *
 * Sources: docs/polymarket-venue.md §1 ("Redeem target for a standard binary market":
 * `redeemPositions(collateralToken=pUSD, parent=0, cid, [1,2])` on the CollateralAdapter; merge and
 * approvals through relayer batches) and docs/polymarket.md §10 (merge burns a pair and releases
 * 1 pUSD; redeem pays the winning side after resolution). Contract addresses: polymarket.md §6
 * (pUSD), polymarket-venue.md §1 and §3 (adapter, exchanges), and the 0.2.0 SDK's
 * src/environments.ts that §1 cites (conditional tokens, neg-risk adapter, deposit-wallet factory).
 */
import { decodeFunctionData, getAddress, parseAbi, type Hex } from 'viem';

export const CONTRACTS = {
  pUSD: '0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB',
  conditionalTokens: '0x4D97DCd97eC945f40cF65F87097ACe5EA0476045',
  collateralAdapter: '0xAdA100Db00Ca00073811820692005400218FcE1f',
  negRiskCollateralAdapter: '0xadA2005600Dec949baf300f4C6120000bDB6eAab',
  exchangeV2: '0xE111180000d2663C0091e4f400237545B87B996B',
  negRiskExchangeV2: '0xe2222d279d744050d28e00520010520000310F59',
  depositWalletFactory: '0x00000000000Fb5C9ADea0298D729A0CB3823Cc07',
} as const;

/** What Polymarket's onboarding approves (0.2.0 SDK src/actions/approvals.ts `getRequiredTradingApprovals`, the part a standard and a neg-risk market use). */
export const TRADING_SPENDERS = [CONTRACTS.exchangeV2, CONTRACTS.negRiskExchangeV2, CONTRACTS.collateralAdapter, CONTRACTS.negRiskCollateralAdapter] as const;

const MAX_UINT256 = 2n ** 256n - 1n;
const ZERO32 = `0x${'0'.repeat(64)}`;

export const CHAIN_ABI = parseAbi([
  'function approve(address spender, uint256 amount) returns (bool)',
  'function setApprovalForAll(address operator, bool approved)',
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
  'function mergePositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)',
  'function splitPosition(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)',
]);

export interface Condition {
  upToken: string;
  downToken: string;
  /** Null until the market resolves (the oracle reports the payout). */
  winner: 'Up' | 'Down' | null;
}

export interface Call {
  target: string;
  data: string;
}

export type CallResult = { ok: true; effects: string[] } | { ok: false; error: string };

interface Holdings {
  pusd: bigint;
  tokens: Map<string, bigint>;
  /** pUSD allowances by spender. */
  allowances: Map<string, bigint>;
  /** ERC-1155 operators approved for all of this holder's outcome tokens. */
  operators: Set<string>;
}

const key = (a: string) => a.toLowerCase();
export const toUnits = (v: number) => BigInt(Math.round(v * 1e6));
export const fromUnits = (u: bigint) => Number(u) / 1e6;

export interface ChainConfig {
  /** pUSD an address holds when first seen (a funded account). */
  startingUnits: bigint;
  /** First-seen addresses carry the onboarding approvals (the Polymarket app sets them up when an account is made). */
  onboarded: boolean;
}

export class Chain {
  private readonly holders = new Map<string, Holdings>();
  private readonly conditions = new Map<string, Condition>();

  constructor(
    private readonly cfg: ChainConfig,
    private readonly lookup: (conditionId: string) => Condition | null = () => null,
  ) {}

  private holder(address: string): Holdings {
    let h = this.holders.get(key(address));
    if (!h) {
      h = {
        pusd: this.cfg.startingUnits,
        tokens: new Map(),
        allowances: new Map(this.cfg.onboarded ? TRADING_SPENDERS.map((s) => [key(s), MAX_UINT256] as const) : []),
        operators: new Set(this.cfg.onboarded ? TRADING_SPENDERS.map(key) : []),
      };
      this.holders.set(key(address), h);
    }
    return h;
  }

  /** A condition as the chain knows it; remembered after the venue forgets the market. */
  condition(conditionId: string): Condition | null {
    const known = this.conditions.get(key(conditionId));
    if (known?.winner) return known;
    const fresh = this.lookup(conditionId);
    if (fresh) this.conditions.set(key(conditionId), { ...fresh });
    return fresh ?? known ?? null;
  }

  /** The oracle reported: payouts are fixed (called at resolution). */
  resolve(conditionId: string, c: Condition): void {
    this.conditions.set(key(conditionId), { ...c });
  }

  balance(address: string): bigint {
    return this.holder(address).pusd;
  }
  tokenBalance(address: string, tokenId: string): bigint {
    return this.holder(address).tokens.get(tokenId) ?? 0n;
  }
  allowance(owner: string, spender: string): bigint {
    return this.holder(owner).allowances.get(key(spender)) ?? 0n;
  }
  isApprovedForAll(owner: string, operator: string): boolean {
    return this.holder(owner).operators.has(key(operator));
  }
  /** Every token this address holds a balance of. */
  tokens(address: string): Array<[string, bigint]> {
    return [...this.holder(address).tokens.entries()].filter(([, v]) => v > 0n);
  }

  /** Sim control (a deposit or withdrawal, or revoked approvals): tests and `/sim/accounts` only. */
  setBalance(address: string, units: bigint): void {
    this.holder(address).pusd = units;
  }
  revokeApprovals(address: string): void {
    const h = this.holder(address);
    h.allowances.clear();
    h.operators.clear();
  }

  /**
   * A trade reaches the chain (MINED): the taker pays price × size and the fee in pUSD for a BUY and
   * receives the shares; a SELL the reverse. Returns false (the trade FAILS on chain) when the holder
   * no longer has what it pays with.
   */
  settleTrade(address: string, side: 'BUY' | 'SELL', tokenId: string, shares: bigint, costUnits: bigint, feeUnits: bigint): boolean {
    const h = this.holder(address);
    const held = h.tokens.get(tokenId) ?? 0n;
    if (side === 'BUY') {
      if (h.pusd < costUnits + feeUnits) return false;
      h.pusd -= costUnits + feeUnits;
      h.tokens.set(tokenId, held + shares);
    } else {
      if (held < shares) return false;
      h.tokens.set(tokenId, held - shares);
      h.pusd += costUnits - feeUnits;
    }
    return true;
  }

  /** A relayer batch from `wallet`: every call or none (a revert undoes the whole batch, as a transaction does). */
  execute(wallet: string, calls: readonly Call[]): CallResult {
    const h = this.holder(wallet);
    const before: Holdings = { pusd: h.pusd, tokens: new Map(h.tokens), allowances: new Map(h.allowances), operators: new Set(h.operators) };
    const effects: string[] = [];
    for (const c of calls) {
      const r = this.call(h, c);
      if (!r.ok) {
        Object.assign(h, before);
        return r;
      }
      effects.push(...r.effects);
    }
    return { ok: true, effects };
  }

  private call(h: Holdings, c: Call): CallResult {
    let decoded;
    try {
      decoded = decodeFunctionData({ abi: CHAIN_ABI, data: c.data as Hex });
    } catch {
      return { ok: false, error: 'execution reverted: unknown function selector' };
    }
    const target = key(c.target);
    switch (decoded.functionName) {
      case 'approve': {
        if (target !== key(CONTRACTS.pUSD)) return { ok: false, error: 'execution reverted: approve on a token the sim does not hold' };
        const [spender, amount] = decoded.args;
        h.allowances.set(key(spender), amount);
        return { ok: true, effects: [`approve ${getAddress(spender)} ${amount}`] };
      }
      case 'setApprovalForAll': {
        if (target !== key(CONTRACTS.conditionalTokens)) return { ok: false, error: 'execution reverted: setApprovalForAll on an unknown token' };
        const [operator, approved] = decoded.args;
        if (approved) h.operators.add(key(operator));
        else h.operators.delete(key(operator));
        return { ok: true, effects: [`setApprovalForAll ${getAddress(operator)} ${approved}`] };
      }
      case 'redeemPositions': {
        const [collateral, parent, conditionId, indexSets] = decoded.args;
        const bad = this.adapterCall(h, target, collateral, parent);
        if (bad) return bad;
        const cond = this.condition(conditionId);
        if (!cond) return { ok: false, error: 'execution reverted: condition not prepared yet' };
        // The conditional tokens contract's own revert text for an unresolved condition.
        if (!cond.winner) return { ok: false, error: 'execution reverted: result for condition not received yet' };
        if (indexSets.length !== 2 || indexSets[0] !== 1n || indexSets[1] !== 2n)
          return { ok: false, error: 'execution reverted: index sets must be [1, 2] for a binary market' };
        const up = h.tokens.get(cond.upToken) ?? 0n;
        const down = h.tokens.get(cond.downToken) ?? 0n;
        const payout = cond.winner === 'Up' ? up : down;
        // Redeeming burns every position of the condition and pays 1 pUSD per winning share.
        h.tokens.delete(cond.upToken);
        h.tokens.delete(cond.downToken);
        h.pusd += payout;
        return { ok: true, effects: [`redeem ${conditionId}: burned Up ${up} Down ${down}, paid ${payout}`] };
      }
      case 'splitPosition': {
        // Locks pUSD and mints one Up and one Down per unit (polymarket.md §10); the adapter takes the pUSD.
        const [collateral, parent, conditionId, partition, amount] = decoded.args;
        const bad = this.adapterCall(h, target, collateral, parent);
        if (bad) return bad;
        const cond = this.condition(conditionId);
        if (!cond) return { ok: false, error: 'execution reverted: condition not prepared yet' };
        if (partition.length !== 2 || partition[0] !== 1n || partition[1] !== 2n)
          return { ok: false, error: 'execution reverted: partition must be [1, 2] for a binary market' };
        if (amount <= 0n) return { ok: false, error: 'execution reverted: amount must be positive' };
        if ((h.allowances.get(key(CONTRACTS.collateralAdapter)) ?? 0n) < amount)
          return { ok: false, error: 'execution reverted: ERC20: insufficient allowance' };
        if (h.pusd < amount) return { ok: false, error: 'execution reverted: ERC20: transfer amount exceeds balance' };
        h.pusd -= amount;
        h.tokens.set(cond.upToken, (h.tokens.get(cond.upToken) ?? 0n) + amount);
        h.tokens.set(cond.downToken, (h.tokens.get(cond.downToken) ?? 0n) + amount);
        return { ok: true, effects: [`split ${conditionId}: ${amount} pUSD → ${amount} pairs`] };
      }
      case 'mergePositions': {
        const [collateral, parent, conditionId, partition, amount] = decoded.args;
        const bad = this.adapterCall(h, target, collateral, parent);
        if (bad) return bad;
        const cond = this.condition(conditionId);
        if (!cond) return { ok: false, error: 'execution reverted: condition not prepared yet' };
        if (partition.length !== 2 || partition[0] !== 1n || partition[1] !== 2n)
          return { ok: false, error: 'execution reverted: partition must be [1, 2] for a binary market' };
        if (amount <= 0n) return { ok: false, error: 'execution reverted: amount must be positive' };
        const up = h.tokens.get(cond.upToken) ?? 0n;
        const down = h.tokens.get(cond.downToken) ?? 0n;
        if (up < amount || down < amount) return { ok: false, error: 'execution reverted: ERC1155: burn amount exceeds balance' };
        h.tokens.set(cond.upToken, up - amount);
        h.tokens.set(cond.downToken, down - amount);
        h.pusd += amount;
        return { ok: true, effects: [`merge ${conditionId}: ${amount} pairs → ${amount} pUSD`] };
      }
    }
  }

  /** Redeem and merge go through the CollateralAdapter, which moves the holder's outcome tokens (it needs operator approval). */
  private adapterCall(h: Holdings, target: string, collateral: string, parent: string): CallResult | null {
    if (target !== key(CONTRACTS.collateralAdapter)) {
      return { ok: false, error: `execution reverted: standard markets redeem and merge through the CollateralAdapter ${CONTRACTS.collateralAdapter}` };
    }
    if (key(collateral) !== key(CONTRACTS.pUSD)) return { ok: false, error: 'execution reverted: collateral must be pUSD' };
    if (parent !== ZERO32) return { ok: false, error: 'execution reverted: parent collection must be zero' };
    if (!h.operators.has(key(CONTRACTS.collateralAdapter)))
      return { ok: false, error: 'execution reverted: ERC1155: need operator approval for 3rd party transfers.' };
    return null;
  }
}
