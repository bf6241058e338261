/**
 * The trading approvals: read them (preflight and the live start check name any that is missing),
 * and grant the missing ones in one deposit-wallet batch — only when asked (`pnpm bot approve`).
 */
import type { RelayerPort } from '../venue/relayer.js';
import { checkAllowances, describeMissing, type AllowanceReport } from './allowances.js';
import { approvalCalls } from './calls.js';
import type { BalanceReader } from './treasury.js';

/**
 * The pUSD balance and the approvals as the CLOB reports them. The outcome-token approvals are read
 * on `tokenId` (any market's token; the CLOB answers per token), and are "unreported" without one.
 */
export async function readApprovals(read: BalanceReader, tokenId: string | null): Promise<AllowanceReport & { balanceUsd: number }> {
  const collateral = await read({ kind: 'collateral' }, true);
  const conditional = tokenId ? (await read({ kind: 'token', tokenId }, false)).allowances : {};
  return { ...checkAllowances(collateral.allowances, conditional, collateral.balance), balanceUsd: Number(collateral.balance) / 1e6 };
}

/** The verdict on an account's trading approvals, for `polybot bot preflight` and the live start. */
export interface AllowanceCheck {
  /** No approval is missing. One the venue does not report cannot be checked from here and does not fail it (it is listed). */
  ok: boolean;
  /** pUSD at the trading wallet, after `/balance-allowance/update`. */
  balanceUsd: number;
  /** One line per missing approval: which contract, what it is needed for, and `pnpm bot approve`. */
  missing: string[];
  /** One line per approval the venue's answers do not report (the outcome-token ones need `tokenId`). */
  unreported: string[];
  report: AllowanceReport;
}

/**
 * Checks every trading approval (money/calls.ts REQUIRED_APPROVALS: pUSD for both exchanges, the
 * outcome tokens for both exchanges and the collateral adapter) from the CLOB's `/balance-allowance`
 * answers (polymarket-venue.md §1, §4): `read` is the port's `balanceAllowance`; `tokenId`, any
 * current market's token, lets the venue report the outcome-token approvals (without one they are
 * `unreported`). Read-only: it grants nothing (`pnpm bot approve` does, on request). A failed read throws.
 */
export async function checkTradingAllowances(read: BalanceReader, tokenId: string | null): Promise<AllowanceCheck> {
  const r = await readApprovals(read, tokenId);
  const report: AllowanceReport = { missing: r.missing, unreported: r.unreported, ok: r.ok };
  return {
    ok: r.missing.length === 0,
    balanceUsd: r.balanceUsd,
    missing: describeMissing({ missing: r.missing, unreported: [], ok: [] }),
    unreported: describeMissing({ missing: [], unreported: r.unreported, ok: [] }),
    report,
  };
}

export type ApproveResult =
  | { kind: 'nothing_to_do' }
  | { kind: 'confirmed'; transactionId: string; transactionHash: string | null; granted: string[] }
  | { kind: 'failed'; message: string };

/** Grants every missing or unreported approval in one batch and waits for it (STATE_CONFIRMED). */
export async function approveMissing(
  relayer: RelayerPort,
  report: AllowanceReport,
  opts: { pollMs?: number; timeoutMs?: number } = {},
): Promise<ApproveResult> {
  const wanted = [...report.missing, ...report.unreported];
  if (wanted.length === 0) return { kind: 'nothing_to_do' };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (let attempt = 1; attempt <= 5 && Date.now() < deadline; attempt++) {
    const nonce = await relayer.nonce();
    const batch = await relayer.sign(approvalCalls(wanted), nonce, Math.floor(Date.now() / 1000) + 600, 'polybot trading approvals');
    const out = await relayer.submit(batch);
    if (out.kind === 'busy' || out.kind === 'rate_limited' || out.kind === 'nonce') {
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 2_000));
      continue;
    }
    if (out.kind !== 'accepted') return { kind: 'failed', message: out.message };
    while (Date.now() < deadline) {
      const tx = await relayer.transaction(out.transactionId);
      if (tx?.state === 'STATE_CONFIRMED')
        return {
          kind: 'confirmed',
          transactionId: tx.transactionId,
          transactionHash: tx.transactionHash,
          granted: wanted.map((a) => `${a.kind} for ${a.name}`),
        };
      if (tx?.state === 'STATE_FAILED' || tx?.state === 'STATE_INVALID')
        return { kind: 'failed', message: `transaction ${tx.transactionId} ${tx.state}: ${tx.error ?? ''}` };
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 2_000));
    }
  }
  return { kind: 'failed', message: 'the relayer did not confirm the approvals in time' };
}
