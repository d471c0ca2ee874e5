// The overlay data plane on bare lab hosts (namespaces on an underlay, no daemons): two
// hosts' containers talk over a kernel vxlan network, a second network on the same hosts
// is isolated from it, reconcile converges the peer entries, and removal leaves nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../harness/lab.js';
import { TsswarmError } from '../../shared/errors.js';
import { run } from '../../shared/run.js';
import { attachEndpoint, detachEndpoint } from '../../worker/overlay/endpoints.js';
import { addPeers, listSandboxes, readPeers, reconcilePeers, removeOrphans, type Peer } from '../../worker/overlay/peers.js';
import { createSandbox, removeSandbox, type OverlayNetwork, type Sandbox } from '../../worker/overlay/sandbox.js';
import { macForIp } from '../../worker/overlay/names.js';

const RED: OverlayNetwork = { vni: 4096, subnet: '10.0.0.0/24' };
/** Same subnet on purpose: isolation must come from the VNI, not from routing. */
const BLUE: OverlayNetwork = { vni: 4097, subnet: '10.0.0.0/24' };

let lab: Lab | undefined;
/** Container namespaces this test made, removed in after(). */
const containers: string[] = [];
const hostsUsed = ['m1', 'm2'] as const;
type HostName = (typeof hostsUsed)[number];

function theLab(): Lab {
  assert.ok(lab, 'the lab is up');
  return lab;
}

/** The lab's hosts share /run/netns, so each host's sandboxes get their own prefix (a real host has its own /run/netns). */
function prefixOf(host: HostName): string {
  return `ts${theLab().name}-${host}-`;
}

async function sh(argv: string[]): Promise<string> {
  const r = await run(argv, { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function sandboxOn(host: HostName, net: OverlayNetwork): Promise<Sandbox> {
  const h = theLab().host(host);
  return createSandbox(net, { prefix: prefixOf(host), vtep: h.ip, hostNetns: h.netns });
}

async function container(host: HostName, name: string): Promise<string> {
  const ns = `${prefixOf(host)}${name}`;
  containers.push(ns);
  await sh(['ip', 'netns', 'add', ns]);
  return ns;
}

function peer(host: HostName, address: string): Peer {
  return { ip: address, mac: macForIp(address), vtep: theLab().host(host).ip };
}

async function pings(fromNetns: string, to: string, count = 2): Promise<boolean> {
  const r = await run(['ip', 'netns', 'exec', fromNetns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', to], { timeoutMs: 20_000 });
  return r.code === 0;
}

/** UDP ports bound in a namespace. */
async function udpPorts(netns: string): Promise<string> {
  return sh(['ip', 'netns', 'exec', netns, 'ss', '-H', '-u', '-a', '-n']);
}

async function linksOf(netns: string): Promise<string[]> {
  const out = await sh(['ip', '-n', netns, '-o', 'link', 'show']);
  return out.split('\n').filter((l) => l !== '').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? l);
}

const sb = new Map<string, Sandbox>();
const ns = new Map<string, string>();

before(async () => {
  lab = await Lab.up({ managers: 2, workers: 1, bare: true });
});

after(async () => {
  try {
    for (const c of containers) await run(['ip', 'netns', 'del', c]);
    if (lab) for (const h of hostsUsed) await removeOrphans(prefixOf(h), []);
  } finally {
    await lab?.down();
  }
});

test('a sandbox holds br0 and a vxlan device whose UDP socket stays in the host namespace', async () => {
  const l = theLab();
  for (const h of hostsUsed) sb.set(`${h}/red`, await sandboxOn(h, RED));
  const a = sb.get('m1/red')!;
  assert.equal(a.name, `ts${l.name}-m1-ov-4096`);
  assert.equal(a.gateway, '10.0.0.1');
  assert.equal(a.mtu, 1500 - 50, 'underlay MTU − 50');

  const [vx] = JSON.parse(await sh(['ip', '-n', a.name, '-j', '-d', 'link', 'show', 'dev', 'vxlan0'])) as Record<string, unknown>[];
  const info = (vx!['linkinfo'] as { info_data: Record<string, unknown> }).info_data;
  assert.equal(info['id'], 4096);
  assert.equal(info['port'], 4789);
  assert.equal(info['local'], l.host('m1').ip);
  assert.equal(info['learning'], false);
  assert.equal(info['proxy'], true);
  assert.equal(vx!['master'], 'br0');
  assert.equal(vx!['mtu'], 1450);
  assert.match(await sh(['ip', '-n', a.name, '-o', '-4', 'addr', 'show', 'dev', 'br0']), / inet 10\.0\.0\.1\/24 /);

  assert.match(await udpPorts(l.host('m1').netns), /:4789\s/, 'the vxlan socket is in the host namespace');
  assert.doesNotMatch(await udpPorts(a.name), /:4789\s/, 'and not in the sandbox');
  assert.deepEqual((await linksOf(l.host('m1').netns)).sort(), ['eth0', 'lo'], 'the host namespace gets no device');

  // Creating what exists is a no-op: the same device stays.
  const before = (JSON.parse(await sh(['ip', '-n', a.name, '-j', 'link', 'show', 'dev', 'vxlan0'])) as { ifindex: number }[])[0]!.ifindex;
  await sandboxOn('m1', RED);
  const again = (JSON.parse(await sh(['ip', '-n', a.name, '-j', 'link', 'show', 'dev', 'vxlan0'])) as { ifindex: number }[])[0]!.ifindex;
  assert.equal(again, before);

  // A half-built sandbox (as a crash between two steps leaves it) is rebuilt.
  await sh(['ip', '-n', a.name, 'link', 'del', 'vxlan0']);
  await sandboxOn('m1', RED);
  assert.match(await sh(['ip', '-n', a.name, '-o', 'link', 'show', 'dev', 'vxlan0']), / master br0 /);

  // A second device for the same VNI and port on the host is refused, and leaves nothing.
  const h = l.host('m1');
  await assert.rejects(createSandbox(RED, { prefix: `${prefixOf('m1')}x-`, vtep: h.ip, hostNetns: h.netns }),
    (e: unknown) => e instanceof TsswarmError && e.code === 'Conflict' && /VNI 4096 on port 4789 already exists/.test(e.message));
  assert.deepEqual(await listSandboxes(`${prefixOf('m1')}x-`), []);
});

test('containers on two hosts ping each other over VNI 4096 once peers are programmed', async () => {
  ns.set('A', await container('m1', 'ca'));
  ns.set('B', await container('m2', 'cb'));
  await attachEndpoint(sb.get('m1/red')!, { ip: '10.0.0.2', netns: ns.get('A')! });
  await attachEndpoint(sb.get('m2/red')!, { ip: '10.0.0.3', netns: ns.get('B')! });
  // Attaching twice changes nothing.
  await attachEndpoint(sb.get('m1/red')!, { ip: '10.0.0.2', netns: ns.get('A')! });

  const eth0 = await sh(['ip', '-n', ns.get('A')!, '-o', 'link', 'show', 'dev', 'eth0']);
  assert.match(eth0, / mtu 1450 /);
  assert.match(eth0, /link\/ether 02:42:0a:00:00:02 /);
  assert.match(await sh(['ip', '-n', ns.get('A')!, '-4', 'route', 'show', 'default']), /^default via 10\.0\.0\.1 dev eth0/);

  assert.equal(await pings(ns.get('A')!, '10.0.0.3', 1), false, 'no peers yet: no way across');
  await addPeers(sb.get('m1/red')!.name, [peer('m2', '10.0.0.3')]);
  await addPeers(sb.get('m2/red')!.name, [peer('m1', '10.0.0.2')]);
  assert.ok(await pings(ns.get('A')!, '10.0.0.3'), 'A reaches B');
  assert.ok(await pings(ns.get('B')!, '10.0.0.2'), 'B reaches A');
  // Full-size frames cross unfragmented inside: 1422 B of ICMP data + 28 B of headers = the 1450 MTU.
  const full = await run(['ip', 'netns', 'exec', ns.get('A')!, 'ping', '-n', '-c', '1', '-W', '1', '-M', 'do', '-s', '1422', '10.0.0.3'], { timeoutMs: 20_000 });
  assert.equal(full.code, 0, full.stdout + full.stderr);
});

test('a second network (VNI 4097, same subnet) on the same hosts works and is isolated from the first', async () => {
  for (const h of hostsUsed) sb.set(`${h}/blue`, await sandboxOn(h, BLUE));
  ns.set('A2', await container('m1', 'ca2'));
  ns.set('B2', await container('m2', 'cb2'));
  await attachEndpoint(sb.get('m1/blue')!, { ip: '10.0.0.4', netns: ns.get('A2')! });
  await attachEndpoint(sb.get('m2/blue')!, { ip: '10.0.0.5', netns: ns.get('B2')! });
  await addPeers(sb.get('m1/blue')!.name, [peer('m2', '10.0.0.5')]);
  await addPeers(sb.get('m2/blue')!.name, [peer('m1', '10.0.0.4')]);
  assert.ok(await pings(ns.get('A2')!, '10.0.0.5'), 'the blue network works');

  assert.equal(await pings(ns.get('A')!, '10.0.0.5', 1), false, 'red does not reach blue');
  assert.equal(await pings(ns.get('A2')!, '10.0.0.3', 1), false, 'blue does not reach red');
  // Even frames addressed to blue's container and sent to its host stay on red's VNI.
  await addPeers(sb.get('m1/red')!.name, [peer('m2', '10.0.0.5')]);
  assert.equal(await pings(ns.get('A')!, '10.0.0.5', 1), false, 'the VNI keeps red frames out of blue');
  assert.ok(await pings(ns.get('A')!, '10.0.0.3', 1), 'red still works');
});

test('reconcile deletes stale entries, re-adds missing ones, and then finds nothing to do', async () => {
  const l = theLab();
  const red = sb.get('m1/red')!.name;
  const want = [peer('m2', '10.0.0.3')];
  // Stale: the wrong entry for blue's container from the test before, plus one from nowhere.
  await sh(['bridge', '-n', red, 'fdb', 'append', '02:42:0a:00:00:63', 'dev', 'vxlan0', 'dst', l.host('w1').ip, 'self', 'permanent']);
  // Missing: B's FDB entry.
  await sh(['bridge', '-n', red, 'fdb', 'del', '02:42:0a:00:00:03', 'dev', 'vxlan0', 'self']);
  assert.equal(await pings(ns.get('A')!, '10.0.0.3', 1), false, 'without its FDB entry B is unreachable');

  const c = await reconcilePeers(red, want);
  assert.deepEqual(c.neighDel, ['10.0.0.5']);
  assert.deepEqual(c.fdbDel.map((f) => f.mac).sort(), ['02:42:0a:00:00:05', '02:42:0a:00:00:63']);
  assert.deepEqual(c.fdbSet, [{ mac: '02:42:0a:00:00:03', vtep: l.host('m2').ip }]);
  assert.deepEqual(await readPeers(red), {
    neigh: [{ ip: '10.0.0.3', mac: '02:42:0a:00:00:03', permanent: true }],
    fdb: [{ mac: '02:42:0a:00:00:03', vtep: l.host('m2').ip }],
  });
  assert.ok(await pings(ns.get('A')!, '10.0.0.3'), 'A reaches B again');

  const none = await reconcilePeers(red, want);
  assert.deepEqual(none, { neighDel: [], neighSet: [], fdbDel: [], fdbSet: [] });
});

test('detach, orphan removal and sandbox removal leave nothing behind, and a VNI can be reused at once', async () => {
  const l = theLab();
  await detachEndpoint(sb.get('m1/red')!, '10.0.0.2');
  await detachEndpoint(sb.get('m1/red')!, '10.0.0.2');
  assert.deepEqual(await linksOf(ns.get('A')!), ['lo'], "the container's eth0 went with its veth");
  assert.equal(await pings(ns.get('B')!, '10.0.0.2', 1), false);

  // As after a daemon restart that only knows red: blue's sandbox is an orphan.
  const removed = await removeOrphans(prefixOf('m1'), [RED.vni]);
  assert.deepEqual(removed.map((s) => s.vni), [BLUE.vni]);
  assert.deepEqual((await listSandboxes(prefixOf('m1'))).map((s) => s.vni), [RED.vni]);

  for (const h of hostsUsed) {
    await removeSandbox(prefixOf(h), RED.vni);
    await removeSandbox(prefixOf(h), BLUE.vni);
    await removeSandbox(prefixOf(h), BLUE.vni);
  }
  // The VNI is free on the host's port right after removal: a new sandbox for it can be built.
  const reborn = await sandboxOn('m1', RED);
  await removeSandbox(prefixOf('m1'), reborn.vni);

  for (const c of containers) await sh(['ip', 'netns', 'del', c]);
  containers.length = 0;

  const lab = l.hosts.map((h) => h.netns);
  const left = (await sh(['ip', 'netns', 'list'])).split('\n').map((n) => n.split(' ')[0]!)
    .filter((n) => n.startsWith(`ts${l.name}-`) && !lab.includes(n) && n !== `ts${l.name}-hub`);
  assert.deepEqual(left, []);
  for (const h of hostsUsed) {
    assert.deepEqual((await linksOf(l.host(h).netns)).sort(), ['eth0', 'lo'], `${h} has only its own links`);
    assert.doesNotMatch(await udpPorts(l.host(h).netns), /:4789\s/, `${h} has no vxlan socket left`);
    assert.deepEqual(await listSandboxes(prefixOf(h)), []);
  }
});
