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
