// The cluster's root CA: it certifies every node, and a node's certificate is
// the node's identity (CN = node ID, OU = role, O = cluster ID, as swarm does).
// Nodes make their own keys and send only the public half, so no private key
// but the CA's ever lives on a manager for someone else.
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { TsswarmError } from '../../shared/errors.js';
import { certInfo, generateCA, issueCert } from '../../shared/pki/index.js';
import { BACKDATE_MS } from '../../shared/pki/certs.js';
import { singleCertificate } from './pem.js';

export type NodeRole = 'manager' | 'worker';

export interface NodeIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  notAfter: Date;
}

export interface IssueNodeCertRequest {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** The node's public key, PEM SPKI ("PUBLIC KEY"), ECDSA P-256. */
  publicKeyPem: string;
  /** Validity in days; default 90, Docker's node certificate lifetime. */
  days?: number;
}

const ROLE_OU: Record<NodeRole, string> = { manager: 'swarm-manager', worker: 'swarm-worker' };
const CA_CN = 'swarm-ca';
const DEFAULT_DAYS = 90;

const generateKeyPairAsync = promisify(generateKeyPair);

/** A node's own key pair: ECDSA P-256, private key PKCS#8 PEM, public key SPKI PEM. */
export async function generateNodeKey(): Promise<{ keyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

function roleOf(ou: string): NodeRole | undefined {
  if (ou === ROLE_OU.manager) return 'manager';
  if (ou === ROLE_OU.worker) return 'worker';
  return undefined;
}

function refused(why: string): TsswarmError {
  return new TsswarmError('Refused', `node certificate refused: ${why}`);
}

function checkId(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TsswarmError('Invalid', `${what} must be a non-empty string`);
  return v;
}

export class ClusterCA {
  private readonly caCert: X509Certificate;

  private constructor(
    readonly certPem: string,
    readonly keyPem: string,
    /** Set when known: then only certificates for this cluster are issued or accepted. */
    readonly clusterId: string | undefined,
  ) {
    this.caCert = singleCertificate(certPem, 'root CA certificate');
  }

  /** A new root CA for a new cluster (at `init`). */
  static async create(clusterId: string): Promise<ClusterCA> {
    checkId('cluster ID', clusterId);
    const { certPem, keyPem } = await generateCA(CA_CN);
    return new ClusterCA(certPem, keyPem, clusterId);
  }

  /**
   * The CA from stored PEMs. Refuses a certificate that is not a CA, or a key that is
   * not its key, since either would only fail later, far from the cause.
   */
  static load(opts: { certPem: string; keyPem: string; clusterId?: string }): ClusterCA {
    const cert = singleCertificate(opts.certPem, 'root CA certificate');
    if (!cert.ca) throw new TsswarmError('Invalid', 'root CA certificate: it is not a CA certificate (basicConstraints cA is not set)');
    let keyPub: string;
    try {
      keyPub = createPublicKey(createPrivateKey(opts.keyPem)).export({ type: 'spki', format: 'pem' }).toString();
    } catch (e) {
      throw new TsswarmError('Invalid', `root CA key: not a parsable private key (${(e as Error).message})`);
    }
    const certPub = cert.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    if (keyPub !== certPub) throw new TsswarmError('Invalid', 'root CA key does not belong to the root CA certificate');
    if (opts.clusterId !== undefined) checkId('cluster ID', opts.clusterId);
    return new ClusterCA(opts.certPem, opts.keyPem, opts.clusterId);
  }

  /** A CA that can only verify (nodes that are not managers have no CA key). */
  static forVerification(certPem: string, clusterId?: string): ClusterCA {
    return new ClusterCA(certPem, '', clusterId);
  }

  /** Certifies a node's public key as `nodeId` with `role` in `clusterId`. */
  async issueNodeCert(req: IssueNodeCertRequest): Promise<{ certPem: string }> {
    if (!this.keyPem) throw new TsswarmError('Refused', 'this node holds no CA key and cannot issue certificates');
    const nodeId = checkId('node ID', req.nodeId);
    const clusterId = checkId('cluster ID', req.clusterId);
    if (!Object.hasOwn(ROLE_OU, req.role)) throw new TsswarmError('Invalid', `role must be "manager" or "worker", not ${JSON.stringify(req.role)}`);
    const ou = ROLE_OU[req.role];
    if (this.clusterId !== undefined && clusterId !== this.clusterId) {
      throw new TsswarmError('Invalid', `cannot issue a certificate for cluster ${clusterId}: this CA belongs to cluster ${this.clusterId}`);
    }
    const days = req.days ?? DEFAULT_DAYS;
    if (!Number.isFinite(days) || days <= 0) throw new TsswarmError('Invalid', `certificate validity must be a positive number of days, not ${days}`);
    let key;
    try {
      key = createPublicKey(req.publicKeyPem);
    } catch (e) {
      throw new TsswarmError('Invalid', `node public key: not a parsable public key (${(e as Error).message})`);
    }
    // Only P-256, the one curve every node and the TLS stack here are known to handle.
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new TsswarmError('Invalid', `node public key must be ECDSA P-256, got ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trimEnd());
    }
    const spki = key.export({ type: 'spki', format: 'pem' }).toString();
    try {
      const { certPem } = await issueCert({ certPem: this.certPem, keyPem: this.keyPem }, { cn: nodeId, ou, o: clusterId, days, publicKey: spki });
      return { certPem };
    } catch (e) {
      // issueCert refuses names it cannot encode unchanged.
      throw new TsswarmError('Invalid', `cannot issue node certificate: ${(e as Error).message}`);
    }
  }

  /**
   * The identity in a node certificate, once it is shown to be signed by this CA and
   * valid at `now`. Throws TsswarmError 'Refused' otherwise.
   */
  verifyNodeCert(certPem: string, now: Date = new Date()): NodeIdentity {
    let cert: X509Certificate;
    try {
      cert = singleCertificate(certPem, 'node certificate');
    } catch (e) {
      throw refused((e as Error).message);
    }
    // checkIssued compares names only; verify proves the CA's key signed it.
    if (!cert.checkIssued(this.caCert) || !cert.verify(this.caCert.publicKey)) throw refused('it was not issued by this cluster\'s CA');
    if (cert.ca) throw refused('it is a CA certificate, not a node certificate');
    const info = certInfo(certPem);
    if (now.getTime() < info.notBefore.getTime()) throw refused(`it is not valid until ${info.notBefore.toISOString()}`);
    if (now.getTime() > info.notAfter.getTime()) throw refused(`it expired at ${info.notAfter.toISOString()}`);
    const role = roleOf(info.ou);
    if (role === undefined) throw refused(`unknown role OU ${JSON.stringify(info.ou)}`);
    if (info.cn === '') throw refused('it names no node ID (empty CN)');
    if (info.o === '') throw refused('it names no cluster ID (empty O)');
    if (this.clusterId !== undefined && info.o !== this.clusterId) throw refused(`it belongs to cluster ${info.o}, not ${this.clusterId}`);
    return { nodeId: info.cn, role, clusterId: info.o, notAfter: info.notAfter };
  }

  /** See the free function {@link needsRenewal}; renewal needs no CA key, so nodes call that one. */
  needsRenewal(certPem: string, now: Date = new Date()): boolean {
    return needsRenewal(certPem, now);
  }
}

/**
 * True once less than half of the certificate's lifetime remains (or it has expired).
 * Renewing at half-life leaves the other half, 45 days with the default 90, for retries
 * while managers are unreachable or without quorum, so a node keeps a valid identity
 * through long outages; it is also swarmkit's lower bound (it picks a random point
 * between 50% and 80% of the lifetime). Callers that renew many nodes at once should
 * add their own jitter so the managers are not asked all at the same moment.
 */
export function needsRenewal(certPem: string, now: Date = new Date()): boolean {
  singleCertificate(certPem, 'node certificate');
  const { notBefore, notAfter } = certInfo(certPem);
  // Issued certificates are backdated for clock skew; that slack is not lifetime.
  const issued = notBefore.getTime() + BACKDATE_MS;
  const lifetime = notAfter.getTime() - Math.min(issued, notAfter.getTime());
  return notAfter.getTime() - now.getTime() < lifetime / 2;
}
