// Gossip encryption: AES-256-GCM under a small keyring, as memberlist does it. The
// primary key seals what we send; every key in the ring is tried on what we receive,
// so a new key can be rolled out (install everywhere, then make it primary, then
// remove the old one) without a moment where members cannot read each other.
//
// node:crypto rather than @noble/ciphers: OpenSSL uses AES-NI and is an order of
// magnitude faster per packet, and this file is outside the pure core anyway.
//
// Packet: version (1) | nonce (12, random) | ciphertext | tag (16). The version byte
// and the optional cluster label are authenticated as associated data, so a packet
// cannot be replayed into another cluster that happens to share a key.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TsswarmError } from '../../shared/errors.js';

export const KEY_BYTES = 32;
export const MAX_KEYS = 3;
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes seal() adds; the gossip core takes them off its UDP budget. */
export const SEAL_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function checkKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new TsswarmError('Invalid', `a gossip key must be ${KEY_BYTES} bytes (AES-256), got ${key instanceof Uint8Array ? key.length : typeof key}`);
  }
  return Uint8Array.from(key);
}

export interface KeyringOptions {
  /** Cluster label authenticated with every packet; both sides must agree. */
  label?: string;
}

export class Keyring {
  /** keys[0] is the primary; the rest are accepted on receive only. */
  private ring: Uint8Array[];
  private readonly aad: Uint8Array;

  constructor(keys: readonly Uint8Array[], opts: KeyringOptions = {}) {
    if (keys.length === 0) throw new TsswarmError('Invalid', 'a keyring needs at least one key');
    if (keys.length > MAX_KEYS) throw new TsswarmError('TooLarge', `a keyring holds at most ${MAX_KEYS} keys; remove old keys first`);
    this.ring = [];
    for (const k of keys) {
      const key = checkKey(k);
      if (!this.ring.some((r) => sameKey(r, key))) this.ring.push(key);
    }
    const label = new TextEncoder().encode(opts.label ?? '');
    if (label.length > 255) throw new TsswarmError('Invalid', 'the keyring label must be at most 255 bytes');
    this.aad = new Uint8Array(1 + label.length);
    this.aad[0] = VERSION;
    this.aad.set(label, 1);
  }

  /** Copies of the keys, primary first. */
  keys(): Uint8Array[] {
    return this.ring.map((k) => Uint8Array.from(k));
  }

  /** Adds a key for receiving. A full ring drops its oldest secondary key. */
  install(key: Uint8Array): void {
    const k = checkKey(key);
    if (this.ring.some((r) => sameKey(r, k))) return;
    this.ring.push(k);
    if (this.ring.length > MAX_KEYS) this.ring.splice(1, 1);
  }

  /** Makes a key the primary for sending, installing it first if needed. */
  use(key: Uint8Array): void {
    const k = checkKey(key);
    const rest = this.ring.filter((r) => !sameKey(r, k));
    this.ring = [k, ...rest].slice(0, MAX_KEYS);
  }

  remove(key: Uint8Array): void {
    const k = checkKey(key);
    if (sameKey(this.ring[0]!, k)) throw new TsswarmError('Invalid', 'cannot remove the primary gossip key; make another key primary first');
    this.ring = this.ring.filter((r) => !sameKey(r, k));
  }

  seal(plain: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.ring[0]!, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(this.aad);
    const body = c.update(plain);
    const fin = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(SEAL_OVERHEAD + body.length + fin.length);
    out[0] = VERSION;
    out.set(nonce, 1);
    out.set(body, 1 + NONCE_BYTES);
    out.set(fin, 1 + NONCE_BYTES + body.length);
    out.set(tag, out.length - TAG_BYTES);
    return out;
  }

  /** The plaintext, or undefined when no key in the ring authenticates the packet. */
  open(packet: Uint8Array): Uint8Array | undefined {
    if (!(packet instanceof Uint8Array) || packet.length < SEAL_OVERHEAD || packet[0] !== VERSION) return undefined;
    const nonce = packet.subarray(1, 1 + NONCE_BYTES);
    const body = packet.subarray(1 + NONCE_BYTES, packet.length - TAG_BYTES);
    const tag = packet.subarray(packet.length - TAG_BYTES);
    for (const key of this.ring) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        d.setAAD(this.aad);
        d.setAuthTag(tag);
        const a = d.update(body);
        const b = d.final();
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      } catch {
        // Wrong key or tampered: try the next key.
      }
    }
    return undefined;
  }
}
