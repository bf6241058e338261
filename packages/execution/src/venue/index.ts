/**
 * `@polybot/execution/venue`: the live venue adapter (the official CLOB V2 client, signing) and the
 * signing-key loader. Adapters: they speak HTTP and read key files, so they stay out of the root.
 */
export { createClobV2Port, orderHashV2, parseTrade, type ClobV2Port } from './clobV2.js';
export { resolveSigningKey, LIVE_CONFIRMATION } from '../keys.js';
export { createRelayer, type RelayerPort, type RelayerOptions, type SubmitOutcome, type WalletBatch } from './relayer.js';
export { keyAddress, resolveWallet, simWallet, type WalletSetup } from './wallet.js';
export { walletSetupProblem } from './clobV2.js';
export { exchangeDomain, ORDER_STRUCT } from './signing.js';
