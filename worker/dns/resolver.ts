// The embedded DNS's decision, as Docker makes it, kept pure: given a query and a view of
// the names on the asking container's networks, answer it, or say it must be forwarded.
// Single-label names are container names and never leave the host (unknown → NXDOMAIN);
// anything else unknown goes to the upstream resolvers, and without any → SERVFAIL.
import { isIPv4 } from 'node:net';
import { encodeMessage, RCode, RRClass, RRType, type DnsMessage, type DnsRecord } from './codec.js';
import { ANSWER_TTL_S, MAX_UDP_REPLY_BYTES } from './defaults.js';

/**
 * The names the asking container can see: container names and aliases on its networks,
 * from the netdb `dns` table. Names arrive lower-cased, without the trailing dot.
 * (`tasks.<service>` is the lookup's business once services exist.)
 */
export interface DnsLookup {
  ipv4(name: string): string[];
  ipv6?(name: string): string[];
  /** The container name for an address on the asker's networks, if any. */
  ptr(ip: string): string | undefined;
}

export type Resolution =
  | { kind: 'reply'; message: DnsMessage }
  | { kind: 'forward' }
  | { kind: 'drop' };

export interface ResolveOptions {
  /** Whether an upstream forwarder exists; if not, what would be forwarded gets SERVFAIL. */
  canForward: boolean;
}

/** A reply to `query` with this rcode and answers, flags as a recursive server sets them. */
export function replyTo(query: DnsMessage, rcode: number, answers: DnsRecord[] = [], authoritative = false): DnsMessage {
  return {
    header: {
      id: query.header.id, qr: true, opcode: query.header.opcode, aa: authoritative, tc: false,
      rd: query.header.rd, ra: true, rcode,
    },
    questions: query.questions.slice(0, 1),
    answers,
    authorities: [],
    additionals: [],
  };
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`, else undefined. */
export function reverseV4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (m === null) return undefined;
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  return isIPv4(ip) ? ip : undefined;
}

export function resolve(query: DnsMessage, lookup: DnsLookup, opts: ResolveOptions): Resolution {
  const forwardOr = (): Resolution => (opts.canForward ? { kind: 'forward' } : { kind: 'reply', message: replyTo(query, RCode.SERVFAIL) });
  // A response sent to our port is not a question; answering it could start a loop.
  if (query.header.qr) return { kind: 'drop' };
  if (query.header.opcode !== 0) return { kind: 'reply', message: replyTo(query, RCode.NOTIMP) };
  if (query.questions.length !== 1) return { kind: 'reply', message: replyTo(query, RCode.FORMERR) };
  const q = query.questions[0] as (typeof query.questions)[number];
  if (q.class !== RRClass.IN) return forwardOr();
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (name === '') return forwardOr();

  const rec = (type: number, data: string): DnsRecord => ({ name: q.name, type, class: RRClass.IN, ttl: ANSWER_TTL_S, data });

  if (q.type === RRType.PTR) {
    const ip = reverseV4(name);
    const target = ip === undefined ? undefined : lookup.ptr(ip);
    if (target !== undefined) return { kind: 'reply', message: replyTo(query, RCode.NOERROR, [rec(RRType.PTR, target)], true) };
    return forwardOr();
  }

  const v4 = lookup.ipv4(name);
  const v6 = lookup.ipv6?.(name) ?? [];
  if (v4.length === 0 && v6.length === 0) {
    if (!name.includes('.')) return { kind: 'reply', message: replyTo(query, RCode.NXDOMAIN) };
    return forwardOr();
  }
  // A known name: answer what we have; other types get an empty NOERROR (the name exists).
  const answers = q.type === RRType.A ? v4.map((ip) => rec(RRType.A, ip))
    : q.type === RRType.AAAA ? v6.map((ip) => rec(RRType.AAAA, ip))
      : [];
  return { kind: 'reply', message: replyTo(query, RCode.NOERROR, answers, true) };
}

/** Encode a reply for UDP: if it is over the limit, drop answers until it fits and set TC. */
export function encodeUdpReply(message: DnsMessage, maxBytes = MAX_UDP_REPLY_BYTES): Buffer {
  let out = encodeMessage(message);
  if (out.length <= maxBytes) return out;
  const m: DnsMessage = { ...message, header: { ...message.header, tc: true }, answers: [...message.answers], authorities: [], additionals: [] };
  do {
    m.answers.pop();
    out = encodeMessage(m);
  } while (out.length > maxBytes && m.answers.length > 0);
  return out;
}
