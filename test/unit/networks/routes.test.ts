// The /networks routes through fastify's inject, with the API's error handler.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_BODY } from '../cli/fixtures.js';
import { dockerErrors } from '../../../manager/api/docker-errors.js';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';

import { networkRoutes } from '../../../manager/api/routes/networks.js';
import { serviceOn, stateBytes, world, type World } from './helpers.js';

/** As manager/api/server.ts handles errors (minus the quorum-loss wording, which needs Raft). */
async function buildApp(w: World): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  dockerErrors(app);
  await app.register(networkRoutes({ store: w.store }));
  return app;
}


describe('/networks', () => {
  let w: World;
  let app: FastifyInstance;
  before(async () => {
    w = await world();
    app = await buildApp(w);
  });
  after(async () => {
    await app.close();
  });

  const post = (url: string, payload?: object): Promise<LightMyRequestResponse> =>
    app.inject(payload === undefined ? { method: 'POST', url } : { method: 'POST', url, payload });
  const get = (url: string): Promise<LightMyRequestResponse> => app.inject({ method: 'GET', url });
  const filters = (f: unknown): string => `filters=${encodeURIComponent(JSON.stringify(f))}`;

  it('POST /networks/create answers 201 {Id, Warning} and inspect shows docker\'s object', async () => {
    const r = await post('/networks/create', CLI_BODY);
    assert.equal(r.statusCode, 201, r.body);
    const { Id, Warning } = r.json<{ Id: string; Warning: string }>();
    assert.match(Id, /^[0-9a-z]{25}$/);
    assert.equal(Warning, '');

    const i = await get('/networks/mynet?verbose=false&scope=swarm');
    assert.equal(i.statusCode, 200);
    const stored = await w.store.get('networks', Id);
    assert.ok(stored);
    assert.deepEqual(i.json(), {
      Name: 'mynet',
      Id,
      Created: stored.createdAt.replace(/\.?0*Z$/, 'Z'),
      Scope: 'swarm',
      Driver: 'overlay',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: {
        Driver: 'default',
        Options: null,
        Config: [
          { Subnet: '10.1.0.0/24', Gateway: '10.1.0.254', IPRange: '10.1.0.128/25' },
          { Subnet: '10.2.0.0/24', Gateway: '10.2.0.1' },
        ],
      },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: {},
      Options: { encrypted: '', 'com.docker.network.driver.mtu': '1400', 'com.docker.network.driver.overlay.vxlanid_list': '4096' },
      Labels: { team: 'net', tier: '' },
      Peers: [],
    });
    assert.equal(stored.createdAt, '2024-01-02T03:04:07.678Z');
    // The same object by id and by id prefix.
    assert.deepEqual((await get(`/networks/${Id}`)).json(), i.json());
    assert.deepEqual((await get(`/networks/${Id.slice(0, 12)}`)).json(), i.json());
  });

  it('takes the defaults from a minimal body, also with the nulls newer clients send', async () => {
    const r = await post('/networks/create', { Name: 'plain', EnableIPv6: null, IPAM: { Driver: 'default', Config: null, Options: null }, Options: null, Labels: null, ConfigFrom: null });
    assert.equal(r.statusCode, 201, r.body);
    const n = (await get('/networks/plain')).json<{ Driver: string; IPAM: { Config: unknown[] }; Options: Record<string, string>; Labels: unknown }>();
    assert.equal(n.Driver, 'overlay');
    assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }]);
    assert.deepEqual(n.Options, { 'com.docker.network.driver.overlay.vxlanid_list': '4097' });
    assert.deepEqual(n.Labels, {});
  });

  it('refuses bad requests with docker\'s status codes and a message, writing nothing', async () => {
    const cases: [object, number, string | RegExp][] = [
      [{ Name: 'x', Driver: 'bridge' }, 400, 'network driver "bridge" is not supported: this cluster only creates "overlay" networks (use -d overlay)'],
      [{ Name: 'x', EnableIPv6: true }, 400, /IPv6 is not supported/],
      [{ Name: 'x', IPAM: { Driver: 'null' } }, 400, 'IPAM driver "null" is not supported: only "default"'],
      [{ Name: 'x', Options: { 'com.docker.network.driver.mtu': 'big' } }, 400, 'invalid com.docker.network.driver.mtu "big": must be an integer from 68 to 65535'],
      [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.0/33' }] } }, 400, 'invalid CIDR 10.1.0.0/33: prefix 33 is larger than 32'],
      [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.0/16' }] } }, 409, 'subnet 10.1.0.0/16 overlaps with 10.1.0.0/24 of network mynet'],
      [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.7.0.0/24', Gateway: '10.8.0.1' }] } }, 400, 'gateway 10.8.0.1 is not in subnet 10.7.0.0/24'],
      [{ Name: 'MyNet' }, 409, 'network with name MyNet already exists'],
      [{ Name: 'none' }, 403, 'none is a pre-defined network and cannot be created'],
      [{ Driver: 'overlay' }, 400, /^invalid request: body must have required property 'Name'/],
      [{ Name: 'x', Labels: { a: 1 } }, 201, ''], // Docker's JSON coerces the value; check it is a string below.
    ];
    for (const [body, status, message] of cases) {
      const before = stateBytes(w);
      const r = await post('/networks/create', body);
      assert.equal(r.statusCode, status, `${JSON.stringify(body)}: ${r.body}`);
      if (status === 201) continue;
      assert.equal(r.headers['content-type']?.toString().split(';')[0], 'application/json');
      const m = r.json<{ message: string }>().message;
      if (typeof message === 'string') assert.equal(m, message);
      else assert.match(m, message);
      assert.ok(stateBytes(w).equals(before), `${JSON.stringify(body)}: nothing written`);
    }
    assert.deepEqual((await get('/networks/x')).json<{ Labels: unknown }>().Labels, { a: '1' });
    assert.equal((await app.inject({ method: 'DELETE', url: '/networks/x' })).statusCode, 204);
  });

  it('GET /networks lists sorted by name and takes filters in both of docker\'s forms', async () => {
    const names = async (q = ''): Promise<string[]> => {
      const r = await get(`/networks${q ? `?${q}` : ''}`);
      assert.equal(r.statusCode, 200, r.body);
      return r.json<{ Name: string }[]>().map((n) => n.Name);
    };
    assert.deepEqual(await names(), ['mynet', 'plain']);
    assert.deepEqual(await names(filters({ name: ['plain'] })), ['plain']);
    assert.deepEqual(await names(filters({ name: { my: true } })), ['mynet']);
    assert.deepEqual(await names(filters({ label: { 'team=net': true }, scope: { swarm: true }, driver: { overlay: true } })), ['mynet']);
    assert.deepEqual(await names(filters({ label: ['tier'] })), ['mynet']);
    assert.deepEqual(await names(filters({ type: ['custom'] })), ['mynet', 'plain']);
    assert.deepEqual(await names(filters({ type: ['builtin'] })), []);
    const mynet = (await get('/networks/mynet')).json<{ Id: string }>();
    assert.deepEqual(await names(filters({ id: [mynet.Id.slice(0, 6)] })), ['mynet']);
    const bad = await get(`/networks?${filters({ colour: ['red'] })}`);
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json(), { message: "invalid filter 'colour'" });
    assert.equal((await get('/networks?filters=%7Bnot-json')).statusCode, 400);
  });

  it('GET /networks/{id} says not found and ambiguous as docker does', async () => {
    const nope = await get('/networks/nope');
    assert.equal(nope.statusCode, 404);
    assert.deepEqual(nope.json(), { message: 'network nope not found' });
    // 36 more networks make at least two ids share a first character.
    const ids: string[] = [];
    for (let i = 0; i < 36; i++) ids.push((await post('/networks/create', { Name: `p${i}`, Labels: { batch: 'p' } })).json<{ Id: string }>().Id);
    const all = (await get('/networks')).json<{ Id: string }[]>().map((n) => n.Id);
    const shared = all.map((id) => id[0]).find((c, _i, list) => list.filter((x) => x === c).length > 1);
    assert.ok(shared);
    const r = await get(`/networks/${shared}`);
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json(), { message: `network ${shared} is ambiguous (${all.filter((id) => id.startsWith(shared)).length} matches found based on ID prefix)` });
    const pruned = await post(`/networks/prune?${filters({ label: ['batch=p'] })}`);
    assert.equal(pruned.statusCode, 200);
    assert.equal(pruned.json<{ NetworksDeleted: string[] }>().NetworksDeleted.length, 36);
  });

  it('DELETE refuses a network in use (403) and removes it once free (204), then 404', async () => {
    const svc = await w.store.create('services', serviceOn('api', ['plain']));
    assert.ok(svc.ok);
    const refused = await app.inject({ method: 'DELETE', url: '/networks/plain' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json<{ message: string }>().message, /^network plain is in use by service api /);
    await w.store.delete('services', svc.object.id);
    const ok = await app.inject({ method: 'DELETE', url: '/networks/plain' });
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.body, '');
    const gone = await app.inject({ method: 'DELETE', url: '/networks/plain' });
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.json(), { message: 'network plain not found' });
  });

  it('POST /networks/prune removes what nothing uses and names it', async () => {
    await post('/networks/create', { Name: 'spare', Labels: { env: 'test' } });
    await post('/networks/create', { Name: 'busy' });
    const svc = await w.store.create('services', serviceOn('web', ['busy']));
    assert.ok(svc.ok);
    const bad = await post(`/networks/prune?${filters({ name: ['x'] })}`);
    assert.equal(bad.statusCode, 400);
    const none = await post(`/networks/prune?${filters({ label: { 'env=prod': true } })}`);
    assert.deepEqual(none.json(), { NetworksDeleted: [] });
    const r = await post('/networks/prune');
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { NetworksDeleted: ['mynet', 'spare'] });
    assert.deepEqual((await get('/networks')).json<{ Name: string }[]>().map((n) => n.Name), ['busy']);
    // Freed: the next network gets the lowest subnet and VNI again (busy holds 10.0.1.0/24).
    const again = (await post('/networks/create', { Name: 'again' })).json<{ Id: string }>();
    const n = (await get(`/networks/${again.Id}`)).json<{ IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string> }>();
    assert.equal(n.IPAM.Config[0].Subnet, '10.0.0.0/24');
    assert.equal(n.Options['com.docker.network.driver.overlay.vxlanid_list'], '4096');
  });
});
