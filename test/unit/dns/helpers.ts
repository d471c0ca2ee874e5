// Shared bits for the DNS tests: a query builder and a seeded PRNG.
import { encodeMessage, RRClass, type DnsMessage } from '../../../worker/dns/codec.js';

export function query(name: string, type: number, id = 0x1234): DnsMessage {
  return {
    header: { id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

export function queryBytes(name: string, type: number, id = 0x1234): Buffer {
  return encodeMessage(query(name, type, id));
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
