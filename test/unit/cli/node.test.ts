import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemon } from './fake-daemon.js';
import { runCli } from './run.js';
import { NODES, PEER_ID, SELF_ID, WORKER_ID, info } from './fixtures.js';

const byId = (id: string) => ({ body: NODES.find((n) => n.ID === id) });

test('node ls prints docker\'s table: self marked, sorted by hostname, Leader/Unreachable, workers blank', async () => {
  await withDaemon({ 'GET /nodes': { body: NODES }, 'GET /info': { body: info() } }, async (d) => {
    const r = await runCli(['node', 'ls'], { host: d.host });
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'b2peernodeid0000000000002     node-1     Ready     Active         Unreachable      0.1.0\n' +
        'a1selfnodeid0000000000001 *   node-2     Ready     Active         Leader           0.1.0\n' +
        'c3workernodeid00000000003     node-10    Down      Drain                           0.1.0\n',
    );
    assert.deepEqual(d.lines(), ['GET /nodes', 'GET /info']);
  });
});

test('node ls -q prints full IDs without asking /info; filters go as docker encodes them', async () => {
  await withDaemon({ 'GET /nodes': { body: NODES } }, async (d) => {
    const r = await runCli(['node', 'ls', '-q', '-f', 'role=manager', '--filter', 'Name = node-1 '], { host: d.host });
    assert.equal(r.out, `${PEER_ID}\n${SELF_ID}\n${WORKER_ID}\n`);
    assert.equal(d.requests.length, 1);
    assert.equal(d.requests[0]!.path, '/nodes');
    assert.equal(d.requests[0]!.query.filters, '{"name":{"node-1":true},"role":{"manager":true}}');
  });
});

test('node ls --format runs the template per node; json has docker\'s fields', async () => {
  await withDaemon({ 'GET /nodes': { body: NODES }, 'GET /info': { body: info() } }, async (d) => {
    const r = await runCli(['node', 'ls', '--format', '{{.Hostname}}: {{.ManagerStatus}}{{if .Self}} (self){{end}}'], { host: d.host });
    assert.equal(r.out, 'node-1: Unreachable\nnode-2: Leader (self)\nnode-10: \n');
    const j = await runCli(['node', 'ls', '--format', 'json'], { host: d.host });
    assert.deepEqual(JSON.parse(j.out.split('\n')[1]!), {
      Availability: 'Active', EngineVersion: '0.1.0', Hostname: 'node-2', ID: SELF_ID, ManagerStatus: 'Leader',
      Self: true, Status: 'Ready', TLSStatus: 'Unknown',
    });
    const t = await runCli(['node', 'ls', '--format', 'table {{.ID}}\t{{.Hostname}}'], { host: d.host });
    assert.equal(t.out, `ID                          HOSTNAME\n${PEER_ID}   node-1\n${SELF_ID}   node-2\n${WORKER_ID}   node-10\n`);
  });
});

test('node ls with no nodes prints only the header', async () => {
  await withDaemon({ 'GET /nodes': { body: [] } }, async (d) => {
    const r = await runCli(['node', 'ls'], { host: d.host });
    assert.equal(r.out, 'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n');
    assert.deepEqual(d.lines(), ['GET /nodes']);
  });
});

test('node inspect: "self" via /info, a JSON array indented by four spaces, --format per node', async () => {
  const routes = { 'GET /info': { body: info() }, [`GET /nodes/${SELF_ID}`]: byId(SELF_ID), 'GET /nodes/node-1': byId(PEER_ID) };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['node', 'inspect', 'self', 'node-1'], { host: d.host });
    assert.equal(r.err, '');
    assert.equal(r.out, JSON.stringify([byId(SELF_ID).body, byId(PEER_ID).body], null, 4) + '\n');
    assert.deepEqual(d.lines(), ['GET /info', `GET /nodes/${SELF_ID}`, 'GET /nodes/node-1']);
    const f = await runCli(['node', 'inspect', '--format', '{{.Spec.Role}} {{.Description.Hostname}}', 'self', 'node-1'], { host: d.host });
    assert.equal(f.out, 'manager node-2\nmanager node-1\n');
  });
});

test('node inspect --pretty prints docker\'s human form', async () => {
  await withDaemon({ 'GET /info': { body: info() }, [`GET /nodes/${SELF_ID}`]: byId(SELF_ID) }, async (d) => {
    const r = await runCli(['node', 'inspect', '--pretty', 'self'], { host: d.host });
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      `ID:\t\t\t${SELF_ID}\n` +
        'Labels:\n - zone=a\n' +
        'Hostname:              \tnode-2\n' +
        'Joined at:             \t2009-11-10 23:00:00 +0000 utc\n' +
        'Status:\n State:\t\t\tReady\n Availability:         \tActive\n Address:\t\t127.0.0.1\n' +
        'Manager Status:\n Address:\t\t192.168.5.5:4242\n Raft Status:\t\tReachable\n Leader:\t\tYes\n' +
        'Platform:\n Operating System:\tlinux\n Architecture:\t\tx86_64\n' +
        'Resources:\n CPUs:\t\t\t4\n Memory:\t\t20MiB\n' +
        'Engine Version:\t\t0.1.0\n',
    );
    const bad = await runCli(['node', 'inspect', '--format', 'pretty {{.ID}}', 'self'], { host: d.host });
    assert.equal(bad.err, 'tsswarm: cannot supply extra formatting options to the pretty template\n');
  });
});

test('node inspect of a missing node: [] on stdout, the daemon\'s message on stderr, exit 1', async () => {
  const routes = { 'GET /nodes/nope': { status: 404, body: { message: 'node nope not found' } }, 'GET /nodes/node-1': byId(PEER_ID) };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['node', 'inspect', 'nope'], { host: d.host });
    assert.equal(r.out, '[]\n');
    assert.equal(r.err, 'Error response from daemon: node nope not found\n');
    assert.equal(r.code, 1);
    // The nodes found are still printed.
    const some = await runCli(['node', 'inspect', '--format', '{{.ID}}', 'nope', 'node-1'], { host: d.host });
    assert.equal(some.out, `${PEER_ID}\n`);
    assert.equal(some.err, 'Error response from daemon: node nope not found\n');
    assert.equal(some.code, 1);
  });
});

test('node promote writes the spec back with Role manager at the version read', async () => {
  await withDaemon({ 'GET /nodes/node-10': byId(WORKER_ID), [`POST /nodes/${WORKER_ID}/update`]: {} }, async (d) => {
    const r = await runCli(['node', 'promote', 'node-10'], { host: d.host });
    assert.equal(r.err, '');
    assert.equal(r.out, 'Node node-10 promoted to a manager in the swarm.\n');
    assert.deepEqual(d.lines(), ['GET /nodes/node-10', `POST /nodes/${WORKER_ID}/update?version=7`]);
    assert.deepEqual(d.requests[1]!.body, { Labels: {}, Role: 'manager', Availability: 'drain' });
  });
});

test('node demote: a manager is demoted; a worker is left alone with docker\'s note', async () => {
  const routes = { 'GET /nodes/node-1': byId(PEER_ID), 'GET /nodes/node-10': byId(WORKER_ID), [`POST /nodes/${PEER_ID}/update`]: {} };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['node', 'demote', 'node-10', 'node-1'], { host: d.host });
    assert.equal(r.out, `Node ${WORKER_ID} is already a worker.\nManager node-1 demoted in the swarm.\n`);
    assert.deepEqual(d.lines(), ['GET /nodes/node-10', 'GET /nodes/node-1', `POST /nodes/${PEER_ID}/update?version=7`]);
    assert.deepEqual(d.requests[2]!.body, { Labels: { zone: 'a' }, Role: 'worker', Availability: 'active' });
  });
});

test('node update merges availability and labels, prints the node', async () => {
  await withDaemon({ 'GET /nodes/node-2': byId(SELF_ID), [`POST /nodes/${SELF_ID}/update`]: {} }, async (d) => {
    const r = await runCli(
      ['node', 'update', '--availability', 'pause', '--label-add', 'x=y', '--label-add', 'flag', '--label-rm', 'zone', 'node-2'],
      { host: d.host },
    );
    assert.equal(r.err, '');
    assert.equal(r.out, 'node-2\n');
    assert.deepEqual(d.requests[1]!.body, { Labels: { x: 'y', flag: '' }, Role: 'manager', Availability: 'pause' });
    const bad = await runCli(['node', 'update', '--label-rm', 'nope', 'node-2'], { host: d.host });
    assert.equal(bad.err, "tsswarm: key nope doesn't exist in node's labels\n");
    assert.equal(bad.code, 1);
    assert.equal(d.requests.length, 3);
  });
});

test('node rm removes each node, reports failures after, exit 1', async () => {
  const routes = { 'DELETE /nodes/a': {}, 'DELETE /nodes/b': { status: 404, body: { message: 'node b not found' } }, 'DELETE /nodes/c': {} };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['node', 'rm', '-f', 'a', 'b', 'c'], { host: d.host });
    assert.equal(r.out, 'a\nc\n');
    assert.equal(r.err, 'Error response from daemon: node b not found\n');
    assert.equal(r.code, 1);
    assert.deepEqual(d.lines(), ['DELETE /nodes/a?force=true', 'DELETE /nodes/b?force=true', 'DELETE /nodes/c?force=true']);
  });
});
