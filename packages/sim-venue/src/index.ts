// The sim venue: an independent local implementation of the Polymarket APIs polybot uses.
// It imports nothing of the bot, so a wrong assumption in the bot cannot be mirrored here.
export { startSimVenue, type SimVenue, type SimVenueOptions } from './server.js';
export { SIM_ASSETS, type SimAsset } from './prices.js';
export { FaultsSchema, type Faults } from './faults.js';
// The venue's amount and precision checks (§5.2), for tests of order builders against them.
export { checkAmounts, TICK_DECIMALS } from './rules.js';
