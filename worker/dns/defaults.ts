// Embedded DNS tunables, with the reasoning beside each number.

/** TTL of answers for container names; Docker's embedded DNS answers with 600 s. */
export const ANSWER_TTL_S = 600;

/** Classic UDP DNS payload limit (RFC 1035 4.2.1); longer answers are cut and flagged TC. */
export const MAX_UDP_REPLY_BYTES = 512;

/** How long one upstream gets before we try the next; resolv.conf's default timeout is 5 s,
 *  so a client waiting on us still has time for a retry of its own. */
export const FORWARD_TIMEOUT_MS = 2000;

/** Where Docker's embedded DNS listens inside each container. */
export const EMBEDDED_DNS_ADDRESS = '127.0.0.11';

/** How long container-dns waits for the relay's answer to one query. The relay itself gives
 *  each upstream FORWARD_TIMEOUT_MS, so two upstreams fit; still under resolv.conf's 5 s, so
 *  the client gets our SERVFAIL instead of timing out and retrying the same dead path. */
export const RELAY_QUERY_TIMEOUT_MS = 4500;

/** Queries one relay connection may have in flight; one container's resolver bursts far
 *  below this, and past it a looping client gets SERVFAIL instead of pinning memory. */
export const RELAY_MAX_IN_FLIGHT = 512;
