// Certificates arrive as PEM text from disk and from the network. A PEM file may
// hold several blocks, and Node silently uses the first; anything that pins or
// verifies a certificate must know exactly which one it looked at, so callers
// here accept one CERTIFICATE block and nothing else.
import { X509Certificate } from 'node:crypto';
import { TsswarmError } from '../../shared/errors.js';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/** The one certificate in `pem`; throws TsswarmError 'Invalid' naming `what` otherwise. */
export function singleCertificate(pem: string, what: string): X509Certificate {
  if (typeof pem !== 'string') throw new TsswarmError('Invalid', `${what}: expected PEM text`);
  const labels = [...pem.matchAll(BLOCK)].map((m) => m[1]);
  if (labels.length !== 1 || labels[0] !== 'CERTIFICATE') {
    const found = labels.length === 0 ? 'no PEM block' : labels.join(', ');
    throw new TsswarmError('Invalid', `${what}: expected exactly one CERTIFICATE PEM block, found ${found}`);
  }
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new TsswarmError('Invalid', `${what}: not a parsable certificate (${(e as Error).message})`);
  }
}
