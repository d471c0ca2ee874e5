// The endpoint routes through fastify's inject, with the API's error handler.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';

import { dockerErrors } from '../../../manager/api/docker-errors.js';
import { endpointRoutes } from '../../../manager/api/routes/endpoints.js';
import { networkRoutes } from '../../../manager/api/routes/networks.js';
import { networkInspectView, rfc3339Nano } from '../../../manager/networks/view.js';
import type { Network } from '../../../manager/store/index.js';
import { world, type World } from '../networks/helpers.js';

const CID = 'a'.repeat(64);
const CID2 = 'b'.repeat(64);

describe('/networks/{id}/endpoints and /endpoints', () => {
  let w: World;
  let app: FastifyInstance;
  let front: Network;
  before(async () => {
    w = await world();
    app = Fastify({ logger: false });
    dockerErrors(app);
    await app.register(networkRoutes({ store: w.store }));
    await app.register(endpointRoutes({ store: w.store }));
    front = await w.net.create({
      name: 'front', attachable: true, internal: true, options: { 'com.docker.network.driver.mtu': '1400' },
      ipam: { configs: [{ subnet: '10.9.0.0/24' }] },
    });
    await w.net.create({ name: 'closed' });
  });
  after(async () => {
    await app.close();
  });

  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> =>
    app.inject(payload === undefined ? { method, url } : { method, url, payload });

  let first = '';
  it('POST attaches and answers 201 with what the node needs', async () => {
    const r = await req('POST', '/networks/front/endpoints', { ContainerName: 'web', ContainerID: CID, NodeID: 'node1', Aliases: ['www'] });
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json<Record<string, unknown>>();
    first = String(body['ID']);
    assert.match(first, /^[0-9a-z]{25}$/);
    const stored = await w.store.get('endpoints', first);
    assert.ok(stored);
    assert.deepEqual(body, {
      ID: first, NetworkID: front.id, NetworkName: 'front', NodeID: 'node1', ContainerName: 'web', ContainerID: CID, Aliases: ['www'],
      IPAddress: '10.9.0.2/24', Gateway: '10.9.0.1', MacAddress: '02:42:0a:09:00:02', VNI: 4096, Subnet: '10.9.0.0/24',
      MTU: 1400, Internal: true, IPAMConfig: null, Created: rfc3339Nano(stored.createdAt),
    });
  });

  it('takes a requested address and the nulls newer clients send', async () => {
    const r = await req('POST', `/networks/${front.id}/endpoints`, { ContainerName: 'db', ContainerID: CID2, NodeID: 'node2', Aliases: null, IPv4Address: '10.9.0.77' });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json<{ IPAddress: string }>().IPAddress, '10.9.0.77/24');
    assert.deepEqual(r.json<{ IPAMConfig: unknown }>().IPAMConfig, { IPv4Address: '10.9.0.77' });
  });

  it('answers Docker\'s statuses for refusals', async () => {
    const refuse = async (url: string, payload: object, status: number, message: RegExp): Promise<void> => {
      const r = await req('POST', url, payload);
      assert.equal(r.statusCode, status, r.body);
      assert.match(r.json<{ message: string }>().message, message);
    };
    const body = { ContainerName: 'x1', ContainerID: 'c'.repeat(64), NodeID: 'node1' };
    await refuse('/networks/closed/endpoints', body, 403, /^network closed not manually attachable/);
    await refuse('/networks/front/endpoints', { ...body, ContainerName: 'web' }, 403, /^endpoint with name web already exists in network front/);
    await refuse('/networks/front/endpoints', { ...body, IPv4Address: '10.9.0.77' }, 409, /already in use/);
    await refuse('/networks/front/endpoints', { ...body, IPv4Address: '10.1.0.7' }, 400, /not in the subnet/);
    await refuse('/networks/nope/endpoints', body, 404, /^network nope not found/);
    await refuse('/networks/front/endpoints', { ContainerName: 'x' }, 400, /invalid request/);
  });

  it('GET lists a network\'s endpoints, and all with filters', async () => {
    const on = await req('GET', '/networks/front/endpoints');
    assert.equal(on.statusCode, 200);
    assert.deepEqual(on.json<{ ContainerName: string }[]>().map((e) => e.ContainerName), ['web', 'db']);
    const f = encodeURIComponent(JSON.stringify({ node: { node2: true } }));
    const all = await req('GET', `/endpoints?filters=${f}`);
    assert.equal(all.statusCode, 200);
    assert.deepEqual(all.json<{ ContainerName: string }[]>().map((e) => e.ContainerName), ['db']);
    assert.equal((await req('GET', `/endpoints?filters=${encodeURIComponent('{"bad":["x"]}')}`)).statusCode, 400);
  });

  it('network inspect can list the containers as Docker does', async () => {
    const { objects } = await w.store.list('endpoints');
    const n = await w.store.get('networks', front.id);
    assert.ok(n);
    assert.deepEqual(networkInspectView(n, objects).Containers, {
      [CID]: { Name: 'web', EndpointID: first, MacAddress: '02:42:0a:09:00:02', IPv4Address: '10.9.0.2/24', IPv6Address: '' },
      [CID2]: { Name: 'db', EndpointID: objects.find((e) => e.spec.containerName === 'db')?.id, MacAddress: '02:42:0a:09:00:4d', IPv4Address: '10.9.0.77/24', IPv6Address: '' },
    });
  });

  it('DELETE removes one endpoint (204, then 404), or all of a container', async () => {
    const d = await req('DELETE', `/networks/front/endpoints/${first}`);
    assert.equal(d.statusCode, 204, d.body);
    assert.equal((await req('DELETE', `/networks/front/endpoints/${first}`)).statusCode, 404);
    const all = await req('DELETE', `/endpoints?node=node2&container=${CID2}`);
    assert.equal(all.statusCode, 200, all.body);
    assert.deepEqual(all.json(), { Deleted: 1 });
    assert.deepEqual((await req('DELETE', `/endpoints?container=${CID2}`)).json(), { Deleted: 0 });
    assert.equal((await req('DELETE', '/endpoints')).statusCode, 400);
    assert.deepEqual((await w.store.list('endpoints')).objects, []);
  });
});
