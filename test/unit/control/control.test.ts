// The 2377 control server and its client over real TLS on loopback: who gets in,
// who is refused, and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../../manager/control/server.js';
import { ClusterCA, generateNodeKey } from '../../../manager/ca/index.js';
import { ManagerClient, leaderAddrOf } from '../../../shared/control/client.js';
import { services, type Empty, type RootCA, type ForwardRequest, type ForwardResponse } from '../../../shared/control/proto.js';
import { TsswarmError } from '../../../shared/errors.js';

const CLUSTER = 'testcluster00000000000000';

async function node(ca: ClusterCA, nodeId: string, role: 'manager' | 'worker', clusterId = CLUSTER): Promise<{ certPem: string; keyPem: string }> {
  const key = await generateNodeKey();
  const { certPem } = await ca.issueNodeCert({ nodeId, role, clusterId, publicKeyPem: key.publicKeyPem });
  return { certPem, keyPem: key.keyPem };
}

async function withServer(fn: (addr: string, ca: ClusterCA, removed: Set<string>) => Promise<void>): Promise<void> {
  const ca = await ClusterCA.create(CLUSTER);
  const mgr = await node(ca, 'manager000000000000000000', 'manager');
  const removed = new Set<string>();
  const srv = new ControlServer({ caPem: ca.certPem, ...mgr, clusterId: CLUSTER }, (id) => (removed.has(id.nodeId) ? `node ${id.nodeId} was removed` : undefined));
  srv.server.addService(services.ca.service, {
    GetRootCA: ControlServer.unary<Empty, RootCA>(async () => ({ caCertPem: ca.certPem })),
  });
  srv.server.addService(services.control.service, {
    Forward: ControlServer.unary<ForwardRequest, ForwardResponse>(async (req, call) => {
      const who = srv.identify(call);
      if (req.url === '/redirect') throw Object.assign(new TsswarmError('NotLeader', 'not the leader'), { leaderAddr: '10.9.9.9:2377' });
      return { status: 200, body: Buffer.from(who.nodeId), contentType: 'text/plain' };
    }),
  });
  const port = await srv.bind('127.0.0.1:0');
  try {
    await fn(`127.0.0.1:${port}`, ca, removed);
  } finally {
    await srv.close();
  }
}

const fwd = (url = '/x'): ForwardRequest => ({ method: 'GET', url, body: Buffer.alloc(0), contentType: '' });

test('a node without a certificate may fetch the root CA, and nothing else', async () => {
  await withServer(async (addr, ca) => {
    const anon = ManagerClient.unverified(addr);
    try {
      const root = await anon.call<Empty, RootCA>('ca', 'GetRootCA', {});
      assert.equal(root.caCertPem, ca.certPem);
      await assert.rejects(anon.call('control', 'Forward', fwd()), (e: TsswarmError) => e.code === 'Refused' && /certificate from this cluster's CA is required/.test(e.message));
    } finally {
      anon.close();
    }
  });
});

test('a node certificate of this cluster is identified by its CN; removed nodes and other CAs are refused', async () => {
  await withServer(async (addr, ca, removed) => {
    const w = await node(ca, 'worker0000000000000000000', 'worker');
    const c = ManagerClient.pinned(addr, ca.certPem, w);
    try {
      const res = await c.call<ForwardRequest, ForwardResponse>('control', 'Forward', fwd());
      assert.equal(res.body.toString(), 'worker0000000000000000000');
      const redirect = await c.call('control', 'Forward', fwd('/redirect')).catch((e: unknown) => e);
      assert.equal((redirect as TsswarmError).code, 'NotLeader');
      assert.equal(leaderAddrOf(redirect), '10.9.9.9:2377');
      removed.add('worker0000000000000000000');
      await assert.rejects(c.call('control', 'Forward', fwd()), (e: TsswarmError) => e.code === 'Refused' && /was removed/.test(e.message));
    } finally {
      c.close();
    }
    const other = await ClusterCA.create('othercluster0000000000000');
    const intruder = await node(other, 'intruder00000000000000000', 'manager', 'othercluster0000000000000');
    const bad = ManagerClient.pinned(addr, ca.certPem, intruder);
    try {
      // TLS may not even send a certificate the server's CA list does not name; either way it is refused.
      await assert.rejects(bad.call('control', 'Forward', fwd()), (e: TsswarmError) =>
        e.code === 'Refused' && /not issued by this cluster's CA|certificate from this cluster's CA is required/.test(e.message));
    } finally {
      bad.close();
    }
  });
});

test('a client pinned to another CA does not trust the server', async () => {
  await withServer(async (addr) => {
    const other = await ClusterCA.create('othercluster0000000000000');
    const c = ManagerClient.pinned(addr, other.certPem);
    try {
      await assert.rejects(c.call('ca', 'GetRootCA', {}, { deadlineMs: 3000 }), (e: TsswarmError) => e.code === 'Unavailable' || e.code === 'Timeout');
    } finally {
      c.close();
    }
  });
});
