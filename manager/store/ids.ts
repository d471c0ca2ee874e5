// Object and request ids, made by the proposer (never by apply, which must stay deterministic).
// The format of swarmkit's identity.NewID: 25 characters of lowercase base 36 (about 129
// random bits). Each character is drawn uniformly by rejection sampling from a pool of
// random bytes, which is far cheaper than formatting a 128-bit BigInt.

import { randomFillSync } from 'node:crypto';

export const ID_LENGTH = 25;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 36 that fits a byte: bytes at or above it would bias the draw. */
const LIMIT = 252;

const pool = new Uint8Array(4096);
let at = pool.length;

function nextByte(): number {
  if (at === pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  return pool[at++];
}

export function newId(): string {
  let id = '';
  while (id.length < ID_LENGTH) {
    const b = nextByte();
    if (b < LIMIT) id += ALPHABET[b % 36];
  }
  return id;
}
