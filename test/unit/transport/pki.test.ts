import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { certInfo, generateCA, issueCert } from '../../../shared/pki/index.js';

describe('pki', () => {
  it('makes a P-256 root CA and leaf certificates that chain to it', async () => {
    const ca = await generateCA('tsswarm root CA');
    const caX = new X509Certificate(ca.certPem);
    assert.equal(caX.ca, true);
    assert.equal(caX.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(ca.keyPem).asymmetricKeyType, 'ec');

    const leaf = await issueCert(ca, { cn: 'node-1', ou: 'swarm-manager', o: 'cluster-xyz', days: 3 });
    const x = new X509Certificate(leaf.certPem);
    assert.equal(x.ca, false);
    assert.ok(x.checkIssued(caX));
    assert.ok(x.verify(caX.publicKey));
    assert.equal(x.subjectAltName, 'DNS:node-1');
    assert.ok(x.checkPrivateKey(createPrivateKey(leaf.keyPem)));
    const info = certInfo(leaf.certPem);
    assert.equal(info.cn, 'node-1');
    assert.equal(info.ou, 'swarm-manager');
    assert.equal(info.o, 'cluster-xyz');
    const days = (info.notAfter.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 2.99 && days <= 3, `valid for ${days} days`);
    assert.ok(info.notBefore.getTime() <= Date.now());
    assert.equal(info.fingerprintSha256, x.fingerprint256.replace(/:/g, '').toLowerCase());
    assert.equal(certInfo(ca.certPem).cn, 'tsswarm root CA');
  });

  it('certifies an existing key, by private or public PEM', async () => {
    const ca = await generateCA('ca');
    const first = await issueCert(ca, { cn: 'n1', days: 1 });
    const renewed = await issueCert(ca, { cn: 'n1', days: 2, keyPem: first.keyPem });
    assert.equal(renewed.keyPem, first.keyPem);
    assert.ok(new X509Certificate(renewed.certPem).checkPrivateKey(createPrivateKey(first.keyPem)));
    const pub = createPublicKey(first.keyPem).export({ type: 'spki', format: 'pem' }).toString();
    const fromCsrLike = await issueCert(ca, { cn: 'n1', publicKey: pub });
    assert.equal(fromCsrLike.keyPem, '');
    assert.ok(new X509Certificate(fromCsrLike.certPem).checkPrivateKey(createPrivateKey(first.keyPem)));
  });

  it('keeps odd characters in names intact, and refuses names it cannot encode unchanged', async () => {
    const ca = await generateCA('ca, with commas + plus');
    const leaf = await issueCert(ca, { cn: 'a,b=c+d', o: 'ö=1', ou: 'x;y' });
    assert.deepEqual([certInfo(leaf.certPem).cn, certInfo(leaf.certPem).o, certInfo(leaf.certPem).ou], ['a,b=c+d', 'ö=1', 'x;y']);
    assert.equal(certInfo(ca.certPem).cn, 'ca, with commas + plus');
    await assert.rejects(generateCA('ca "quoted" x'), /unchanged/);
    await assert.rejects(issueCert(ca, { cn: '#abc' }), /unchanged/);
  });
});
