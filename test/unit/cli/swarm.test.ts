import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemon } from './fake-daemon.js';
import { runCli } from './run.js';
import { SELF_ID, SWARM_SPEC, info, swarm } from './fixtures.js';

const INIT_MESSAGE =
  `Swarm initialized: current node (${SELF_ID}) is now a manager.\n\n` +
  'To add a worker to this swarm, run the following command:\n\n' +
  '    tsswarm swarm join --token SWMTKN-1-worker 192.168.5.5:4242\n\n' +
  "To add a manager to this swarm, run 'tsswarm swarm join-token manager' and follow the instructions.\n";

test('swarm init sends docker\'s InitRequest and prints the join instructions', async () => {
  const routes = { 'POST /swarm/init': { body: SELF_ID }, 'GET /swarm': { body: swarm() }, 'GET /info': { body: info() } };
  await withDaemon(routes, async (d) => {
    const r = await runCli(
      [
        'swarm', 'init', '--advertise-addr', '192.168.5.5', '--listen-addr', '192.168.5.5',
        '--default-addr-pool', '10.20.0.0/16', '--default-addr-pool', '10.30.0.0/16,10.40.0.7/16',
        '--default-addr-pool-mask-length', '26', '--cert-expiry', '2160h0m0s', '--data-path-port', '4790',
      ],
      { host: d.host },
    );
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    assert.equal(r.out, INIT_MESSAGE);
    assert.deepEqual(d.lines(), ['POST /swarm/init', 'GET /swarm', 'GET /info']);
    assert.equal(d.requests[0]!.contentType, 'application/json');
    assert.deepEqual(d.requests[0]!.body, {
      ListenAddr: '192.168.5.5:2377',
      AdvertiseAddr: '192.168.5.5',
      DataPathAddr: '',
      DataPathPort: 4790,
      DefaultAddrPool: ['10.20.0.0/16', '10.30.0.0/16', '10.40.0.0/16'],
      SubnetSize: 26,
      ForceNewCluster: false,
      Spec: { CAConfig: { NodeCertExpiry: 2160 * 3600 * 1e9 } },
    });
  });
});

test('init with no flags sends the defaults; the top-level shortcut is the same verb', async () => {
  const routes = { 'POST /swarm/init': { body: SELF_ID }, 'GET /swarm': { body: swarm() }, 'GET /info': { body: info() } };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['init', '--force-new-cluster', '--availability', 'DRAIN'], { host: d.host });
    assert.equal(r.out, INIT_MESSAGE);
    assert.deepEqual(d.requests[0]!.body, {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      DataPathAddr: '',
      DataPathPort: 0,
      DefaultAddrPool: [],
      SubnetSize: 24,
      ForceNewCluster: true,
      Spec: { CAConfig: {} },
      Availability: 'drain',
    });
  });
});

test('swarm join sends the JoinRequest and says which role the node got', async () => {
  for (const [manager, word] of [[false, 'worker'], [true, 'manager']] as const) {
    const routes = { 'POST /swarm/join': {}, 'GET /info': { body: info({ ControlAvailable: manager }) } };
    await withDaemon(routes, async (d) => {
      const r = await runCli(['swarm', 'join', '--token', 'SWMTKN-1-x', '--advertise-addr', '10.0.0.2', '--listen-addr', ':4000', '10.0.0.1:2377'], { host: d.host });
      assert.equal(r.err, '');
      assert.equal(r.out, `This node joined a swarm as a ${word}.\n`);
      assert.deepEqual(d.lines(), ['POST /swarm/join', 'GET /info']);
      assert.deepEqual(d.requests[0]!.body, {
        ListenAddr: '0.0.0.0:4000',
        AdvertiseAddr: '10.0.0.2',
        DataPathAddr: '',
        RemoteAddrs: ['10.0.0.1:2377'],
        JoinToken: 'SWMTKN-1-x',
      });
    });
  }
});

test('swarm leave passes force and sends no body', async () => {
  await withDaemon({ 'POST /swarm/leave': {} }, async (d) => {
    assert.equal((await runCli(['swarm', 'leave'], { host: d.host })).out, 'Node left the swarm.\n');
    assert.equal((await runCli(['leave', '-f'], { host: d.host })).out, 'Node left the swarm.\n');
    assert.deepEqual(d.lines(), ['POST /swarm/leave?force=false', 'POST /swarm/leave?force=true']);
    assert.equal(d.requests[0]!.body, undefined);
    assert.equal(d.requests[0]!.contentType, undefined);
  });
});

test('join-token -q prints only the token', async () => {
  await withDaemon({ 'GET /swarm': { body: swarm() } }, async (d) => {
    const w = await runCli(['swarm', 'join-token', '-q', 'worker'], { host: d.host });
    const m = await runCli(['join-token', 'manager', '--quiet'], { host: d.host });
    assert.equal(w.out, 'SWMTKN-1-worker\n');
    assert.equal(m.out, 'SWMTKN-1-manager\n');
    assert.deepEqual(d.lines(), ['GET /swarm', 'GET /swarm']);
  });
});

test('join-token prints the join command with this manager\'s address and Raft port', async () => {
  await withDaemon({ 'GET /swarm': { body: swarm() }, 'GET /info': { body: info() } }, async (d) => {
    const r = await runCli(['swarm', 'join-token', 'manager'], { host: d.host });
    assert.equal(
      r.out,
      'To add a manager to this swarm, run the following command:\n\n    tsswarm swarm join --token SWMTKN-1-manager 192.168.5.5:4242\n\n',
    );
    // Without an entry for this node, docker's default manager port.
    const alone = await runCli(['swarm', 'join-token', 'worker'], { host: d.host });
    assert.match(alone.out, /--token SWMTKN-1-worker 192\.168\.5\.5:4242\n/);
    d.routes['GET /info'] = { body: info({ RemoteManagers: [] }) };
    const fallback = await runCli(['swarm', 'join-token', 'worker'], { host: d.host });
    assert.match(fallback.out, /--token SWMTKN-1-worker 192\.168\.5\.5:2377\n/);
  });
});

test('join-token --rotate updates the swarm at its version with its spec, then reads the new token', async () => {
  let rotated = false;
  const routes = {
    'GET /swarm': () => ({ body: rotated ? swarm({ Worker: 'SWMTKN-1-new', Manager: 'SWMTKN-1-manager' }, 43) : swarm() }),
    'POST /swarm/update': () => {
      rotated = true;
      return {};
    },
    'GET /info': { body: info() },
  };
  await withDaemon(routes, async (d) => {
    const r = await runCli(['swarm', 'join-token', '--rotate', 'worker'], { host: d.host });
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      'Successfully rotated worker join token.\n\n' +
        'To add a worker to this swarm, run the following command:\n\n    tsswarm swarm join --token SWMTKN-1-new 192.168.5.5:4242\n\n',
    );
    assert.deepEqual(d.lines(), [
      'GET /swarm',
      'POST /swarm/update?version=42&rotateWorkerToken=true&rotateManagerToken=false&rotateManagerUnlockKey=false',
      'GET /swarm',
      'GET /info',
    ]);
    assert.deepEqual(d.requests[1]!.body, SWARM_SPEC);
    // -q with --rotate: only the token.
    rotated = false;
    const q = await runCli(['swarm', 'join-token', '--rotate', '-q', 'worker'], { host: d.host });
    assert.equal(q.out, 'SWMTKN-1-new\n');
  });
});

test('join-token refuses a role other than worker or manager before calling the daemon', async () => {
  await withDaemon({}, async (d) => {
    const r = await runCli(['swarm', 'join-token', 'boss'], { host: d.host });
    assert.equal(r.err, 'tsswarm: unknown role boss\n');
    assert.equal(r.code, 1);
    assert.deepEqual(d.requests, []);
  });
});

test('swarm update changes only the flags given, in nanoseconds, at the current version', async () => {
  await withDaemon({ 'GET /swarm': { body: swarm() }, 'POST /swarm/update': {} }, async (d) => {
    const r = await runCli(['swarm', 'update', '--cert-expiry', '720h', '--dispatcher-heartbeat', '1.5s'], { host: d.host });
    assert.equal(r.out, 'Swarm updated.\n');
    assert.deepEqual(d.lines(), [
      'GET /swarm',
      'POST /swarm/update?version=42&rotateWorkerToken=false&rotateManagerToken=false&rotateManagerUnlockKey=false',
    ]);
    assert.deepEqual(d.requests[1]!.body, {
      ...SWARM_SPEC,
      CAConfig: { NodeCertExpiry: 720 * 3600 * 1e9 },
      Dispatcher: { HeartbeatPeriod: 1.5e9 },
    });
  });
});

test('swarm update with a bad duration is a flag error', async () => {
  const r = await runCli(['swarm', 'update', '--cert-expiry', '90 days'], { host: 'unix:///nonexistent' });
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--cert-expiry.*time: unknown unit " days" in duration "90 days"/);
});

test('swarm unlock-key prints the key, or docker\'s error when none is set', async () => {
  await withDaemon({ 'GET /swarm/unlockkey': { body: { UnlockKey: 'SWMKEY-1-abc' } } }, async (d) => {
    assert.equal((await runCli(['swarm', 'unlock-key', '-q'], { host: d.host })).out, 'SWMKEY-1-abc\n');
    const full = await runCli(['swarm', 'unlock-key'], { host: d.host });
    assert.equal(
      full.out,
      'To unlock a swarm manager after it restarts, run the `tsswarm swarm unlock`\ncommand and provide the following key:\n\n' +
        '    SWMKEY-1-abc\n\nRemember to store this key in a password manager, since without it you\nwill not be able to restart the manager.\n',
    );
    d.routes['GET /swarm/unlockkey'] = { body: { UnlockKey: '' } };
    const none = await runCli(['swarm', 'unlock-key'], { host: d.host });
    assert.equal(none.out, '');
    assert.equal(none.err, 'tsswarm: no unlock key is set\n');
    assert.equal(none.code, 1);
  });
});
