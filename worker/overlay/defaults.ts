// Every fixed number and name of the overlay data plane, with the reason beside it.

/** IANA's VXLAN port (RFC 7348), Docker's default `--data-path-port`. */
export const DEFAULT_DATA_PATH_PORT = 4789;

/**
 * Bytes VXLAN adds to each inner frame on an IPv4 underlay: outer IP 20 + UDP 8 +
 * VXLAN 8 + inner Ethernet 14. Container MTU = underlay MTU − this, as Docker does.
 */
export const VXLAN_OVERHEAD = 50;

/** VNIs are 24 bits; 0 is left out as Docker does (it allocates from 4096 up). */
export const MIN_VNI = 1;
export const MAX_VNI = 0xffffff;

/** Names inside a sandbox namespace: each sandbox has its own, so fixed names never clash. */
export const BRIDGE = 'br0';
export const VXLAN = 'vxlan0';

/** The container end of an endpoint's veth pair, as Docker names it. */
export const CONTAINER_LINK = 'eth0';

/**
 * Longest sandbox namespace name we make. The kernel allows 255 (a file in /run/netns),
 * but names also travel in log lines and `ip netns list`; 64 is plenty for a prefix.
 */
export const MAX_NETNS_NAME = 64;

/**
 * The way out of non-internal overlays (Docker's docker_gwbridge): a bridge in the host
 * namespace. Its name fits the kernel's 15 characters; one per host, as Docker's.
 */
export const GATEWAY_BRIDGE = 'tsswarm_gwbr';

/**
 * Its subnet, host-local (every host uses the same one, as Docker's 172.18.0.0/16 by
 * default): a /16 gives 65k containers a host, and it is outside the default overlay
 * pool (10.0.0.0/8), so no overlay route and no gateway route ever overlap.
 */
export const GATEWAY_SUBNET = '172.18.0.0/16';

/** The nftables table holding the gateway's masquerade and forward rules. */
export const GATEWAY_NFT_TABLE = 'tsswarm';
