/**
 * The contract calls money needs on Polygon, as calldata for a deposit-wallet batch: redeem a
 * resolved market's positions, merge Up+Down pairs back into pUSD, and the trading approvals.
 * Pure: addresses and ABI encoding only.
 *
 * Sources: docs/polymarket-venue.md §1 — a standard binary market redeems with
 * `redeemPositions(pUSD, parent 0, conditionId, [1, 2])` on the CollateralAdapter (neg-risk markets
 * on the NegRiskCollateralAdapter), merges with `mergePositions(pUSD, 0, conditionId, [1, 2], amount)`
 * on the same adapter; approvals as the 0.2.0 SDK's `setupTradingApprovals`. Addresses: polymarket.md
 * §6 (pUSD, exchanges), polymarket-venue.md §1/§3, and the 0.2.0 SDK src/environments.ts it cites.
 */
import { encodeFunctionData, parseAbi, type Hex } from 'viem';

export const POLYGON_CONTRACTS = {
  pUSD: '0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB',
  conditionalTokens: '0x4D97DCd97eC945f40cF65F87097ACe5EA0476045',
  collateralAdapter: '0xAdA100Db00Ca00073811820692005400218FcE1f',
  negRiskCollateralAdapter: '0xadA2005600Dec949baf300f4C6120000bDB6eAab',
  exchangeV2: '0xE111180000d2663C0091e4f400237545B87B996B',
  negRiskExchangeV2: '0xe2222d279d744050d28e00520010520000310F59',
  depositWalletFactory: '0x00000000000Fb5C9ADea0298D729A0CB3823Cc07',
} as const;

const ABI = parseAbi([
  'function approve(address spender, uint256 amount) returns (bool)',
  'function setApprovalForAll(address operator, bool approved)',
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
  'function mergePositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)',
]);
const ZERO32 = `0x${'0'.repeat(64)}` as Hex;
const MAX_UINT256 = 2n ** 256n - 1n;
const BINARY = [1n, 2n] as const;

/** One call of a deposit-wallet batch (`Call{target, value, data}`, polymarket-venue.md §3). */
export interface WalletCall {
  target: string;
  value: string;
  data: string;
}

const adapter = (negRisk: boolean) => (negRisk ? POLYGON_CONTRACTS.negRiskCollateralAdapter : POLYGON_CONTRACTS.collateralAdapter);

/** Redeems every position of a resolved market: pays 1 pUSD per winning share, burns the rest. */
export function redeemCall(conditionId: string, negRisk: boolean): WalletCall {
  return {
    target: adapter(negRisk),
    value: '0',
    data: encodeFunctionData({ abi: ABI, functionName: 'redeemPositions', args: [POLYGON_CONTRACTS.pUSD, ZERO32, conditionId as Hex, [...BINARY]] }),
  };
}

/** Burns `units` (1e6 = one share) of both Up and Down and releases as many pUSD units. */
export function mergeCall(conditionId: string, units: bigint, negRisk: boolean): WalletCall {
  if (units <= 0n) throw new Error(`merge amount must be positive (got ${units})`);
  return {
    target: adapter(negRisk),
    value: '0',
    data: encodeFunctionData({ abi: ABI, functionName: 'mergePositions', args: [POLYGON_CONTRACTS.pUSD, ZERO32, conditionId as Hex, [...BINARY], units] }),
  };
}

/** The approvals trading, redeeming and merging need, each named for the operator. */
export interface RequiredApproval {
  name: string;
  /** pUSD allowance for a spender (ERC-20), or operator approval on the outcome tokens (ERC-1155). */
  kind: 'pUSD allowance' | 'outcome-token operator';
  contract: string;
  why: string;
}

export const REQUIRED_APPROVALS: readonly RequiredApproval[] = [
  { name: 'exchange pUSD', kind: 'pUSD allowance', contract: POLYGON_CONTRACTS.exchangeV2, why: 'buying on the CTF exchange' },
  { name: 'neg-risk exchange pUSD', kind: 'pUSD allowance', contract: POLYGON_CONTRACTS.negRiskExchangeV2, why: 'buying on the neg-risk exchange' },
  { name: 'exchange tokens', kind: 'outcome-token operator', contract: POLYGON_CONTRACTS.exchangeV2, why: 'selling on the CTF exchange' },
  { name: 'neg-risk exchange tokens', kind: 'outcome-token operator', contract: POLYGON_CONTRACTS.negRiskExchangeV2, why: 'selling on the neg-risk exchange' },
  { name: 'collateral adapter tokens', kind: 'outcome-token operator', contract: POLYGON_CONTRACTS.collateralAdapter, why: 'redeeming and merging positions' },
];

/** The calls that grant the given approvals (unlimited pUSD allowance; operator approval for all tokens). */
export function approvalCalls(missing: readonly RequiredApproval[]): WalletCall[] {
  return missing.map((a) =>
    a.kind === 'pUSD allowance'
      ? { target: POLYGON_CONTRACTS.pUSD, value: '0', data: encodeFunctionData({ abi: ABI, functionName: 'approve', args: [a.contract as Hex, MAX_UINT256] }) }
      : {
          target: POLYGON_CONTRACTS.conditionalTokens,
          value: '0',
          data: encodeFunctionData({ abi: ABI, functionName: 'setApprovalForAll', args: [a.contract as Hex, true] }),
        },
  );
}
