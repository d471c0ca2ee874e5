import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemon } from './fake-daemon.js';
import { runCli } from './run.js';
import { CLI_BODY, NET_ID_1, NET_ID_2, network } from './fixtures.js';

const INGRESS_ID = '1ngr3ss00000000000000000000000000000000000000000000000000000000a';
const NETWORKS = [
  network(NET_ID_1, 'web-10', { Labels: { team: 'net', app: 'web' } }),
  network(INGRESS_ID, 'ingress', { Ingress: true }),
  network(NET_ID_2, 'web-2', { Internal: true }),
];

test('network create sends docker\'s CreateRequest: subnets paired with their gateway and range, opts, labels', async () => {
  await withDaemon({ 'POST /networks/create': { status: 201, body: { Id: NET_ID_1, Warning: '' } } }, async (d) => {
    const r = await runCli(
      [
        'network', 'create', '-d', 'overlay', '--attachable',
        '--subnet', '10.1.0.0/24', '--subnet', '10.2.0.0/24',
        '--gateway', '10.2.0.1', '--gateway', '10.1.0.254', '--ip-range', '10.1.0.130/25',
        '-o', 'encrypted', '--opt', 'com.docker.network.driver.mtu=1400',
        '--label', 'team=net', '--label', 'tier',
        'mynet',
      ],
      { host: d.host },
    );
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    assert.equal(r.out, `${NET_ID_1}\n`);
    assert.deepEqual(d.lines(), ['POST /networks/create']);
    assert.deepEqual(d.requests[0]!.body, CLI_BODY);
  });
});

test('network create defaults: overlay, no IPAM config', async () => {
  await withDaemon({ 'POST /networks/create': { status: 201, body: { Id: NET_ID_2, Warning: '' } } }, async (d) => {
    const r = await runCli(['network', 'create', '--internal', 'plain'], { host: d.host });
    assert.equal(r.out, `${NET_ID_2}\n`);
    assert.deepEqual(d.requests[0]!.body, {
      Name: 'plain', Driver: 'overlay', Internal: true, Attachable: false, Ingress: false, EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [], Options: {} }, Options: {}, Labels: {}, CheckDuplicate: true,
    });
  });
});

test('network create refuses IPAM flags that do not fit together, without calling the daemon', async () => {
  await withDaemon({}, async (d) => {
    const cases: [string[], string][] = [
      [['--gateway', '10.0.0.1'], 'every ip-range or gateway must have a corresponding subnet'],
      [['--subnet', '10.1.0.0/24', '--gateway', '10.9.0.1'], 'no matching subnet for gateway 10.9.0.1'],
      [['--subnet', '10.1.0.0/24', '--ip-range', '10.9.0.0/25'], 'no matching subnet for range 10.9.0.0/25'],
      [['--subnet', '10.1.0.0/16', '--subnet', '10.1.2.0/24'], 'multiple overlapping subnet configuration is not supported'],
      [['--subnet', '10.1.0.0/24,10.2.0.0/24', '--gateway', '10.1.0.1,10.1.0.2'],
        'cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet (10.1.0.0/24)'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['network', 'create', ...flags, 'n'], { host: d.host });
      assert.equal(r.err, `tsswarm: ${message}\n`, flags.join(' '));
      assert.equal(r.code, 1);
    }
    const label = await runCli(['network', 'create', '--label', '=x', 'n'], { host: d.host });
    assert.notEqual(label.code, 0);
    assert.match(label.err, /invalid label '=x': empty name/);
    assert.deepEqual(d.requests, []);
  });
});

test('network ls: docker\'s table sorted by name with 12-char IDs; -q; --no-trunc; --format', async () => {
  await withDaemon({ 'GET /networks': { body: NETWORKS } }, async (d) => {
    const table = await runCli(['network', 'ls'], { host: d.host });
    assert.equal(
      table.out,
      'NETWORK ID     NAME      DRIVER    SCOPE\n' +
        '1ngr3ss00000   ingress   overlay   swarm\n' +
        '60303ae22b99   web-2     overlay   swarm\n' +
        '9f86d081884c   web-10    overlay   swarm\n',
    );
    const q = await runCli(['network', 'ls', '-q'], { host: d.host });
    assert.equal(q.out, '1ngr3ss00000\n60303ae22b99\n9f86d081884c\n');
    const full = await runCli(['network', 'ls', '-q', '--no-trunc'], { host: d.host });
    assert.equal(full.out, `${INGRESS_ID}\n${NET_ID_2}\n${NET_ID_1}\n`);
    const names = await runCli(['network', 'ls', '--format', '{{.Name}}'], { host: d.host });
    assert.equal(names.out, 'ingress\nweb-2\nweb-10\n');
    // An explicit format wins over -q, as in docker's network ls.
    const both = await runCli(['network', 'ls', '-q', '--format', '{{.Name}} {{.Labels}} {{.Internal}}'], { host: d.host });
    assert.equal(both.out, 'ingress  false\nweb-2  true\nweb-10 app=web,team=net false\n');
    assert.deepEqual(d.requests.map((r) => r.query), [{}, {}, {}, {}, {}]);
  });
});

test('network ls passes filters', async () => {
  await withDaemon({ 'GET /networks': { body: [] } }, async (d) => {
    const r = await runCli(['network', 'ls', '-f', 'driver=overlay', '-f', 'label=team', '-f', 'scope=swarm'], { host: d.host });
    assert.equal(r.out, 'NETWORK ID   NAME      DRIVER    SCOPE\n');
    assert.equal(d.requests[0]!.query.filters, '{"driver":{"overlay":true},"label":{"team":true},"scope":{"swarm":true}}');
  });
});

test('network inspect: JSON array, --format per network, missing ones reported after', async () => {
  const routes = {
    'GET /networks/web-10': { body: NETWORKS[0] },
    'GET /networks/ingress': { body: NETWORKS[1] },
    'GET /networks/nope': { status: 404, body: { message: 'network nope not found' } },
  };
  await withDaemon(routes, async (d) => {
    const j = await runCli(['network', 'inspect', 'web-10'], { host: d.host });
    assert.equal(j.out, JSON.stringify([NETWORKS[0]], null, 4) + '\n');
    const f = await runCli(['network', 'inspect', '--format', '{{.Driver}}', 'web-10', 'nope', 'ingress'], { host: d.host });
    assert.equal(f.out, 'overlay\noverlay\n');
    assert.equal(f.err, 'Error response from daemon: network nope not found\n');
    assert.equal(f.code, 1);
    const c = await runCli(['network', 'inspect', '-f', 'json', 'web-10'], { host: d.host });
    assert.equal(c.out, JSON.stringify([NETWORKS[0]]) + '\n');
    const bad = await runCli(['network', 'inspect', '-f', '{{.Driver', 'web-10'], { host: d.host });
    assert.match(bad.err, /^tsswarm: template: .*unclosed action/);
    assert.equal(bad.code, 1);
    assert.equal(d.requests.length, 5, 'a bad template fails before any request');
  });
});

test('network rm prints each name; a failure goes to stderr and the rest continue; -f ignores missing', async () => {
  const routes = {
    'GET /networks/a': { body: NETWORKS[0] },
    'DELETE /networks/a': { status: 204 },
    'DELETE /networks/gone': { status: 404, body: { message: 'network gone not found' } },
    'DELETE /networks/b': { status: 204 },
  };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['network', 'rm', 'a', 'gone', 'b'], { host: d.host });
    assert.equal(r.out, 'a\nb\n');
    assert.equal(r.err, 'Error response from daemon: network gone not found\n');
    assert.equal(r.code, 1);
    const f = await runCli(['network', 'rm', '-f', 'gone', 'b'], { host: d.host });
    assert.equal(f.out, 'b\n');
    assert.equal(f.err, '');
    assert.equal(f.code, 0);
  });
});

test('network rm of the ingress network asks first', async () => {
  const routes = { 'GET /networks/ingress': { body: NETWORKS[1] }, 'DELETE /networks/ingress': { status: 204 } };
  await withDaemon(routes, async (d) => {
    const no = await runCli(['network', 'rm', 'ingress'], { host: d.host, stdin: 'n\n' });
    assert.match(no.out, /^WARNING! Before removing the routing-mesh network.*\nAre you sure you want to continue\? \[y\/N\] $/);
    const yes = await runCli(['network', 'rm', 'ingress'], { host: d.host, stdin: 'y\n' });
    assert.match(yes.out, /\[y\/N\] ingress\n$/);
    assert.deepEqual(d.lines(), ['GET /networks/ingress', 'GET /networks/ingress', 'DELETE /networks/ingress']);
  });
});

test('network prune: -f skips the prompt; docker\'s "Deleted Networks:" list; declining sends nothing', async () => {
  await withDaemon({ 'POST /networks/prune': { body: { NetworksDeleted: ['old-1', 'old-2'] } } }, async (d) => {
    const f = await runCli(['network', 'prune', '-f', '--filter', 'until=24h'], { host: d.host });
    assert.equal(f.out, 'Deleted Networks:\nold-1\nold-2\n\n');
    assert.deepEqual(d.lines(), ['POST /networks/prune?filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%7D']);
    const declined = await runCli(['network', 'prune'], { host: d.host });
    assert.equal(
      declined.out,
      'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ',
    );
    assert.equal(declined.code, 0);
    assert.equal(d.requests.length, 1);
    const yes = await runCli(['network', 'prune'], { host: d.host, stdin: 'Y\n' });
    assert.match(yes.out, /\[y\/N\] Deleted Networks:\nold-1\nold-2\n\n$/);
    d.routes['POST /networks/prune'] = { body: { NetworksDeleted: null } };
    assert.equal((await runCli(['network', 'prune', '-f'], { host: d.host })).out, '');
  });
});
