// What the rest of tsswarm uses from gossip: the pure core, its wire format and keyring.
export { GossipCore, pushPullIntervalMs } from './core/gossip.js';
export type { GossipCoreOptions, GossipStats, MemberEvent, MemberInfo, Ready, Send, Transport, UserDelivery } from './core/gossip.js';
export type { MemberState } from './core/state.js';
export { GOSSIP_DEFAULTS } from './config.js';
export type { GossipConfig } from './config.js';
export { GossipDecodeError, decodeMessage, encodeMessage, packCompound, MAX_TCP_PACKET, MAX_UDP_PACKET } from './codec.js';
export type { Message } from './codec.js';
export { Keyring, KEY_BYTES, MAX_KEYS, SEAL_OVERHEAD } from './keyring.js';
