/**
 * Polymarket's gasless relayer for a deposit wallet, spoken directly over HTTP with viem signing.
 *
 * Why not a library: `@polymarket/client` 0.2.0 installs here but declares Node ≥ 24, and its relayer
 * flow runs inside a "secure client" that authenticates to the CLOB a second time and derives the
 * wallet through a Polygon RPC; it also fetches the nonce, signs and re-signs (up to 10 retries)
 * inside one call, so the signed batch cannot be recorded before it is submitted.
 * `@polymarket/builder-relayer-client` 0.0.10 also declares Node ≥ 24 and brings ethers 5, axios 0.27
 * and tsx as runtime dependencies, for Safe/proxy wallets. The wire is small and documented
 * (docs/polymarket-venue.md §3 and §4), so the four requests are written here, with the exact
 * typed data of 0.2.0's `src/actions/gasless.ts`, and the caller keeps exactly-once control:
 * nonce → sign → record → submit → poll, each step resumable after a crash.
 */
import type { Hex, LocalAccount } from 'viem';
import { z } from 'zod';
import { POLYGON_CONTRACTS, type WalletCall } from '../money/calls.js';

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

/** The `POST /submit` body of a deposit-wallet batch (polymarket-venue.md §4). */
export const WalletBatchSchema = z
  .object({
    type: z.literal('WALLET'),
    from: z.string(),
    to: z.string(),
    nonce: z.string(),
    signature: z.string(),
    metadata: z.string(),
    depositWalletParams: z.object({
      depositWallet: z.string(),
      deadline: z.string(),
      calls: z.array(z.object({ target: z.string(), value: z.string(), data: z.string() })),
    }),
  })
  .strict();
export type WalletBatch = z.infer<typeof WalletBatchSchema>;

export type RelayerState = 'STATE_NEW' | 'STATE_EXECUTED' | 'STATE_MINED' | 'STATE_CONFIRMED' | 'STATE_FAILED' | 'STATE_INVALID';
const StateSchema = z.enum(['STATE_NEW', 'STATE_EXECUTED', 'STATE_MINED', 'STATE_CONFIRMED', 'STATE_FAILED', 'STATE_INVALID']);

export type SubmitOutcome =
  | { kind: 'accepted'; transactionId: string }
  /** Another action of the wallet is in flight (400 "wallet busy…active action" / "wallet has in-flight action"). */
  | { kind: 'busy'; message: string }
  /** 400 "batch nonce N does not match on-chain nonce M". */
  | { kind: 'nonce'; submitted: bigint; onChain: bigint; message: string }
  | { kind: 'rate_limited' }
  | { kind: 'rejected'; message: string }
  /** No answer (timeout, connection, 5xx): the relayer may have it; ask it. */
  | { kind: 'unknown'; message: string };

export interface RelayerTransaction {
  transactionId: string;
  state: RelayerState;
  transactionHash: string | null;
  error: string | null;
}

export interface ListedTransaction extends RelayerTransaction {
  nonce: string;
  signature: string;
  metadata: string;
}

/** What money needs from the relayer. */
export interface RelayerPort {
  /** The EOA that owns the wallet and signs. */
  readonly owner: string;
  /** The deposit wallet that holds the money. */
  readonly wallet: string;
  deployed(): Promise<boolean>;
  nonce(): Promise<bigint>;
  sign(calls: readonly WalletCall[], nonce: bigint, deadlineS: number, metadata: string): Promise<WalletBatch>;
  submit(batch: WalletBatch): Promise<SubmitOutcome>;
  /** null: the relayer does not know this id. */
  transaction(id: string): Promise<RelayerTransaction | null>;
  /** The owner's recent transactions (to find a batch whose submit answer was lost). */
  recent(): Promise<ListedTransaction[]>;
}

export interface RelayerOptions {
  url: string;
  account: LocalAccount;
  wallet: string;
  /** Relayer API key and the address that owns it; never logged. */
  apiKey: string;
  apiKeyAddress: string;
  timeoutMs?: number;
  chainId?: number;
}

const SubmitAnswer = z.object({ transactionID: z.string().min(1), state: StateSchema.optional() }).passthrough();
const TxAnswer = z
  .object({ transaction_id: z.string(), state: StateSchema, transaction_hash: z.string().nullish(), error_msg: z.string().nullish() })
  .passthrough();
const ListAnswer = z.array(
  z
    .object({
      transactionID: z.string(),
      transactionHash: z.string().nullish(),
      nonce: z.union([z.string(), z.number()]).transform(String),
      signature: z.string().nullish(),
      state: StateSchema,
      metadata: z.string().nullish(),
    })
    .passthrough(),
);
const ParamsAnswer = z.object({ nonce: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d+$/)) }).passthrough();
const DeployedAnswer = z.object({ deployed: z.boolean() }).passthrough();
const ErrorAnswer = z.object({ error: z.string() }).passthrough();

export function createRelayer(opts: RelayerOptions): RelayerPort {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const chainId = opts.chainId ?? 137;
  const auth = { RELAYER_API_KEY: opts.apiKey, RELAYER_API_KEY_ADDRESS: opts.apiKeyAddress };
  const request = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${opts.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  };
  const ok = <T>(schema: z.ZodType<T>, r: { status: number; json: unknown }, what: string): T => {
    if (r.status !== 200) throw new Error(`relayer ${what}: HTTP ${r.status} ${ErrorAnswer.safeParse(r.json).data?.error ?? ''}`.trim());
    const p = schema.safeParse(r.json);
    if (!p.success) throw new Error(`relayer ${what}: unexpected answer`);
    return p.data;
  };
  const toTx = (t: z.infer<typeof TxAnswer>): RelayerTransaction => ({
    transactionId: t.transaction_id,
    state: t.state,
    transactionHash: t.transaction_hash ? t.transaction_hash : null,
    error: t.error_msg ?? null,
  });
  return {
    owner: opts.account.address,
    wallet: opts.wallet,
    async deployed() {
      return ok(DeployedAnswer, await request('GET', `/deployed?address=${opts.wallet}&type=WALLET`), 'deployed').deployed;
    },
    async nonce() {
      return BigInt(ok(ParamsAnswer, await request('GET', `/v1/account/transactions/params?address=${opts.account.address}&type=WALLET`), 'params').nonce);
    },
    async sign(calls, nonce, deadlineS, metadata) {
      const signature = await opts.account.signTypedData({
        domain: { name: 'DepositWallet', version: '1', chainId, verifyingContract: opts.wallet as Hex },
        types: BATCH_TYPES,
        primaryType: 'Batch',
        message: {
          wallet: opts.wallet as Hex,
          nonce,
          deadline: BigInt(deadlineS),
          calls: calls.map((c) => ({ target: c.target as Hex, value: BigInt(c.value), data: c.data as Hex })),
        },
      });
      return {
        type: 'WALLET',
        from: opts.account.address,
        to: POLYGON_CONTRACTS.depositWalletFactory,
        nonce: nonce.toString(),
        signature,
        metadata,
        depositWalletParams: { depositWallet: opts.wallet, deadline: String(deadlineS), calls: calls.map((c) => ({ ...c })) },
      };
    },
    async submit(batch) {
      let r: { status: number; json: unknown };
      try {
        r = await request('POST', '/submit', batch);
      } catch (err) {
        return { kind: 'unknown', message: (err as Error).message };
      }
      if (r.status === 200) {
        const p = SubmitAnswer.safeParse(r.json);
        return p.success ? { kind: 'accepted', transactionId: p.data.transactionID } : { kind: 'unknown', message: 'submit: unexpected answer' };
      }
      if (r.status === 429) return { kind: 'rate_limited' };
      if (r.status >= 500) return { kind: 'unknown', message: `submit: HTTP ${r.status}` };
      const message = ErrorAnswer.safeParse(r.json).data?.error ?? `HTTP ${r.status}`;
      // The retryable answers 0.2.0's `isRetryableGaslessSubmitError` knows (SDK src/actions/gasless.ts).
      if ((/wallet busy/i.test(message) && /active action/i.test(message)) || /wallet has in-flight action/i.test(message)) return { kind: 'busy', message };
      const m = /batch nonce\s+(\d+)\s+does not match on-chain nonce\s+(\d+)/i.exec(message);
      if (m) return { kind: 'nonce', submitted: BigInt(m[1]!), onChain: BigInt(m[2]!), message };
      return { kind: 'rejected', message };
    },
    async transaction(id) {
      const r = await request('GET', `/v1/account/transactions/${encodeURIComponent(id)}`);
      if (r.status === 404) return null;
      return toTx(ok(TxAnswer, r, 'transaction'));
    },
    async recent() {
      return ok(ListAnswer, await request('GET', '/transactions'), 'transactions').map((t) => ({
        transactionId: t.transactionID,
        state: t.state,
        transactionHash: t.transactionHash ? t.transactionHash : null,
        error: null,
        nonce: t.nonce,
        signature: t.signature ?? '',
        metadata: t.metadata ?? '',
      }));
    },
  };
}
