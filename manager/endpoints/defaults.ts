// Every number and fixed pattern the endpoint service uses, with the reason for each.

/**
 * Docker's container-name rule as the daemon applies it (daemon/containers.ts): names
 * become DNS names on the network, so one label of at most 63 characters.
 */
export const CONTAINER_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** Docker's ids are 64 hex digits; the store's are 25 base-36 characters. Both fit. */
export const CONTAINER_ID_PATTERN = /^[0-9a-z]{1,64}$/;
/** Node ids are the store's (25 base-36 characters). */
export const NODE_ID_PATTERN = /^[0-9a-z]{1,64}$/;
/** Aliases are DNS names: 253 characters at most, no whitespace. */
export const ALIAS_PATTERN = /^[^\s,]{1,253}$/;
/** Each alias is a DNS record every node on the network gossips; this bounds one endpoint's share. */
export const MAX_ALIASES = 64;

/**
 * An attach that loses the allocation race re-reads and tries again. As network creates
 * (manager/networks/defaults.ts): each round lets at least one contender through, so 20
 * lost rounds in a row mean something is wrong, not busy.
 */
export const ATTACH_ATTEMPTS = 20;
/** First back-off after a lost race, doubled per attempt: about one Raft commit on a LAN. */
export const ATTACH_BACKOFF_MS = 5;
/** Cap on one back-off, so 20 attempts stay under about two seconds in the worst case. */
export const ATTACH_BACKOFF_CAP_MS = 100;
/**
 * Attaches per transaction: two ops at most each (the endpoint and its network's lock
 * update), well under the store's 1000 ops, and some 400 bytes each, far under 1.5 MiB.
 */
export const MAX_ATTACH_BATCH = 128;
