import type { VenueAccount } from '@polybot/shared';
import { bankrollAsOf, type Ledger } from '../ledger.js';

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
 * row trips the breaker for a human: a deposit or withdrawal, a missed or double-counted event, or
 * money the bot does not know about.
 *
 * Both sides are taken at one instant, the account's `atMs`: the ledger without the events stamped
 * after it (`bankrollAsOf`). Under steady trading the ledger is always some fills (their fees),
 * merges or settlements ahead of an account read a second or two earlier (a 110 s sim run: up to
 * $0.96 from fees alone, far more across a settlement). The worker evaluates an account only once it
 * is `RISK_RECONCILE_GRACE_MS` old, so the events stamped before it have arrived through the queue,
 * and counts one strike per account read (the same account read twice is one witness).
 */
export function reconciliationRule(toleranceUsd: number, strikesToTrip = 2, maxAccountAgeMs = 30_000) {
  let strikes = 0;
  let lastStrikeAtMs: number | null = null;
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
      // The ledger as it stood when the account was computed: events stamped later are not in it.
      const ledgerUsd = bankrollAsOf(ledger, account.atMs);
      const diffUsd = ledgerUsd - account.equityUsd;
      // Fills mined while execution read the balance may or may not be in it: that much more is allowed.
      if (Math.abs(diffUsd) <= toleranceUsd + (account.uncertainUsd ?? 0)) {
        strikes = 0;
        return { kind: 'ok', diffUsd };
      }
      // A strike per account read: the same account seen again (execution has not read the venue
      // since) is no second witness.
      if (account.atMs === lastStrikeAtMs) return { kind: 'watch', diffUsd, strikes };
      lastStrikeAtMs = account.atMs;
      strikes += 1;
      if (strikes < strikesToTrip) return { kind: 'watch', diffUsd, strikes };
      strikes = 0;
      const $ = (v: number) => `$${v.toFixed(2)}`;
      return {
        kind: 'trip',
        reason:
          `ledger and venue disagree by ${$(diffUsd)} (over the ${$(toleranceUsd)} tolerance, ${strikesToTrip} checks in a row): ` +
          `ledger ${$(ledgerUsd)} (cash ${$(ledger.cashUsd)} + exposure ${$(ledgerUsd - ledger.cashUsd)}), ` +
          `venue ${$(account.equityUsd)} (pUSD ${$(account.balanceUsd)} − unsettled fills ${$(account.pendingUsd)} + positions ${$(account.positionsUsd)} + unredeemed ${$(account.redeemableUsd)}` +
          `${account.uncertainUsd ? `; ${$(account.uncertainUsd)} of fills mined during the balance read allowed for` : ''}). ` +
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
