// Every number and fixed name the network service uses, with the reason for each.

/** The only driver this cluster has: multi-host VXLAN overlays (DESIGN.md "Networks"). */
export const OVERLAY_DRIVER = 'overlay';
/** The only IPAM driver: subnets from the cluster's pools (manager/allocator/subnets.ts). */
export const DEFAULT_IPAM_DRIVER = 'default';

/** Docker's option keys that mean something to the overlay driver. */
export const MTU_OPTION = 'com.docker.network.driver.mtu';
export const VXLANID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
export const ENCRYPTED_OPTION = 'encrypted';

/** RFC 791: every IPv4 host must take 68-byte datagrams; below that an MTU is meaningless. */
export const MIN_MTU = 68;
/** The IPv4 total-length field is 16 bits. */
export const MAX_MTU = 65535;

/** swarmkit's rule for object names: one DNS label (names become DNS names of the network). */
export const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
export const MAX_NETWORK_NAME_LENGTH = 63;
/** Docker's pre-defined local networks; a swarm network of that name would shadow them. */
export const PREDEFINED_NETWORK_NAMES: readonly string[] = ['bridge', 'host', 'none'];

/**
 * A create that loses the allocation race re-reads and tries again. 20 attempts: with a
 * handful of managers creating at once each round lets at least one through, so a create
 * that fails 20 times in a row means something is wrong, not busy.
 */
export const CREATE_ATTEMPTS = 20;
/**
 * First back-off after a lost race, doubled per attempt: about one Raft commit on a LAN,
 * the time the winner needs before its allocation is visible to the loser's next read.
 */
export const CREATE_BACKOFF_MS = 5;
/** Cap on one back-off, so 20 attempts stay under about two seconds in the worst case. */
export const CREATE_BACKOFF_CAP_MS = 100;
