/** The ClobPort contract against the sim venue (official client over HTTP) and paper (the sim venue's books). */
import { generatePrivateKey } from 'viem/accounts';
import { afterAll } from 'vitest';
import type { OrderRequest } from '@polybot/shared';
import { startSimVenue, type SimVenue } from '@polybot/sim-venue';
import { clobMarketData } from './paper/clobMarketData.js';
import { createPaperVenue } from './paper/paperVenue.js';
import { openSimMarkets } from './testing/simMarkets.js';
import { describeVenueContract, type VenueContractContext } from './testing/venueContract.js';
import { createClobV2Port } from './venue/clobV2.js';
import { simWallet } from './venue/wallet.js';

let venue: SimVenue | undefined;
const simVenue = async () => (venue ??= await startSimVenue({ port: 0, windowSeconds: 600, assets: ['BTC'], seed: 3, misprice: 0 }));
afterAll(async () => venue?.close());

function requestFor(v: SimVenue) {
  return (id: string, kind: 'marketable' | 'resting'): OrderRequest => {
    const m = openSimMarkets(v, 60_000)[0]!; // never one about to end (the engine refuses those)
    const book = v.state.exchange.books.get(m.upToken)!;
    return {
      id,
      signalId: id,
      createdAtMs: Date.now(),
      conditionId: m.conditionId as `0x${string}`,
      asset: 'BTC',
      outcome: 'UP',
      tokenId: m.upToken,
      side: 'BUY',
      orderType: kind === 'marketable' ? 'FAK' : 'GTC',
      postOnly: false,
      price: kind === 'marketable' ? Math.min(0.99, Number((book.asks[0]!.price + 0.03).toFixed(2))) : 0.02, // room for the quotes to move during the taker delay
      size: kind === 'marketable' ? Math.max(5, Math.ceil(1.5 / book.asks[0]!.price)) : 5, // a taker needs ≥ $1
      windowEndMs: m.endMs,
      tickSize: 0.01,
      minOrderSize: 5,
      negRisk: false,
      feeRate: 0.07,
      sizing: { bankrollUsd: 100, kellyFraction: 0.1, notionalUsd: 2.5, cappedBy: null },
    };
  };
}

describeVenueContract('sim venue over HTTP (the live code path)', async (): Promise<VenueContractContext> => {
  const v = await simVenue();
  const key = generatePrivateKey();
  return { port: await createClobV2Port({ host: v.url, privateKey: key, timeoutMs: 3_000, ...(await simWallet(v.url, key)) }), request: requestFor(v) };
});

describeVenueContract('paper on the sim venue books', async (): Promise<VenueContractContext> => {
  const v = await simVenue();
  return { port: createPaperVenue({ data: clobMarketData(v.url), file: null, takerDelayMs: 20, confirmAfterMs: 0, balanceUsd: 100 }), request: requestFor(v) };
});
