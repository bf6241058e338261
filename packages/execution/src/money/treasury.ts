/**
 * Money comes back: winning positions of resolved markets are redeemed, complete Up+Down pairs are
 * merged into pUSD as soon as both sides are on chain, each through one deposit-wallet batch at the
 * relayer, recorded exactly once across crashes. No queue and no Redis: the worker calls `step`.
 *
 * Exactly once, step by step (money.json is written before every relayer request):
 * - `planned` → read the wallet's nonce, sign the batch, record it (`signed`), then submit.
 * - A `signed` record after a crash or a lost answer: the owner's recent relayer transactions are
 *   searched for its signature. Found: adopt that transaction id. Not found: the same signed batch is
 *   submitted again — the nonce makes it single-use, so it runs at most once — unless its deadline has
 *   passed (then it can never run: sign anew).
 * - `submitted` → poll to STATE_CONFIRMED (done, event emitted) or STATE_FAILED / STATE_INVALID (a
 *   reverted batch uses no nonce and changes nothing: sign again, up to `maxAttempts`).
 * - One action in flight at a time: the relayer takes one in-flight action per wallet, and a nonce
 *   answer can then only be about our own batch.
 */
import type { Logger } from 'pino';
import { TERMINAL_ORDER_STATES, type Asset, type Order } from '@polybot/shared';
import type { RelayerPort } from '../venue/relayer.js';
import { mergeCall, redeemCall, type WalletCall } from './calls.js';
import { FINAL_ACTION_STATES, type ChainAction, type MoneyStore } from './store.js';

export interface BalanceAllowance {
  /** Base units (1e6 = 1 pUSD or 1 share). */
  balance: bigint;
  allowances: Record<string, bigint>;
}

/** The CLOB's balance endpoint (`/balance-allowance`, optionally after `/balance-allowance/update`). */
export type BalanceReader = (asset: { kind: 'collateral' } | { kind: 'token'; tokenId: string }, refresh: boolean) => Promise<BalanceAllowance>;

export interface MarketPosition {
  conditionId: string;
  asset: Asset;
  outcome: 'UP' | 'DOWN';
  confirmed: number;
  pending: number;
  costUsd: number;
  feesUsd: number;
  windowEndMs: number;
}

/** What the treasury reads of the order book-keeping (OrderManager satisfies it). */
export interface OrderBook {
  all(): readonly Order[];
  positions(): MarketPosition[];
  isSettled(conditionId: string): boolean;
}

export interface TreasuryConfig {
  /** Attempts of one action whose batches failed on chain before it is given up (and alerted). */
  maxAttempts?: number;
  /** Smallest merge, in shares. */
  minMergeShares?: number;
  /** The batch deadline (the SDK's default is 600 s). */
  deadlineS?: number;
  /** A `signed` batch this close to its deadline is not re-sent (it might not run in time): signed anew. */
  deadlineMarginS?: number;
  /** Redeem markets that ended within this long (older ones were redeemed or are not ours to chase). */
  redeemWithinMs?: number;
}

const round6 = (v: number) => Number(v.toFixed(6));
const floor2 = (v: number) => Math.floor(v * 100 + 1e-9) / 100;
const units = (shares: number) => BigInt(Math.round(shares * 1e6));

export interface MergedTotals {
  shares: number;
  costUsd: number;
  feesUsd: number;
  /** A merge not yet final: settlement waits for it. */
  pending: boolean;
}

export class Treasury {
  private readonly cfg: Required<TreasuryConfig>;
  private lastNote = new Map<string, string>();

  constructor(
    private readonly book: OrderBook,
    readonly store: MoneyStore,
    private readonly relayer: RelayerPort | null,
    private readonly balances: BalanceReader | null,
    private readonly winner: (conditionId: string) => Promise<'UP' | 'DOWN' | null>,
    private readonly logger: Logger,
    cfg: TreasuryConfig = {},
  ) {
    this.cfg = { maxAttempts: 3, minMergeShares: 0.01, deadlineS: 600, deadlineMarginS: 60, redeemWithinMs: 86_400_000, ...cfg };
  }

  /** Merges of a market, confirmed or not: settlement counts the confirmed ones and waits for the rest. */
  merged(conditionId: string): MergedTotals {
    const t: MergedTotals = { shares: 0, costUsd: 0, feesUsd: 0, pending: false };
    for (const a of this.store.actions()) {
      if (a.kind !== 'merge' || a.conditionId !== conditionId) continue;
      if (a.state === 'confirmed') {
        t.shares = round6(t.shares + a.shares);
        t.costUsd = round6(t.costUsd + a.costUsd);
        t.feesUsd = round6(t.feesUsd + a.feesUsd);
      } else if (a.state !== 'failed') t.pending = true;
    }
    return t;
  }

  /** Positions net of confirmed merges (what is still held of each side). */
  positions(): MarketPosition[] {
    const out: MarketPosition[] = [];
    const byMarket = new Map<string, MarketPosition[]>();
    for (const p of this.book.positions()) byMarket.set(p.conditionId, [...(byMarket.get(p.conditionId) ?? []), p]);
    for (const [cid, ps] of byMarket) {
      const m = this.merged(cid);
      for (const p of ps) {
        const bought = p.confirmed + p.pending;
        const share = bought > 0 ? Math.min(1, m.shares / bought) : 0;
        out.push({ ...p, confirmed: round6(p.confirmed - m.shares), costUsd: round6(p.costUsd * (1 - share)), feesUsd: round6(p.feesUsd * (1 - share)) });
      }
    }
    return out;
  }

  private note(a: ChainAction | string, text: string, level: 'info' | 'warn' = 'info'): void {
    const id = typeof a === 'string' ? a : a.id;
    if (this.lastNote.get(id) === text) return;
    this.lastNote.set(id, text);
    this.logger[level]({ actionId: id }, text);
  }

  /** Decides what is due: redemptions of settled markets with winning shares, merges of held pairs. */
  async plan(nowMs: number): Promise<void> {
    const orders = this.book.all();
    const byMarket = new Map<string, MarketPosition[]>();
    for (const p of this.book.positions()) byMarket.set(p.conditionId, [...(byMarket.get(p.conditionId) ?? []), p]);
    for (const [cid, ps] of byMarket) {
      const negRisk = orders.find((o) => o.request.conditionId === cid)?.request.negRisk ?? false;
      const asset = ps[0]!.asset;
      if (this.book.isSettled(cid)) {
        if (this.store.get(`redeem-${cid}`) || nowMs > ps[0]!.windowEndMs + this.cfg.redeemWithinMs) continue;
        const winner = await this.winner(cid).catch(() => null);
        if (!winner) continue;
        const m = this.merged(cid);
        const held = ps.find((p) => p.outcome === winner);
        // Exact, as settlement books the payout: redeemPositions pays every winning share the wallet holds.
        const shares = round6(Math.max(0, (held?.confirmed ?? 0) + (held?.pending ?? 0) - m.shares));
        if (shares <= 0) continue; // nothing won: the losing tokens are worth nothing and need no transaction
        this.add(nowMs, {
          id: `redeem-${cid}`,
          kind: 'redeem',
          conditionId: cid,
          asset,
          shares,
          amountUsd: shares,
          costUsd: 0,
          feesUsd: 0,
          winner,
          calls: [redeemCall(cid, negRisk)],
        });
        continue;
      }
      // Merge only what both sides hold on chain, with nothing of the market in flight (an order, an
      // unconfirmed fill, another merge): a partial pair keeps its unmatched side as a position.
      // Without a relayer nothing could send it, and a planned merge holds the market's settlement.
      if (!this.relayer) continue;
      if (orders.some((o) => o.request.conditionId === cid && !TERMINAL_ORDER_STATES.has(o.state))) continue;
      if (ps.some((p) => Math.abs(p.pending) > 1e-9)) continue;
      const m = this.merged(cid);
      if (m.pending) continue;
      const up = ps.find((p) => p.outcome === 'UP');
      const down = ps.find((p) => p.outcome === 'DOWN');
      if (!up || !down) continue;
      const pairs = floor2(Math.min(up.confirmed, down.confirmed) - m.shares);
      if (pairs < this.cfg.minMergeShares) continue;
      const n = this.store.actions().filter((a) => a.kind === 'merge' && a.conditionId === cid).length + 1;
      // The merged shares leave the position at its average cost (and fees) per share of each side.
      const perShare = (p: MarketPosition) => (p.confirmed > 0 ? p.costUsd / p.confirmed : 0);
      const feePerShare = (p: MarketPosition) => (p.confirmed > 0 ? p.feesUsd / p.confirmed : 0);
      this.add(nowMs, {
        id: `merge-${cid}-${n}`,
        kind: 'merge',
        conditionId: cid,
        asset,
        shares: pairs,
        amountUsd: pairs,
        costUsd: round6(pairs * (perShare(up) + perShare(down))),
        feesUsd: round6(pairs * (feePerShare(up) + feePerShare(down))),
        winner: null,
        calls: [mergeCall(cid, units(pairs), negRisk)],
      });
    }
  }

  /** An approval batch, on request only (`pnpm bot approve`). */
  planApprovals(calls: WalletCall[], nowMs: number): ChainAction {
    const id = `approve-${nowMs}`;
    this.add(nowMs, { id, kind: 'approve', conditionId: null, asset: null, shares: 0, amountUsd: 0, costUsd: 0, feesUsd: 0, winner: null, calls });
    return this.store.get(id)!;
  }

  private add(
    nowMs: number,
    a: Pick<ChainAction, 'id' | 'kind' | 'conditionId' | 'asset' | 'shares' | 'amountUsd' | 'costUsd' | 'feesUsd' | 'winner' | 'calls'>,
  ): void {
    const what =
      a.kind === 'redeem'
        ? `redeem ${a.shares} winning ${a.winner} shares`
        : a.kind === 'merge'
          ? `merge ${a.shares} Up+Down pairs`
          : `${a.calls.length} approvals`;
    this.store.add({
      ...a,
      state: 'planned',
      attempt: 1,
      nonce: null,
      deadlineS: null,
      batch: null,
      transactionId: null,
      transactionHash: null,
      minedAtMs: null,
      error: null,
      history: [{ atMs: nowMs, state: 'planned', note: what }],
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    });
    this.store.commit(nowMs);
    this.logger.info({ actionId: a.id, conditionId: a.conditionId, shares: a.shares, amountUsd: a.amountUsd }, `planned: ${what}`);
  }

  /** Advances the action in flight, or starts the next planned one. At most one relayer action at a time. */
  async step(nowMs: number): Promise<void> {
    const open = this.store.actions().filter((a) => !FINAL_ACTION_STATES.has(a.state));
    const current = open.find((a) => a.state === 'signed' || a.state === 'submitted') ?? open.find((a) => a.state === 'planned');
    if (!current) return;
    if (!this.relayer) return this.alertManual(open, nowMs);
    if (current.state === 'planned') return this.begin(current, nowMs);
    if (current.state === 'signed') return this.recover(current, nowMs);
    return this.poll(current, nowMs);
  }

  /**
   * No relayer (not a deposit-wallet account, or no Relayer API key): polybot sends nothing, so each
   * redemption due is alerted once (an error event, recorded in the action's history so a restart
   * does not repeat it) for a human to redeem by hand; the live start refuses this unless
   * POLYBOT_MANUAL_REDEEM=true. The shares stay redeemable in the venue account until then.
   */
  private alertManual(open: readonly ChainAction[], nowMs: number): void {
    const MARK = 'alerted: redeem by hand';
    let changed = false;
    for (const a of open) {
      if (a.kind !== 'redeem' || a.history.some((h) => h.note.startsWith(MARK))) continue;
      const what = `redeem by hand: ${a.shares} winning ${a.winner ?? ''} shares of market ${a.conditionId ?? ''} ($${a.amountUsd.toFixed(2)}); polybot sends redemptions only through the relayer of a deposit wallet`;
      this.store.emit({ id: `err-money-${a.id}-manual`, atMs: nowMs, type: 'error', source: 'venue', message: what.slice(0, 500) });
      a.history.push({ atMs: nowMs, state: a.state, note: `${MARK} (no relayer)` });
      a.updatedAtMs = nowMs;
      this.logger.error({ actionId: a.id, conditionId: a.conditionId, shares: a.shares }, what);
      changed = true;
    }
    if (changed) this.store.commit(nowMs);
  }

  private async begin(a: ChainAction, nowMs: number): Promise<void> {
    const relayer = this.relayer!;
    if (a.kind === 'redeem' && this.balances) {
      // What the wallet holds of the winner is what the redemption pays: record the venue's number.
      const tokenId = this.book.all().find((o) => o.request.conditionId === a.conditionId && o.request.outcome === a.winner)?.request.tokenId;
      if (tokenId) {
        const held = Number((await this.balances({ kind: 'token', tokenId }, true)).balance) / 1e6;
        if (Math.abs(held - a.shares) > 1e-6) {
          this.logger.warn(
            { actionId: a.id, recorded: a.shares, atVenue: held },
            'redeem: the venue holds a different number of winning shares than the fills say; redeeming what it holds',
          );
          a.shares = round6(held);
          a.amountUsd = a.shares;
        }
      }
    }
    const nonce = await relayer.nonce();
    const deadlineS = Math.floor(nowMs / 1000) + this.cfg.deadlineS;
    const batch = await relayer.sign(a.calls, nonce, deadlineS, `polybot ${a.id} attempt ${a.attempt}`);
    // Recorded before it is submitted: after a crash the signature is looked up at the relayer.
    this.store.move(a, 'signed', `batch signed with nonce ${nonce}, deadline ${deadlineS}`, nowMs, { nonce: nonce.toString(), deadlineS, batch, error: null });
    this.store.commit(nowMs);
    await this.submit(a, nowMs);
  }

  private async submit(a: ChainAction, nowMs: number): Promise<void> {
    const out = await this.relayer!.submit(a.batch as never);
    switch (out.kind) {
      case 'accepted':
        this.store.move(a, 'submitted', `relayer accepted: transaction ${out.transactionId}`, nowMs, { transactionId: out.transactionId });
        this.store.commit(nowMs);
        this.logger.info({ actionId: a.id, transactionId: out.transactionId, nonce: a.nonce }, `${a.kind} submitted to the relayer`);
        return;
      case 'nonce':
        if (out.submitted < out.onChain) {
          // The nonce is used, and not found among our transactions (recover looked): sign anew.
          this.store.move(a, 'planned', `nonce ${out.submitted} already used on chain (now ${out.onChain}); signing anew`, nowMs, {
            batch: null,
            nonce: null,
            deadlineS: null,
          });
        } else {
          this.store.move(a, 'planned', `relayer: ${out.message}; signing anew`, nowMs, { batch: null, nonce: null, deadlineS: null });
        }
        this.store.commit(nowMs);
        return;
      case 'busy':
      case 'rate_limited':
      case 'unknown':
        // It may be at the relayer (unknown) or wait its turn (busy): stay signed; the next step asks.
        this.note(a, `${a.kind} waits: ${out.kind === 'rate_limited' ? 'relayer rate limit' : out.message}`);
        return;
      case 'rejected':
        return this.attemptFailed(a, `relayer refused the batch: ${out.message}`, nowMs);
    }
  }

  /** A signed batch whose fate is unknown: find it at the relayer, or send the very same batch again. */
  private async recover(a: ChainAction, nowMs: number): Promise<void> {
    const signature = String((a.batch as { signature?: unknown } | null)?.signature ?? '');
    const found = (await this.relayer!.recent()).find((t) => t.signature.toLowerCase() === signature.toLowerCase() && signature !== '');
    if (found) {
      this.store.move(a, 'submitted', `found at the relayer: transaction ${found.transactionId} (${found.state})`, nowMs, {
        transactionId: found.transactionId,
      });
      this.store.commit(nowMs);
      this.logger.info({ actionId: a.id, transactionId: found.transactionId }, `${a.kind}: an earlier submit had reached the relayer; following it`);
      return this.poll(a, nowMs);
    }
    if (a.deadlineS !== null && nowMs / 1000 > a.deadlineS - this.cfg.deadlineMarginS) {
      // Never reached the relayer, and too late to run: it can no longer execute. Sign anew.
      this.store.move(a, 'planned', 'signed batch never reached the relayer and is near its deadline; signing anew', nowMs, {
        batch: null,
        nonce: null,
        deadlineS: null,
      });
      this.store.commit(nowMs);
      return;
    }
    await this.submit(a, nowMs);
  }

  private async poll(a: ChainAction, nowMs: number): Promise<void> {
    const tx = await this.relayer!.transaction(a.transactionId!);
    if (!tx) {
      this.store.move(a, 'signed', `relayer does not know transaction ${a.transactionId}; looking for the batch`, nowMs, { transactionId: null });
      this.store.commit(nowMs);
      return;
    }
    if (tx.state === 'STATE_CONFIRMED') return this.confirmed(a, tx.transactionId, tx.transactionHash, nowMs);
    if (tx.state === 'STATE_FAILED' || tx.state === 'STATE_INVALID') {
      if (a.minedAtMs !== null)
        // Seen in a block, then failed (a reorg): the ledger already counted a merge. Said loudly; the
        // reconciliation shows the difference to a human.
        this.store.emit({
          id: `err-money-${a.id}-after-mined`,
          atMs: nowMs,
          type: 'error',
          source: 'venue',
          message: `${a.kind} ${a.conditionId ?? ''}: transaction ${tx.transactionId} was seen mined, then ${tx.state}`.slice(0, 500),
        });
      return this.attemptFailed(a, `transaction ${tx.transactionId} ${tx.state}: ${tx.error ?? 'no reason given'}`, nowMs);
    }
    if (tx.state === 'STATE_MINED' && a.minedAtMs === null) return this.mined(a, tx.transactionId, tx.transactionHash, nowMs);
    this.note(a, `${a.kind} transaction ${tx.transactionId} ${tx.state}`);
  }

  /**
   * In a block: the pUSD has moved (the venue balance shows it from now), so the venue account counts
   * the action as done and the risk ledger gets the merge now; waiting for STATE_CONFIRMED (seconds to
   * minutes later) would leave the two apart by the whole amount meanwhile. The action itself stays
   * `submitted` until CONFIRMED, as the SDK polls it.
   */
  private mined(a: ChainAction, transactionId: string, hash: string | null, nowMs: number): void {
    a.minedAtMs = nowMs;
    a.updatedAtMs = nowMs;
    a.history.push({ atMs: nowMs, state: a.state, note: `mined: transaction ${transactionId}${hash ? ` (${hash})` : ''}` });
    this.emitDone(a, transactionId, hash, nowMs);
    this.store.commit(nowMs);
    this.logger.info({ actionId: a.id, transactionId, transactionHash: hash }, `${a.kind} mined`);
  }

  private attemptFailed(a: ChainAction, why: string, nowMs: number): void {
    const last = a.attempt >= this.cfg.maxAttempts;
    if (last) {
      this.store.move(a, 'failed', `${why}; given up after ${a.attempt} attempts`, nowMs, { error: why.slice(0, 300) });
      this.store.emit({
        id: `err-money-${a.id}`,
        atMs: nowMs,
        type: 'error',
        source: 'venue',
        message: `${a.kind} ${a.conditionId ?? ''} failed ${a.attempt} times: ${why}`.slice(0, 500),
      });
      this.logger.error({ actionId: a.id, why }, `${a.kind} given up: it needs a hand (see money.json)`);
    } else {
      // A failed or invalid batch used no nonce and changed nothing on chain: a new attempt is safe.
      this.store.move(a, 'planned', `${why}; attempt ${a.attempt + 1} follows`, nowMs, {
        attempt: a.attempt + 1,
        minedAtMs: null,
        batch: null,
        nonce: null,
        deadlineS: null,
        transactionId: null,
        error: why.slice(0, 300),
      });
      this.logger.warn({ actionId: a.id, why, attempt: a.attempt }, `${a.kind} failed on chain; trying again`);
    }
    this.store.commit(nowMs);
  }

  private async confirmed(a: ChainAction, transactionId: string, hash: string | null, nowMs: number): Promise<void> {
    this.store.move(a, 'confirmed', `confirmed: transaction ${transactionId}${hash ? ` (${hash})` : ''}`, nowMs, { transactionHash: hash });
    // Emitted once: at STATE_MINED when that was seen, else now.
    if (a.minedAtMs === null) this.emitDone(a, transactionId, hash, nowMs);
    this.store.commit(nowMs);
    this.logger.info({ actionId: a.id, transactionId, transactionHash: hash, amountUsd: a.amountUsd }, `${a.kind} confirmed`);
    // The CLOB sees money the relayer moved only after an update (polymarket-venue.md §1, §4).
    if (this.balances) await this.balances({ kind: 'collateral' }, true).catch(() => undefined);
  }

  /** The redemption or merge event for the record and the risk ledger (ids make a repeat harmless). */
  private emitDone(a: ChainAction, transactionId: string, hash: string | null, nowMs: number): void {
    const base = { atMs: nowMs, transactionId, transactionHash: hash ?? '' };
    if (a.kind === 'redeem') {
      this.store.emit({
        ...base,
        id: `redeem-${a.conditionId}`,
        type: 'redemption',
        conditionId: a.conditionId!,
        asset: a.asset!,
        shares: a.shares,
        amountUsd: a.amountUsd,
      });
    } else if (a.kind === 'merge') {
      this.store.emit({
        ...base,
        id: a.id,
        type: 'merge',
        conditionId: a.conditionId!,
        asset: a.asset!,
        shares: a.shares,
        amountUsd: a.amountUsd,
        costUsd: a.costUsd,
        feesUsd: a.feesUsd,
      });
    }
  }
}
