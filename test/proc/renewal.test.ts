// Certificates renew before they expire: two real daemons (in this process, on
// loopback, with real TLS, gRPC and LevelDB), the cluster's certificate lifetime cut
// to seconds in the store (the API refuses less than an hour, as swarm does), and the
// worker's certificate is replaced before half its life is gone, while it keeps working.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Daemon } from '../../daemon/daemon.js';
import { certInfo } from '../../shared/pki/index.js';
import { getCluster } from '../../manager/cluster.js';
import { freePort } from '../harness/managers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsswarm-renewal-'));
const daemons: Daemon[] = [];
after(async () => {
  await Promise.allSettled(daemons.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const quiet = (): void => undefined;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a node renews its certificate at half-life and keeps its session', async () => {
  const m = new Daemon({ dataDir: path.join(dir, 'm'), hostname: 'm', engineVersion: 'test', log: quiet });
  const w = new Daemon({ dataDir: path.join(dir, 'w'), hostname: 'w', engineVersion: 'test', log: quiet });
  daemons.push(m, w);
  const port = await freePort();
  await m.init({ ListenAddr: `127.0.0.1:${port}`, AdvertiseAddr: `127.0.0.1:${port}` });
  const store = m.managerRunning!.store;
  const c = await getCluster(store);
  const r = await store.update('clusters', c.id, c.version, (d) => {
    d.spec.caConfig.nodeCertExpiryMs = 8_000;
    d.spec.dispatcher.heartbeatPeriodMs = 500;
  });
  assert.ok(r.ok);
  const token = (await getCluster(store)).rootCA!.joinTokens.worker;
  const wport = await freePort();
  await w.join({ ListenAddr: `127.0.0.2:${wport}`, AdvertiseAddr: `127.0.0.2:${wport}`, RemoteAddrs: [`127.0.0.1:${port}`], JoinToken: token });
  const certFile = path.join(dir, 'w', 'swarm', 'certs', 'node.pem');
  const firstPem = readFileSync(certFile, 'utf8');
  const first = certInfo(firstPem);
  assert.equal(first.ou, 'swarm-worker');
  const left = first.notAfter.getTime() - Date.now();
  assert.ok(left <= 8_000, `the certificate is valid for ${left} ms more`);

  let pem = firstPem;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && pem === firstPem) {
    await sleep(100);
    pem = readFileSync(certFile, 'utf8');
  }
  assert.notEqual(pem, firstPem, 'the certificate was renewed');
  const renewed = certInfo(pem);
  assert.ok(Date.now() - first.notBefore.getTime() - 5 * 60_000 >= 3_000, 'not renewed before half its life');
  assert.ok(Date.now() < first.notAfter.getTime(), 'renewed before the old one expired');
  assert.equal(renewed.cn, first.cn);
  assert.equal(renewed.ou, 'swarm-worker');
  // The worker's calls still reach the manager with its new certificate.
  const res = await w.clusterCall({ method: 'GET', url: '/nodes', body: Buffer.alloc(0), contentType: '' });
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.body.toString()) as unknown[]).length, 2);
});
