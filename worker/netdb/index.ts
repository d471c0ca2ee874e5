export { NetDb, compareVersions, type NetDbOptions } from './netdb.js';
export { checkEvent, decodeEvent, decodeState, encodeEvent, encodeState } from './codec.js';
export { MAX_EVENT_BYTES, REAP_INTERVAL_MS } from './defaults.js';
export type * from './types.js';
export { TABLES } from './types.js';
