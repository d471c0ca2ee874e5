import { failsWith } from '../errors.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { certInfo, issueCert } from '../../../shared/pki/index.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { ClusterCA, generateNodeKey, needsRenewal } from '../../../manager/ca/ca.js';

const DAY = 24 * 60 * 60 * 1000;
const ca = await ClusterCA.create('cluster-1');
const otherCa = await ClusterCA.create('cluster-1');
const node = await generateNodeKey();

const isCode = (code: ErrorCode, re: RegExp): ((e: unknown) => boolean) => failsWith(code, re);

test('generateNodeKey gives a P-256 PKCS#8 key and its SPKI public key', () => {
  assert.match(node.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(node.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const pub = createPublicKey(node.keyPem).export({ type: 'spki', format: 'pem' }).toString();
  assert.equal(pub, node.publicKeyPem);
  assert.equal(createPublicKey(node.publicKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

test('issued cert has O = cluster, OU = role, CN = node, 90 days, and the node key', async () => {
  const { certPem } = await ca.issueNodeCert({ nodeId: 'node-a', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
  const info = certInfo(certPem);
  assert.equal(info.o, 'cluster-1');
  assert.equal(info.ou, 'swarm-worker');
  assert.equal(info.cn, 'node-a');
  const days = (info.notAfter.getTime() - Date.now()) / DAY;
  assert.ok(days > 89.9 && days <= 90, `validity ${days} days`);
  assert.equal(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString(), node.publicKeyPem);
  const id = ca.verifyNodeCert(certPem);
  assert.deepEqual({ ...id, notAfter: undefined }, { nodeId: 'node-a', role: 'worker', clusterId: 'cluster-1', notAfter: undefined });
  assert.equal(id.notAfter.getTime(), info.notAfter.getTime());
});

test('role is encoded for manager and worker', async () => {
  for (const [role, ou] of [['manager', 'swarm-manager'], ['worker', 'swarm-worker']] as const) {
    const { certPem } = await ca.issueNodeCert({ nodeId: `n-${role}`, role, clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
    assert.equal(certInfo(certPem).ou, ou);
    assert.equal(ca.verifyNodeCert(certPem).role, role);
  }
});

test('a loaded CA verifies what the created one issued', async () => {
  const loaded = ClusterCA.load({ certPem: ca.certPem, keyPem: ca.keyPem });
  const { certPem } = await loaded.issueNodeCert({ nodeId: 'n', role: 'manager', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem, days: 10 });
  assert.equal(ca.verifyNodeCert(certPem).nodeId, 'n');
  assert.equal(loaded.verifyNodeCert(certPem).role, 'manager');
});

test('load refuses a key that is not the CA key, and a non-CA certificate', async () => {
  assert.throws(() => ClusterCA.load({ certPem: ca.certPem, keyPem: otherCa.keyPem }), isCode('Invalid', /does not belong/));
  const { certPem } = await ca.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
  assert.throws(() => ClusterCA.load({ certPem, keyPem: node.keyPem }), isCode('Invalid', /not a CA/));
  assert.throws(() => ClusterCA.load({ certPem: ca.certPem, keyPem: 'junk' }), isCode('Invalid', /not a parsable private key/));
});

test('a cert from another CA is refused, even with the same names', async () => {
  const { certPem } = await otherCa.issueNodeCert({ nodeId: 'node-a', role: 'manager', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
  assert.throws(() => ca.verifyNodeCert(certPem), isCode('Refused', /not issued by this cluster's CA/));
});

test('a cert whose issuer name matches but whose signature is not the CA key is refused', async () => {
  // Both CAs are named swarm-ca, so only the signature tells them apart.
  const forged = await issueCert({ certPem: otherCa.certPem, keyPem: otherCa.keyPem }, { cn: 'n', ou: 'swarm-manager', o: 'cluster-1', publicKey: node.publicKeyPem });
  assert.throws(() => ca.verifyNodeCert(forged.certPem), isCode('Refused', /not issued/));
});

test('an expired cert, or one not yet valid, is refused', async () => {
  const { certPem } = await ca.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem, days: 1 });
  assert.throws(() => ca.verifyNodeCert(certPem, new Date(Date.now() + 2 * DAY)), isCode('Refused', /expired at/));
  assert.throws(() => ca.verifyNodeCert(certPem, new Date(Date.now() - DAY)), isCode('Refused', /not valid until/));
  assert.equal(ca.verifyNodeCert(certPem, new Date(Date.now() + DAY / 2)).nodeId, 'n');
});

test('the CA certificate itself, garbage and bundles are refused as node certs', async () => {
  assert.throws(() => ca.verifyNodeCert(ca.certPem), isCode('Refused', /CA certificate/));
  assert.throws(() => ca.verifyNodeCert('nope'), isCode('Refused', /exactly one CERTIFICATE/));
  const { certPem } = await ca.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
  assert.throws(() => ca.verifyNodeCert(certPem + certPem), isCode('Refused', /exactly one CERTIFICATE/));
});

test('a cert for another cluster, or with an unknown role OU, is refused', async () => {
  const anyCluster = ClusterCA.load({ certPem: ca.certPem, keyPem: ca.keyPem });
  const { certPem: foreign } = await anyCluster.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-2', publicKeyPem: node.publicKeyPem });
  assert.throws(() => ca.verifyNodeCert(foreign), isCode('Refused', /belongs to cluster cluster-2, not cluster-1/));
  assert.equal(anyCluster.verifyNodeCert(foreign).clusterId, 'cluster-2');
  const odd = await issueCert({ certPem: ca.certPem, keyPem: ca.keyPem }, { cn: 'n', ou: 'swarm-admin', o: 'cluster-1', publicKey: node.publicKeyPem });
  assert.throws(() => ca.verifyNodeCert(odd.certPem), isCode('Refused', /unknown role OU "swarm-admin"/));
});

test('issueNodeCert refuses bad requests', async () => {
  const base = { nodeId: 'n', role: 'worker' as const, clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem };
  await assert.rejects(ca.issueNodeCert({ ...base, nodeId: '' }), isCode('Invalid', /node ID/));
  await assert.rejects(ca.issueNodeCert({ ...base, clusterId: 'cluster-2' }), isCode('Invalid', /belongs to cluster cluster-1/));
  await assert.rejects(ca.issueNodeCert({ ...base, role: 'admin' as unknown as 'worker' }), isCode('Invalid', /role must be/));
  await assert.rejects(ca.issueNodeCert({ ...base, days: 0 }), isCode('Invalid', /positive number of days/));
  await assert.rejects(ca.issueNodeCert({ ...base, publicKeyPem: 'junk' }), isCode('Invalid', /not a parsable public key/));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assert.rejects(ca.issueNodeCert({ ...base, publicKeyPem: rsa }), isCode('Invalid', /ECDSA P-256, got rsa/));
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assert.rejects(ca.issueNodeCert({ ...base, publicKeyPem: p384 }), isCode('Invalid', /ECDSA P-256, got ec secp384r1/));
});

test('renewal is due once less than half the lifetime remains', async () => {
  const { certPem } = await ca.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem });
  const { notBefore, notAfter } = certInfo(certPem);
  // Lifetime counts from issue, not from the backdated notBefore (5 minutes of clock-skew slack).
  const issued = notBefore.getTime() + 5 * 60_000;
  const mid = issued + (notAfter.getTime() - issued) / 2;
  assert.equal(needsRenewal(certPem, new Date()), false);
  assert.equal(needsRenewal(certPem, new Date(mid - 60_000)), false);
  assert.equal(needsRenewal(certPem, new Date(mid + 60_000)), true);
  assert.equal(needsRenewal(certPem, new Date(notAfter.getTime() + DAY)), true);
  assert.equal(ca.needsRenewal(certPem, new Date(mid + 60_000)), true);
  // A short-lived certificate is not due at once just because of the backdating.
  const short = (await ca.issueNodeCert({ nodeId: 'n', role: 'worker', clusterId: 'cluster-1', publicKeyPem: node.publicKeyPem, days: 60 / 86_400 })).certPem;
  assert.equal(needsRenewal(short, new Date(Date.now() + 20_000)), false);
  assert.equal(needsRenewal(short, new Date(Date.now() + 40_000)), true);
});
