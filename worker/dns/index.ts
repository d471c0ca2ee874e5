export {
  decodeMessage, encodeMessage, peekId, RCode, RRClass, RRType,
  type DnsHeader, type DnsMessage, type DnsQuestion, type DnsRecord,
} from './codec.js';
export { ANSWER_TTL_S, EMBEDDED_DNS_ADDRESS, FORWARD_TIMEOUT_MS, MAX_UDP_REPLY_BYTES } from './defaults.js';
export { encodeUdpReply, replyTo, resolve, reverseV4, type DnsLookup, type Resolution, type ResolveOptions } from './resolver.js';
export { netdbLookup } from './lookup.js';
export { startDnsServer, udpForwarder, type DnsServer, type DnsServerOptions, type Forwarder, type Upstream } from './server.js';
