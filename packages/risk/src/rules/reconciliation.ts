import type { VenueAccount } from '@polybot/shared';
import { bankrollOf, type Ledger } from '../ledger.js';

export type ReconcileVerdict =
  | { kind: 'ok'; diffUsd: number }
  /** The ledger has never moved (no fill, no settlement): it takes the venue's number instead of tripping. */
  | { kind: 'anchor'; equityUsd: number }
  /** Off by more than the tolerance, not yet on enough checks in a row. */
  | { kind: 'watch'; diffUsd: number; strikes: number }
  | { kind: 'trip'; reason: string };

/**
 * The ledger against the venue: the ledger's cash plus open exposure at cost must equal the venue
 * account's equity (pUSD − unsettled fills + positions at cost + unredeemed winnings + what open
 * orders reserve, `VenueAccountSchema`) within `toleranceUsd`. A difference on `strikes` checks in a
 * row (a single one can be a fill between the two reads) trips the breaker for a human: a deposit or
 * withdrawal, a missed or double-counted event, or money the bot does not know about.
 */
export function reconciliationRule(toleranceUsd: number, strikesToTrip = 2, maxAccountAgeMs = 30_000) {
  let strikes = 0;
  return {
    name: 'venue_reconciliation',
    describe: `trip when the risk ledger and the venue account differ by more than $${toleranceUsd} on ${strikesToTrip} checks in a row`,
    evaluate(nowMs: number, ledger: Ledger, account: VenueAccount | null): ReconcileVerdict | null {
      if (!account || nowMs - account.atMs > maxAccountAgeMs) return null; // nothing fresh to compare with
      const pristine =
        Object.keys(ledger.trades).length === 0 && ledger.settled.length === 0 && Object.keys(ledger.exposure).length === 0 && ledger.merges.length === 0;
      if (pristine && account.pendingUsd === 0 && account.positionsUsd === 0 && account.redeemableUsd === 0 && account.openOrdersUsd === 0) {
        strikes = 0;
        return Math.abs(ledger.cashUsd - account.equityUsd) > 1e-6 ? { kind: 'anchor', equityUsd: account.equityUsd } : { kind: 'ok', diffUsd: 0 };
      }
      const ledgerUsd = bankrollOf(ledger);
      const diffUsd = ledgerUsd - account.equityUsd;
      if (Math.abs(diffUsd) <= toleranceUsd) {
        strikes = 0;
        return { kind: 'ok', diffUsd };
      }
      strikes += 1;
      if (strikes < strikesToTrip) return { kind: 'watch', diffUsd, strikes };
      strikes = 0;
      const $ = (v: number) => `$${v.toFixed(2)}`;
      return {
        kind: 'trip',
        reason:
          `ledger and venue disagree by ${$(diffUsd)} (over the ${$(toleranceUsd)} tolerance, ${strikesToTrip} checks in a row): ` +
          `ledger ${$(ledgerUsd)} (cash ${$(ledger.cashUsd)} + exposure ${$(ledgerUsd - ledger.cashUsd)}), ` +
          `venue ${$(account.equityUsd)} (pUSD ${$(account.balanceUsd)} − unsettled fills ${$(account.pendingUsd)} + positions ${$(account.positionsUsd)} + unredeemed ${$(account.redeemableUsd)}). ` +
          'A deposit or withdrawal, or an event missed or counted twice? Check `pnpm bot positions` and the venue, then `pnpm bot resume`.',
      };
    },
  };
}

/** A ledger that never moved takes the venue's equity as its bankroll (true when it changed). */
export function anchorLedger(l: Ledger, equityUsd: number): boolean {
  const pristine = Object.keys(l.trades).length === 0 && l.settled.length === 0 && Object.keys(l.exposure).length === 0 && l.merges.length === 0;
  if (!pristine || Math.abs(l.cashUsd - equityUsd) <= 1e-6) return false;
  l.startingBankrollUsd = equityUsd;
  l.cashUsd = equityUsd;
  return true;
}
