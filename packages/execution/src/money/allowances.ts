/**
 * Which trading approvals an account lacks, from the CLOB's `/balance-allowance` answers
 * (`{balance, allowances:{address: "<uint>"}}`, polymarket-venue.md §1/§4). Pure.
 */
import { REQUIRED_APPROVALS, type RequiredApproval } from './calls.js';

export interface AllowanceReport {
  /** Reported and too small (zero, or below the amount trading needs). */
  missing: RequiredApproval[];
  /** Not in the venue's answer at all: nobody can say from here; `approve` grants these too. */
  unreported: RequiredApproval[];
  ok: RequiredApproval[];
}

const find = (m: Record<string, bigint>, address: string) => Object.entries(m).find(([k]) => k.toLowerCase() === address.toLowerCase())?.[1];

/**
 * `collateral`: the COLLATERAL answer's allowances (pUSD allowance per spender). `conditional`: a
 * CONDITIONAL answer's allowances (operator approval per operator, non-zero = approved).
 * `needUnits`: the pUSD allowance a spender must have at least (the balance, say).
 */
export function checkAllowances(collateral: Record<string, bigint>, conditional: Record<string, bigint>, needUnits: bigint): AllowanceReport {
  const report: AllowanceReport = { missing: [], unreported: [], ok: [] };
  for (const a of REQUIRED_APPROVALS) {
    const v = find(a.kind === 'pUSD allowance' ? collateral : conditional, a.contract);
    if (v === undefined) report.unreported.push(a);
    else if (a.kind === 'pUSD allowance' ? v < (needUnits > 0n ? needUnits : 1n) : v <= 0n) report.missing.push(a);
    else report.ok.push(a);
  }
  return report;
}

/** One line per missing approval, for preflight and the live start check. */
export function describeMissing(r: AllowanceReport): string[] {
  return [
    ...r.missing.map((a) => `missing ${a.kind} for ${a.name} (${a.contract}), needed for ${a.why}: run \`pnpm bot approve\``),
    ...r.unreported.map((a) => `${a.kind} for ${a.name} (${a.contract}) not reported by the venue; \`pnpm bot approve\` grants it if missing`),
  ];
}
