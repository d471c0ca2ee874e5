// Join tokens in Docker's format, so users recognise them and tooling that
// splits them keeps working:
//
//   SWMTKN-1-<CA digest, base 36, 50 chars>-<secret, base 36, 25 chars>
//
// The digest half lets a joining node pin the manager's root CA before it sends
// or trusts anything; the secret half is what the manager checks to admit it.
// Difference from swarmkit: swarmkit hashes the CA's PEM bytes, we hash the DER,
// so re-encoding the PEM (line length, trailing newline) cannot break the pin.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TsswarmError } from '../../shared/errors.js';
import { singleCertificate } from './pem.js';

export interface JoinToken {
  version: 1;
  /** SHA-256 of the root CA certificate's DER, base 36, zero-padded to 50 characters. */
  caDigest: string;
  /** 128 random bits, base 36, zero-padded to 25 characters. */
  secret: string;
}

const PREFIX = 'SWMTKN';
// 36^50 > 2^256 and 36^25 > 2^128: the smallest widths that hold every value.
const DIGEST_LEN = 50;
const SECRET_LEN = 25;
const SECRET_BYTES = 16;
const BASE36 = /^[0-9a-z]+$/;

function toBase36(bytes: Buffer, width: number): string {
  const n = bytes.length === 0 ? 0n : BigInt('0x' + bytes.toString('hex'));
  return n.toString(36).padStart(width, '0');
}

function fromBase36(s: string): bigint {
  let n = 0n;
  for (const c of s) n = n * 36n + BigInt(parseInt(c, 36));
  return n;
}

/** The root CA's pin as it appears in a join token. */
export function caDigest(caCertPem: string): string {
  const cert = singleCertificate(caCertPem, 'root CA certificate');
  return toBase36(createHash('sha256').update(cert.raw).digest(), DIGEST_LEN);
}

/** A fresh token for the CA in `caCertPem`; each call draws a new secret. */
export function makeJoinToken(caCertPem: string): string {
  return `${PREFIX}-1-${caDigest(caCertPem)}-${toBase36(randomBytes(SECRET_BYTES), SECRET_LEN)}`;
}

function invalid(why: string): TsswarmError {
  // The token itself is a credential: never echo it back in the message.
  return new TsswarmError('Invalid', `invalid join token: ${why} (expected ${PREFIX}-1-<50 base-36 chars>-<25 base-36 chars>)`);
}

/** Splits and checks a token; throws TsswarmError 'Invalid' saying what is wrong with it. */
export function parseJoinToken(token: string): JoinToken {
  if (typeof token !== 'string' || token.length === 0) throw invalid('empty');
  const parts = token.split('-');
  if (parts[0] !== PREFIX) throw invalid(`it does not start with "${PREFIX}-"`);
  if (parts.length !== 4) throw invalid(`it has ${parts.length} dash-separated parts, not 4`);
  const [, version, digest, secret] = parts as [string, string, string, string];
  if (version !== '1') throw invalid(`unsupported version "${version.slice(0, 8)}" (only 1 is known)`);
  if (digest.length !== DIGEST_LEN) throw invalid(`the CA digest has ${digest.length} characters, not ${DIGEST_LEN}`);
  if (!BASE36.test(digest)) throw invalid('the CA digest has characters outside 0-9a-z');
  if (fromBase36(digest) >= 1n << 256n) throw invalid('the CA digest is larger than a SHA-256 value');
  if (secret.length !== SECRET_LEN) throw invalid(`the secret has ${secret.length} characters, not ${SECRET_LEN}`);
  if (!BASE36.test(secret)) throw invalid('the secret has characters outside 0-9a-z');
  return { version: 1, caDigest: digest, secret };
}

/**
 * Whether `presentedCaCertPem` is the root CA `token` pins. The joining node calls this
 * on the CA the manager hands it before using that CA for anything. A malformed token
 * throws (the user mistyped it); a CA that does not match, or is not exactly one
 * parsable certificate, is false.
 */
export function verifyCaPin(token: string, presentedCaCertPem: string): boolean {
  const { caDigest: pinned } = parseJoinToken(token);
  let presented: string;
  try {
    presented = caDigest(presentedCaCertPem);
  } catch {
    return false;
  }
  // Not secret, but constant-time costs nothing here.
  return timingSafeEqual(Buffer.from(pinned), Buffer.from(presented));
}

/**
 * Whether a presented token equals the expected one, in time independent of where
 * they differ (and, by hashing first, of the presented length), so the secret cannot
 * be learned byte by byte from response times. Never throws: garbage is just false.
 */
export function tokenMatches(expected: string, presented: string): boolean {
  if (typeof expected !== 'string' || typeof presented !== 'string') return false;
  // An unset expected token must not admit a node that presents nothing.
  if (expected.length === 0) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}
