// Tunables for networkdb, with the reasoning beside each number.

/**
 * How long a tombstone is kept before it is dropped. It must outlast the time a late
 * event can still be in flight (gossip retransmits for a few rounds of 200 ms, push-pull
 * every 30 s covers the rest), otherwise a late create could resurrect a deleted entry.
 */
export const REAP_INTERVAL_MS = 30_000;

/**
 * Largest encoded event, so one event plus the gossip layer's framing and AES-GCM
 * overhead (~60 bytes) fits a 1400-byte packet under a 1500-byte path MTU.
 */
export const MAX_EVENT_BYTES = 1200;

/** Identifier bounds: ids are 64-hex or shorter; names follow DNS label rules (≤ 255). */
export const MAX_ID_LENGTH = 128;
export const MAX_NAME_LENGTH = 255;
export const MAX_ALIASES = 8;

/** Cap on a decoded push-pull state, so a corrupt length cannot make us allocate wildly. */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;
