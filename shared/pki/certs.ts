// Root CA and node certificates: ECDSA P-256, PEM, PKCS#8 keys, as Node's TLS
// (and so grpc-js) takes them. A node certificate names the node the way swarm
// does: CN = node ID, OU = role, O = cluster ID.
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  cn: string;
  ou?: string;
  o?: string;
  /** Validity from now; default 90 days (swarm's node certificate default). */
  days?: number;
  /** Certify this existing key (PEM, SPKI "PUBLIC KEY") instead of generating one; the result then has keyPem ''. */
  publicKey?: string;
  /** Certify the public half of this private key (PEM, PKCS#8) and return it as keyPem. */
  keyPem?: string;
}

export interface CertInfo {
  cn: string;
  ou: string;
  o: string;
  notBefore: Date;
  notAfter: Date;
  /** Lower-case hex SHA-256 of the DER certificate. */
  fingerprintSha256: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Certificates start a little in the past so that a peer whose clock runs
// slightly behind does not reject a certificate issued a moment ago.
export const BACKDATE_MS = 5 * 60 * 1000;
// Swarm's root CA lives 20 years.
const CA_DAYS = 20 * 365;

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // a positive INTEGER without a leading zero byte
  return b.toString('hex');
}

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  // Through node:crypto first so that SEC1 ("EC PRIVATE KEY") PEMs are accepted too.
  const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, EC, true, ['sign']) as Promise<CryptoKey>;
}

async function importPublicKey(publicKeyPem: string): Promise<CryptoKey> {
  const spki = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']) as Promise<CryptoKey>;
}

function name(cn: string, ou?: string, o?: string): x509.Name {
  // JSON names, not "CN=a,O=b" strings, so commas and the like need no escaping.
  const json: x509.JsonName = [];
  if (o) json.push({ O: [o] });
  if (ou) json.push({ OU: [ou] });
  json.push({ CN: [cn] });
  const n = new x509.Name(json);
  // The library still re-parses some values (a leading '#', some quote patterns):
  // refuse what does not survive the trip rather than issue a certificate for another name.
  if (JSON.stringify(n.toJSON()) !== JSON.stringify(json)) {
    throw new Error(`cannot put ${JSON.stringify({ cn, ou, o })} into a certificate name unchanged (it came out as ${n.toString()})`);
  }
  return n;
}

/** A self-signed root CA. */
export async function generateCA(commonName: string): Promise<CertAndKey> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: name(commonName),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', pkcs8) };
}

/**
 * A leaf certificate signed by `ca`, usable for both TLS server and client auth.
 * It carries DNS SAN = cn as well: peers check the CN themselves, but a SAN keeps
 * standard hostname verification (and tools like openssl/curl) working too.
 */
export async function issueCert(ca: CertAndKey, opts: IssueOptions): Promise<CertAndKey> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const signingKey = await importSigningKey(ca.keyPem);
  let publicKey: CryptoKey;
  let keyPem = '';
  if (opts.publicKey) {
    publicKey = await importPublicKey(opts.publicKey);
  } else if (opts.keyPem) {
    publicKey = await importPublicKey(createPublicKey(opts.keyPem).export({ type: 'spki', format: 'pem' }).toString());
    keyPem = createPrivateKey(opts.keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  } else {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    publicKey = keys.publicKey;
    keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  }
  const now = Date.now();
  const days = opts.days ?? 90;
  const notAfter = Math.min(now + days * DAY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: name(opts.cn, opts.ou, opts.o),
    issuer: caCert.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGN,
    publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: opts.cn }]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** Subject fields, expiry and fingerprint of a PEM certificate. */
export function certInfo(certPem: string): CertInfo {
  const cert = new x509.X509Certificate(certPem);
  // From the parsed RDNs: getField() re-parses the string form and mangles escaped values.
  const rdns = cert.subjectName.toJSON();
  const field = (f: string): string => {
    for (const rdn of rdns) {
      const v = rdn[f];
      if (v && v.length > 0) return v[0]!;
    }
    return '';
  };
  return {
    cn: field('CN'),
    ou: field('OU'),
    o: field('O'),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprintSha256: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
  };
}
