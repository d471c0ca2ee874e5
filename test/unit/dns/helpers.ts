// Shared bits for the DNS tests: a query builder and a seeded PRNG.
import { encodeMessage, RRClass, type DnsMessage } from '../../../worker/dns/codec.js';
import { mulberry32 } from '../prng.js';

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

export const rng = mulberry32;
