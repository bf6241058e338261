import { AssetType, ClobClient, OrderType, Side } from '@polymarket/clob-client-v2';
import { createWalletClient, encodeFunctionData, http as viemHttp, parseAbi, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { polygon } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACTS } from './chain.js';
import { startSimVenue, type SimVenue } from './index.js';

// Balances, reservations, and the relayer, through the official client where it is involved.
let venue: SimVenue;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  venue = await startSimVenue({
    port: 0,
    windowSeconds: 60,
    assets: ['BTC'],
    seed: 11,
    misprice: 0,
    relayerTiming: { executeMs: 100, mineMs: 200, confirmMs: 400 },
  });
});
afterAll(async () => venue?.close());

async function clobFor(account: PrivateKeyAccount) {
  // A legacy account that trades from its own address (type 0), so its balances are the EOA's.
  await fetch(`${venue.url}/sim/users`, { method: 'POST', body: JSON.stringify({ address: account.address, type: 'eoa' }) });
  const signer = createWalletClient({ account, chain: polygon, transport: viemHttp('http://127.0.0.1:1') });
  const l1 = new ClobClient({ host: venue.url, chain: 137, signer, throwOnError: true });
  // The key exists after the first call: create answers 400 and the key is derived (§5.1 item 1).
  const creds = await l1.createApiKey().catch(() => l1.deriveApiKey());
  return new ClobClient({ host: venue.url, chain: 137, signer, creds, throwOnError: true });
}
const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(`${venue.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as any };
};
const get = async (path: string, headers: Record<string, string> = {}) => {
  const r = await fetch(`${venue.url}${path}`, { headers });
  return { status: r.status, json: (await r.json()) as any };
};
function liveMarket() {
  const now = Date.now();
  const m = [...venue.state.schedule.markets.values()].find((x) => !x.closed && x.startMs <= now && x.endMs - now > 15_000);
  return m ?? [...venue.state.schedule.markets.values()].find((x) => !x.closed && x.startMs > now)!;
}

describe('balances (polymarket-venue.md §5.2 item 10)', () => {
  it('refuses an order beyond balance − open orders with the venue text, and releases the reservation on cancel', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const clob = await clobFor(account);
    expect((await post(`/sim/accounts/${account.address}`, { balanceUsd: 3 })).status).toBe(200);
    const m = liveMarket();
    // 100 shares at 0.02 rest far below the book: $2 reserved of $3.
    const first = await clob.createAndPostOrder(
      { tokenID: m.upToken, price: 0.02, size: 100, side: Side.BUY },
      { tickSize: '0.01', negRisk: false },
      OrderType.GTC,
    );
    expect(first.status).toBe('live');
    const err = await clob
      .createAndPostOrder({ tokenID: m.upToken, price: 0.02, size: 100, side: Side.BUY }, { tickSize: '0.01', negRisk: false }, OrderType.GTC)
      .then(
        () => null,
        (e: { status?: number; message?: string; data?: unknown }) => e,
      );
    expect(err?.status).toBe(400);
    expect(JSON.stringify(err?.data ?? err?.message)).toContain(
      'not enough balance / allowance: the balance is not enough -> balance: 3000000, sum of matched orders: 2000000, order amount: 2000000',
    );
    await clob.cancelOrder({ orderID: first.orderID });
    const again = await clob.createAndPostOrder(
      { tokenID: m.upToken, price: 0.02, size: 100, side: Side.BUY },
      { tickSize: '0.01', negRisk: false },
      OrderType.GTC,
    );
    expect(again.status).toBe('live');
    await clob.cancelAll();
  });

  it('moves pUSD and shares when the trade is mined; the CLOB sees outside moves only after /balance-allowance/update', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const clob = await clobFor(account);
    const m = liveMarket();
    const before = await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL });
    expect(before.balance).toBe('1000000000');
    const ask = venue.state.exchange.books.get(m.upToken)!.asks[0]!.price;
    const res = await clob.createAndPostOrder(
      { tokenID: m.upToken, price: Math.min(0.99, Number((ask + 0.02).toFixed(2))), size: 5, side: Side.BUY },
      { tickSize: '0.01', negRisk: false },
      OrderType.GTC,
    );
    expect(res.success).toBe(true);
    const order = venue.state.exchange.orders.get(res.orderID)!;
    await new Promise((r) => setTimeout(r, 400)); // a marketable order matches after the taker delay
    await clob.cancelAll(); // what did not fill at once stops reserving
    const cost = order.trades.reduce((s, t) => s + Math.round(t.size * t.price * 1e6) + Math.round(t.fee * 1e6), 0);
    expect(cost).toBeGreaterThan(0);
    // Matched, not yet on chain: the balance is unchanged (the CLOB reserves it).
    expect((await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL })).balance).toBe('1000000000');
    await sleep(2_200);
    expect(Number((await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL })).balance)).toBe(1_000_000_000 - cost);
    const shares = await clob.getBalanceAllowance({ asset_type: AssetType.CONDITIONAL, token_id: m.upToken });
    expect(Number(shares.balance)).toBe(Math.round(order.sizeMatched * 1e6));
    // A deposit on chain: the CLOB keeps its view until asked to update.
    venue.state.chain.setBalance(account.address, 2_000_000_000n);
    expect(Number((await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL })).balance)).toBe(1_000_000_000 - cost);
    await clob.updateBalanceAllowance({ asset_type: AssetType.COLLATERAL });
    expect((await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL })).balance).toBe('2000000000');
  });

  it('refuses a buy without the exchange allowance, naming the prefix clients match', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const clob = await clobFor(account);
    await post(`/sim/accounts/${account.address}`, { revokeApprovals: true });
    const ba = await clob.getBalanceAllowance({ asset_type: AssetType.COLLATERAL });
    expect(ba.allowances?.[CONTRACTS.exchangeV2]).toBe('0');
    const m = liveMarket();
    const err = await clob
      .createAndPostOrder({ tokenID: m.upToken, price: 0.02, size: 100, side: Side.BUY }, { tickSize: '0.01', negRisk: false }, OrderType.GTC)
      .then(
        () => null,
        (e: { status?: number; data?: unknown; message?: string }) => e,
      );
    expect(err?.status).toBe(400);
    expect(JSON.stringify(err?.data ?? err?.message)).toContain('not enough balance / allowance: the allowance is not enough');
  });
});

// ---------- the relayer (polymarket-venue.md §3, §4) ----------
const ABI = parseAbi([
  'function splitPosition(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)',
  'function mergePositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] partition, uint256 amount)',
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
]);
const ZERO32 = `0x${'0'.repeat(64)}` as Hex;
const call = (fn: 'splitPosition' | 'mergePositions', cid: string, amount: bigint) => ({
  target: CONTRACTS.collateralAdapter,
  value: '0',
  data: encodeFunctionData({ abi: ABI, functionName: fn, args: [CONTRACTS.pUSD, ZERO32, cid as Hex, [1n, 2n], amount] }),
});
const redeem = (cid: string) => ({
  target: CONTRACTS.collateralAdapter,
  value: '0',
  data: encodeFunctionData({ abi: ABI, functionName: 'redeemPositions', args: [CONTRACTS.pUSD, ZERO32, cid as Hex, [1n, 2n]] }),
});

async function batch(owner: PrivateKeyAccount, wallet: string, calls: Array<{ target: string; value: string; data: string }>, nonce: bigint) {
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
  const signature = await owner.signTypedData({
    domain: { name: 'DepositWallet', version: '1', chainId: 137, verifyingContract: wallet as Hex },
    types: {
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
    },
    primaryType: 'Batch',
    message: { wallet: wallet as Hex, nonce, deadline, calls: calls.map((c) => ({ target: c.target as Hex, value: BigInt(c.value), data: c.data as Hex })) },
  });
  return {
    type: 'WALLET',
    from: owner.address,
    to: CONTRACTS.depositWalletFactory,
    nonce: String(nonce),
    signature,
    metadata: 'test',
    depositWalletParams: { depositWallet: wallet, deadline: String(deadline), calls },
  };
}

async function waitFinal(id: string) {
  for (let i = 0; i < 40; i++) {
    const t = (await get(`/v1/account/transactions/${id}`)).json;
    if (t.state === 'STATE_CONFIRMED' || t.state === 'STATE_FAILED' || t.state === 'STATE_INVALID') return t;
    await sleep(100);
  }
  throw new Error(`transaction ${id} never became final`);
}

describe('relayer: deposit-wallet batches', () => {
  it('deploys, splits, answers busy and stale nonces, merges, fails on an injected revert, redeems only after resolution', async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const { json: key } = await post('/sim/relayer-keys', { address: owner.address });
    const auth = { RELAYER_API_KEY: key.apiKey, RELAYER_API_KEY_ADDRESS: owner.address };
    const wallet: string = key.depositWallet;
    const m = liveMarket();
    const state = venue.state;

    expect((await post('/submit', { type: 'WALLET-CREATE', from: owner.address, to: CONTRACTS.depositWalletFactory })).status).toBe(401);
    expect((await get(`/deployed?address=${wallet}&type=WALLET`)).json).toEqual({ deployed: false });
    const created = await post('/submit', { type: 'WALLET-CREATE', from: owner.address, to: CONTRACTS.depositWalletFactory }, auth);
    expect(created.json.state).toBe('STATE_NEW');
    expect((await waitFinal(created.json.transactionID)).state).toBe('STATE_CONFIRMED');
    expect((await get(`/deployed?address=${wallet}&type=WALLET`)).json).toEqual({ deployed: true });

    const params = (await get(`/v1/account/transactions/params?address=${owner.address}&type=WALLET`)).json;
    expect(params.nonce).toBe('0');
    const split = await post('/submit', await batch(owner, wallet, [call('splitPosition', m.conditionId, 10_000_000n)], 0n), auth);
    expect(split.status).toBe(200);
    // While it is in flight, the wallet is busy; the SDK retries this answer (gasless.ts).
    const busy = await post('/submit', await batch(owner, wallet, [call('mergePositions', m.conditionId, 1_000_000n)], 0n), auth);
    expect(busy.status).toBe(400);
    expect(busy.json.error).toMatch(/wallet has in-flight action/);
    expect((await waitFinal(split.json.transactionID)).state).toBe('STATE_CONFIRMED');
    expect(state.chain.balance(wallet)).toBe(990_000_000n);
    expect(state.chain.tokenBalance(wallet, m.upToken)).toBe(10_000_000n);

    // The nonce moved: a batch signed for 0 is refused with the text the SDK parses.
    const stale = await post('/submit', await batch(owner, wallet, [call('mergePositions', m.conditionId, 4_000_000n)], 0n), auth);
    expect(stale.json.error).toBe('batch nonce 0 does not match on-chain nonce 1');

    const merge = await post('/submit', await batch(owner, wallet, [call('mergePositions', m.conditionId, 4_000_000n)], 1n), auth);
    const merged = await waitFinal(merge.json.transactionID);
    expect(merged.state).toBe('STATE_CONFIRMED');
    expect(merged.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(state.chain.balance(wallet)).toBe(994_000_000n);
    expect(state.chain.tokenBalance(wallet, m.downToken)).toBe(6_000_000n);

    // An injected revert: STATE_FAILED, nothing moved, the nonce unused.
    await post('/sim/faults', { failRelayer: 1 });
    const failing = await post('/submit', await batch(owner, wallet, [call('mergePositions', m.conditionId, 1_000_000n)], 2n), auth);
    const failed = await waitFinal(failing.json.transactionID);
    expect(failed.state).toBe('STATE_FAILED');
    expect(failed.error_msg).toMatch(/failRelayer/);
    expect(state.chain.balance(wallet)).toBe(994_000_000n);
    expect((await get(`/v1/account/transactions/params?address=${owner.address}&type=WALLET`)).json.nonce).toBe('2');

    // Redeem before resolution reverts with the conditional tokens' own text; after it, the winner pays.
    const early = await post('/submit', await batch(owner, wallet, [redeem(m.conditionId)], 2n), auth);
    const earlyTx = await waitFinal(early.json.transactionID);
    expect(earlyTx.state).toBe('STATE_FAILED');
    expect(earlyTx.error_msg).toMatch(/result for condition not received yet/);
    state.chain.resolve(m.conditionId, { upToken: m.upToken, downToken: m.downToken, winner: 'Down' });
    const late = await post('/submit', await batch(owner, wallet, [redeem(m.conditionId)], 2n), auth);
    expect((await waitFinal(late.json.transactionID)).state).toBe('STATE_CONFIRMED');
    expect(state.chain.balance(wallet)).toBe(1_000_000_000n);
    expect(state.chain.tokenBalance(wallet, m.upToken)).toBe(0n);

    // The owner's recent transactions, newest first, with the signature that identifies a batch.
    const recent = (await get('/transactions', auth)).json as Array<{ transactionID: string; signature: string; nonce: string; state: string }>;
    expect(recent[0]!.transactionID).toBe(late.json.transactionID);
    expect(recent.map((t) => t.state)).toContain('STATE_FAILED');
    expect((await get('/transactions')).status).toBe(401);
  });

  it('refuses a batch signed by someone other than the wallet owner', async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const thief = privateKeyToAccount(generatePrivateKey());
    const { json: key } = await post('/sim/relayer-keys', { address: owner.address });
    const auth = { RELAYER_API_KEY: key.apiKey, RELAYER_API_KEY_ADDRESS: owner.address };
    venue.state.relayer.deploy(owner.address);
    const forged = await batch(thief, key.depositWallet, [call('splitPosition', liveMarket().conditionId, 1_000_000n)], 0n);
    const r = await post('/submit', { ...forged, from: owner.address }, auth);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('invalid signature');
  });
});
