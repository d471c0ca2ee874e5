// Shared bits for the DNS tests: a query builder, a seeded PRNG and a one-shot UDP client.
import dgram from 'node:dgram';
import { decodeMessage, encodeMessage, RRClass, type DnsMessage } from '../../../worker/dns/codec.js';
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

/** Sends one packet to a DNS server on 127.0.0.1 from a fresh socket and waits for one reply, or undefined after `ms`. */
export async function ask(port: number, packet: Buffer, ms = 2000): Promise<DnsMessage | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<DnsMessage | undefined>((ok, fail) => {
      const timer = setTimeout(() => ok(undefined), ms);
      sock.on('message', (raw) => {
        clearTimeout(timer);
        try { ok(decodeMessage(raw)); } catch (e) { fail(e); }
      });
      sock.send(packet, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}
