/**
 * Polymarket's relayer (relayer-v2.polymarket.com) for deposit wallets: gasless batches that the
 * wallet's owner signs and the relayer puts on chain — here against the sim's chain (`chain.ts`).
 *
 * Sources (docs/polymarket-venue.md):
 * - §1: relayer calls need a Relayer API key (headers `RELAYER_API_KEY`, `RELAYER_API_KEY_ADDRESS`);
 *   `GET /deployed` works without one; deposit wallets use `type:"WALLET"` batches; WALLET-CREATE deploys.
 * - §3: the batch is EIP-712 `Batch{wallet, nonce, deadline, calls: Call[]{target, value, data}}` under
 *   the domain `{name "DepositWallet", version "1", chainId, verifyingContract = wallet}`, signed by the owner.
 * - §4: `GET /v1/account/transactions/params?address={EOA}&type=WALLET` → `{address, nonce}`;
 *   `POST /submit` with `depositWalletParams{calls, deadline, depositWallet}, from, metadata, nonce,
 *   signature, to: factory, type: "WALLET"` → `{state, transactionID, transactionHash}`;
 *   `GET /v1/account/transactions/{id}` polled until `STATE_CONFIRMED`, or `STATE_FAILED`/`STATE_INVALID`;
 *   a submit is refused with 400 "wallet busy…active action" / "wallet has in-flight action" while
 *   another is in flight, and 400 "batch nonce N does not match on-chain nonce M" for a stale nonce.
 * - The SDK's response schemas (§4 "relayer submit", bindings relayer/transaction.ts): a transaction
 *   read answers `{transaction_id, state, transaction_hash ('' until broadcast), error_msg}`; states
 *   STATE_NEW → STATE_EXECUTED → STATE_MINED → STATE_CONFIRMED, or STATE_FAILED / STATE_INVALID.
 * - docs.polymarket.com relayer API reference (get-recent-transactions-for-a-user, get-a-transaction-by-id,
 *   submit-a-transaction): `GET /transactions` lists the key owner's recent transactions and
 *   `GET /transaction?id=` one, as `[{transactionID, transactionHash, from, to, proxyAddress, data,
 *   nonce, value, signature, state, type, owner, metadata, createdAt, updatedAt}]`; submit answers
 *   `{transactionID, state: "STATE_NEW"}` and the hash comes later. `RELAYER_API_KEY_ADDRESS` must
 *   match the address that owns the key.
 *
 * On chain a batch whose calls revert (or an injected failure) ends STATE_FAILED and uses no nonce: the
 * wallet's nonce moves only when a batch executes, so a batch with a used nonce can never run twice.
 */
import { createHash } from 'node:crypto';
import { getAddress, keccak256, recoverTypedDataAddress, toHex, type Hex } from 'viem';
import { z } from 'zod';
import { CONTRACTS, type Call, type Chain } from './chain.js';
import type { Headers } from './auth.js';

export type RelayerState = 'STATE_NEW' | 'STATE_EXECUTED' | 'STATE_MINED' | 'STATE_CONFIRMED' | 'STATE_FAILED' | 'STATE_INVALID';

export interface RelayerTx {
  id: string;
  type: 'WALLET' | 'WALLET-CREATE';
  from: string;
  wallet: string;
  to: string;
  nonce: string;
  signature: string;
  metadata: string;
  calls: Call[];
  deadlineS: number;
  state: RelayerState;
  hash: string | null;
  error: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface RelayerTiming {
  /** Broadcast (STATE_EXECUTED, hash known) this long after submit. */
  executeMs: number;
  /** In a block (STATE_MINED, effects on chain, nonce used) this long after submit. */
  mineMs: number;
  /** STATE_CONFIRMED this long after submit. */
  confirmMs: number;
}

export const DEFAULT_RELAYER_TIMING: RelayerTiming = { executeMs: 1_000, mineMs: 2_000, confirmMs: 4_000 };

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const WalletBatchSchema = z.object({
  type: z.literal('WALLET'),
  from: Address,
  to: Address,
  nonce: z.string().regex(/^\d+$/),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
  metadata: z.string().max(500).optional(),
  depositWalletParams: z.object({
    depositWallet: Address,
    deadline: z.string().regex(/^\d+$/),
    calls: z.array(z.object({ target: Address, value: z.string().regex(/^\d+$/), data: z.string().regex(/^0x[0-9a-fA-F]*$/) })).min(1),
  }),
});
const WalletCreateSchema = z.object({ type: z.literal('WALLET-CREATE'), from: Address, to: Address, metadata: z.string().max(500).optional() });

const BATCH_TYPES = {
  Batch: [
    { name: 'wallet', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
    { name: 'calls', type: 'Call[]' },
  ],
  Call: [
    { name: 'target', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'data', type: 'bytes' },
  ],
} as const;

const lc = (a: string) => a.toLowerCase();
const h = (headers: Headers, name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The sim's deposit-wallet address for an owner (a stand-in for the factory's CREATE2 address; deterministic). */
export function simDepositWallet(owner: string): string {
  return getAddress(`0x${keccak256(`${CONTRACTS.depositWalletFactory}${lc(owner).slice(2)}` as Hex).slice(-40)}`);
}

export interface RelayerOptions {
  seed: string;
  timing?: Partial<RelayerTiming>;
  /** The owner's deposit wallet (an account model may supply its own; default `simDepositWallet`). */
  walletOf?: (owner: string) => string;
  /** Consumes one injected failure, if any is armed (`POST /sim/faults {"failRelayer": n}`). */
  injectFailure?: () => boolean;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export type RelayerAnswer = { status: number; body: unknown };

export class Relayer {
  readonly txs: RelayerTx[] = [];
  private readonly nonces = new Map<string, bigint>();
  private readonly deployedWallets = new Set<string>();
  private readonly owners = new Map<string, string>();
  private readonly timing: RelayerTiming;
  private seq = 0;
  /** The relayer's own signing address (`address` in the params answer). */
  readonly address: string;

  constructor(
    private readonly chain: Chain,
    private readonly opts: RelayerOptions,
  ) {
    this.timing = { ...DEFAULT_RELAYER_TIMING, ...opts.timing };
    this.address = getAddress(`0x${createHash('sha256').update(`${opts.seed}:relayer`).digest('hex').slice(0, 40)}`);
  }

  walletOf(owner: string): string {
    return getAddress(this.opts.walletOf ? this.opts.walletOf(owner) : simDepositWallet(owner));
  }

  /** A deployed wallet (what WALLET-CREATE does; an account model may deploy wallets it already knows). */
  deploy(owner: string): string {
    const wallet = this.walletOf(owner);
    this.deployedWallets.add(lc(wallet));
    this.owners.set(lc(wallet), getAddress(owner));
    return wallet;
  }
  isDeployed(wallet: string): boolean {
    return this.deployedWallets.has(lc(wallet));
  }

  /** The key a user creates for an address (in the Polymarket app; here `POST /sim/relayer-keys`). */
  keyFor(address: string): string {
    const d = createHash('sha256')
      .update(`${this.opts.seed}:relayer-key:${lc(address)}`)
      .digest('hex');
    return `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20, 32)}`;
  }

  nonce(wallet: string): bigint {
    return this.nonces.get(lc(wallet)) ?? 0n;
  }

  private authed(headers: Headers): string | null {
    const key = h(headers, 'RELAYER_API_KEY');
    const address = h(headers, 'RELAYER_API_KEY_ADDRESS');
    if (!key || !address || !/^0x[0-9a-fA-F]{40}$/.test(address)) return null;
    return key === this.keyFor(address) ? getAddress(address) : null;
  }

  private inFlight(wallet: string): RelayerTx | undefined {
    return this.txs.find((t) => lc(t.wallet) === lc(wallet) && (t.state === 'STATE_NEW' || t.state === 'STATE_EXECUTED'));
  }

  private newId(): string {
    const hex = createHash('sha256').update(`${this.opts.seed}:tx:${++this.seq}:${Date.now()}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  /** Relayer routes; undefined when the path is not the relayer's. */
  async route(method: string, path: string, query: URLSearchParams, json: unknown, headers: Headers): Promise<RelayerAnswer | undefined> {
    const ok = (body: unknown): RelayerAnswer => ({ status: 200, body });
    const err = (status: number, error: string): RelayerAnswer => ({ status, body: { error } });
    if (method === 'GET' && path === '/deployed') {
      const address = query.get('address') ?? '';
      if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return err(400, 'invalid address');
      return ok({ deployed: this.isDeployed(address) });
    }
    if (method === 'GET' && path === '/v1/account/transactions/params') {
      const address = query.get('address') ?? '';
      if (!/^0x[0-9a-fA-F]{40}$/.test(address) || query.get('type') !== 'WALLET') return err(400, 'invalid address or type');
      return ok({ address: this.address, nonce: this.nonce(this.walletOf(address)).toString() });
    }
    if (method === 'GET' && path.startsWith('/v1/account/transactions/')) {
      const tx = this.txs.find((t) => t.id === path.slice('/v1/account/transactions/'.length));
      if (!tx) return err(404, 'transaction not found');
      return ok({ transaction_id: tx.id, state: tx.state, transaction_hash: tx.hash ?? '', ...(tx.error ? { error_msg: tx.error } : {}) });
    }
    if (method === 'GET' && path === '/transaction') {
      const tx = this.txs.find((t) => t.id === query.get('id'));
      return ok(tx ? [this.listed(tx)] : []);
    }
    if (method === 'GET' && path === '/transactions') {
      const owner = this.authed(headers);
      if (!owner) return err(401, 'invalid relayer api key');
      return ok(
        this.txs
          .filter((t) => lc(t.from) === lc(owner))
          .slice(-100)
          .reverse()
          .map((t) => this.listed(t)),
      );
    }
    if (method === 'POST' && path === '/submit') {
      const owner = this.authed(headers);
      if (!owner) return err(401, 'invalid relayer api key');
      return this.submit(owner, json);
    }
    return undefined;
  }

  private listed(t: RelayerTx) {
    return {
      transactionID: t.id,
      transactionHash: t.hash ?? '',
      from: t.from,
      to: t.to,
      proxyAddress: t.wallet,
      data: t.calls.length === 1 ? t.calls[0]!.data : '0x',
      nonce: t.nonce,
      value: '',
      signature: t.signature,
      state: t.state,
      type: t.type,
      owner: t.from,
      metadata: t.metadata,
      createdAt: new Date(t.createdAtMs).toISOString(),
      updatedAt: new Date(t.updatedAtMs).toISOString(),
    };
  }

  private async submit(owner: string, json: unknown): Promise<RelayerAnswer> {
    const err = (error: string): RelayerAnswer => ({ status: 400, body: { error } });
    const now = Date.now();
    const create = WalletCreateSchema.safeParse(json);
    if (create.success) {
      const c = create.data;
      if (lc(c.from) !== lc(owner)) return err('from does not match the api key address');
      if (lc(c.to) !== lc(CONTRACTS.depositWalletFactory)) return err('to must be the deposit wallet factory');
      const wallet = this.walletOf(c.from);
      if (this.isDeployed(wallet)) return err('wallet already deployed');
      const tx = this.record(
        {
          type: 'WALLET-CREATE',
          from: getAddress(c.from),
          wallet,
          to: c.to,
          nonce: '0',
          signature: '',
          metadata: c.metadata ?? '',
          calls: [],
          deadlineS: Math.floor(now / 1000) + 600,
        },
        now,
      );
      return { status: 200, body: { transactionID: tx.id, state: tx.state } };
    }
    const parsed = WalletBatchSchema.safeParse(json);
    if (!parsed.success) return err(`invalid request: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim());
    const b = parsed.data;
    const p = b.depositWalletParams;
    if (lc(b.from) !== lc(owner)) return err('from does not match the api key address');
    if (lc(b.to) !== lc(CONTRACTS.depositWalletFactory)) return err('to must be the deposit wallet factory');
    if (!this.isDeployed(p.depositWallet) || lc(this.owners.get(lc(p.depositWallet)) ?? '') !== lc(b.from)) {
      return err(`deposit wallet ${p.depositWallet} is not deployed for ${b.from}`);
    }
    let signer: string | null;
    try {
      signer = await recoverTypedDataAddress({
        domain: { name: 'DepositWallet', version: '1', chainId: 137, verifyingContract: p.depositWallet as Hex },
        types: BATCH_TYPES,
        primaryType: 'Batch',
        message: {
          wallet: p.depositWallet as Hex,
          nonce: BigInt(b.nonce),
          deadline: BigInt(p.deadline),
          calls: p.calls.map((c) => ({ target: c.target as Hex, value: BigInt(c.value), data: c.data as Hex })),
        },
        signature: b.signature as Hex,
      });
    } catch {
      signer = null;
    }
    if (!signer || lc(signer) !== lc(b.from)) return err('invalid signature');
    if (Number(p.deadline) <= Math.floor(now / 1000)) return err('batch deadline has passed');
    const busy = this.inFlight(p.depositWallet);
    if (busy) return err(`wallet busy: wallet has in-flight action ${busy.id}, wait for it to complete`);
    const onChain = this.nonce(p.depositWallet);
    if (BigInt(b.nonce) !== onChain) return err(`batch nonce ${b.nonce} does not match on-chain nonce ${onChain}`);
    const tx = this.record(
      {
        type: 'WALLET',
        from: getAddress(b.from),
        wallet: getAddress(p.depositWallet),
        to: b.to,
        nonce: b.nonce,
        signature: b.signature,
        metadata: b.metadata ?? '',
        calls: p.calls.map((c) => ({ target: c.target, data: c.data })),
        deadlineS: Number(p.deadline),
      },
      now,
    );
    this.opts.log?.('relayer transaction submitted', { id: tx.id, wallet: tx.wallet, nonce: tx.nonce, metadata: tx.metadata });
    return { status: 200, body: { transactionID: tx.id, state: tx.state } };
  }

  private record(t: Omit<RelayerTx, 'id' | 'state' | 'hash' | 'error' | 'createdAtMs' | 'updatedAtMs'>, now: number): RelayerTx {
    const tx: RelayerTx = { ...t, id: this.newId(), state: 'STATE_NEW', hash: null, error: null, createdAtMs: now, updatedAtMs: now };
    this.txs.push(tx);
    if (this.txs.length > 5_000) this.txs.splice(0, this.txs.length - 5_000);
    return tx;
  }

  /** Moves transactions along: broadcast, mined (effects on chain, or a revert), confirmed. */
  tick(now: number): void {
    for (const tx of this.txs) {
      const age = now - tx.createdAtMs;
      if (tx.state === 'STATE_NEW' && age >= this.timing.executeMs) {
        tx.state = 'STATE_EXECUTED';
        tx.hash = keccak256(toHex(`${tx.id}:${tx.signature}`));
        tx.updatedAtMs = now;
      }
      if (tx.state === 'STATE_EXECUTED' && age >= this.timing.mineMs) {
        tx.updatedAtMs = now;
        if (tx.type === 'WALLET-CREATE') {
          this.deploy(tx.from);
          tx.state = 'STATE_MINED';
        } else if (Math.floor(now / 1000) > tx.deadlineS) {
          tx.state = 'STATE_INVALID';
          tx.error = 'batch deadline passed before execution';
        } else if (this.opts.injectFailure?.()) {
          tx.state = 'STATE_FAILED';
          tx.error = 'execution reverted (sim fault injection: failRelayer)';
        } else {
          const r = this.chain.execute(tx.wallet, tx.calls);
          if (r.ok) {
            this.nonces.set(lc(tx.wallet), this.nonce(tx.wallet) + 1n);
            tx.state = 'STATE_MINED';
            this.opts.log?.('relayer transaction mined', { id: tx.id, wallet: tx.wallet, effects: r.effects });
          } else {
            tx.state = 'STATE_FAILED';
            tx.error = r.error;
            this.opts.log?.('relayer transaction failed', { id: tx.id, wallet: tx.wallet, error: r.error });
          }
        }
      }
      if (tx.state === 'STATE_MINED' && age >= this.timing.confirmMs) {
        tx.state = 'STATE_CONFIRMED';
        tx.updatedAtMs = now;
      }
    }
  }
}
