/** The BroadcastChannels on which the instrumented models' threads report to vision tests. */

/** threads/refuse-network.ts: `{ armed: true }` once, then `{ attempt }` for each refused connection. */
export const NETWORK_CHANNEL = 'annot-test-vision-thread-network';
/** threads/instrumented.ts: `{ running, sab }` (hold) or `{ leftoverListeners }` (crash). */
export const INSTRUMENT_CHANNEL = 'annot-test-vision-thread-instruments';
