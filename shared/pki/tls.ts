// The bundle a TLS endpoint of the cluster needs: whom to trust, and who it is.
import { issueCert, type CertAndKey } from './certs.js';

export interface TlsMaterial {
  /** PEM of the cluster's root CA: the only issuer a peer's certificate may come from. */
  ca: Buffer;
  /** PEM of this node's certificate. */
  cert: Buffer;
  /** PEM (PKCS#8) of this node's private key. */
  key: Buffer;
}

export function tlsMaterial(caCertPem: string, node: CertAndKey): TlsMaterial {
  return { ca: Buffer.from(caCertPem), cert: Buffer.from(node.certPem), key: Buffer.from(node.keyPem) };
}

/** Issue a fresh key and certificate for `nodeId` (CN) and bundle them with the CA; for tests and bootstrap. */
export async function issueNodeTls(ca: CertAndKey, nodeId: string, opts: { ou?: string; o?: string; days?: number } = {}): Promise<TlsMaterial> {
  const node = await issueCert(ca, { cn: nodeId, ou: opts.ou ?? 'swarm-manager', o: opts.o ?? 'test-cluster', days: opts.days ?? 1 });
  return tlsMaterial(ca.certPem, node);
}
