// Addresses and stream framing for the gossip driver. A TCP message is a 4-byte
// big-endian length and that many bytes (sealed when a keyring is in use); the reader
// refuses a length above its limit before buffering anything, so a bad peer cannot
// make us allocate 4 GiB.

import { TsswarmError } from '../../shared/errors.js';

export const DEFAULT_GOSSIP_PORT = 7946;
export const FRAME_HEADER = 4;

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port", "[v6]:port", or a bare host (the default port is added). */
export function parseHostPort(addr: string, defaultPort = DEFAULT_GOSSIP_PORT): HostPort {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  let host: string;
  let portText: string | undefined;
  if (v6 !== null) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const i = addr.lastIndexOf(':');
    if (i >= 0 && addr.indexOf(':') !== i) throw new TsswarmError('Invalid', `gossip address ${addr}: write IPv6 addresses as [addr]:port`);
    host = i < 0 ? addr : addr.slice(0, i);
    portText = i < 0 ? undefined : addr.slice(i + 1);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535 || (portText !== undefined && !/^\d+$/.test(portText))) {
    throw new TsswarmError('Invalid', `gossip address ${JSON.stringify(addr)} is not host:port with a port in 0..65535`);
  }
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** Reassembles frames from stream chunks. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame: number) {}

  /** The complete frames so far; 'oversized' when a header announces more than the limit. */
  push(chunk: Buffer): Buffer[] | 'oversized' {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER) return out;
      const head = this.chunks.length === 1 ? this.chunks[0]! : this.merge();
      const len = head.readUInt32BE(0);
      if (len > this.maxFrame) return 'oversized';
      if (this.buffered < FRAME_HEADER + len) return out;
      const all = this.merge();
      out.push(Buffer.from(all.subarray(FRAME_HEADER, FRAME_HEADER + len)));
      const rest = all.subarray(FRAME_HEADER + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /** Bytes of an unfinished frame: non-zero when the peer hung up mid-frame. */
  get pending(): number {
    return this.buffered;
  }

  private merge(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}
