// What tsswarm's overlay puts on the wire, seen from outside: tshark on the underlay
// decodes standard VXLAN (VNI 4096) carrying the containers' ICMP, and a VTEP built by
// hand with plain ip/bridge commands on a third host interoperates with it both ways.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Lab } from '../harness/lab.js';
import { run } from '../../shared/run.js';
import { attachEndpoint } from '../../worker/overlay/endpoints.js';
import { addPeers, removeOrphans, type Peer } from '../../worker/overlay/peers.js';
import { createSandbox, type OverlayNetwork, type Sandbox } from '../../worker/overlay/sandbox.js';
import { macForIp } from '../../worker/overlay/names.js';
import { addHandPeer, buildHandVtep, handLinks, removeHandVtep, type HandVtep } from './handvxlan.js';

const NET: OverlayNetwork = { vni: 4096, subnet: '10.0.0.0/24' };
/** Hosts A and B run tsswarm's data plane; F is the foreign host built by hand. */
const A = 'm1';
const B = 'm2';
const F = 'w1';
const A_IP = '10.0.0.2';
const B_IP = '10.0.0.3';
const F_IP = '10.0.0.9';
/** Not Docker's 02:42 scheme on purpose: tsswarm must take the foreign MAC as given. */
const F_MAC = '0a:58:0a:00:00:09';
/** Capture a few seconds at most: the pings that fill it take under one. */
const CAPTURE_LIMIT_S = 15;
/** tshark (with dumpcap) loads its dissectors before it captures; on a busy 2-core box that takes seconds. */
const TSHARK_READY_MS = 30_000;

let lab: Lab | undefined;
let tmp: string | undefined;
const containers: string[] = [];
const sandboxes = new Map<string, Sandbox>();
let foreign: HandVtep | undefined;
const children: ChildProcess[] = [];

function theLab(): Lab {
  assert.ok(lab, 'the lab is up');
  return lab;
}

/** The lab's hosts share /run/netns, so each host's sandboxes and containers get their own prefix. */
function prefixOf(host: string): string {
  return `ts${theLab().name}-${host}-`;
}

async function sh(argv: string[]): Promise<string> {
  const r = await run(argv, { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function pings(fromNetns: string, to: string, count = 2): Promise<boolean> {
  const r = await run(['ip', 'netns', 'exec', fromNetns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', to], { timeoutMs: 20_000 });
  return r.code === 0;
}

async function container(host: string, name: string): Promise<string> {
  const ns = `${prefixOf(host)}${name}`;
  containers.push(ns);
  await sh(['ip', 'netns', 'add', ns]);
  return ns;
}

function peerOn(host: string, address: string): Peer {
  return { ip: address, mac: macForIp(address), vtep: theLab().host(host).ip };
}

async function requireTshark(): Promise<void> {
  const r = await run(['sh', '-c', 'command -v tshark'], { timeoutMs: 5_000 });
  assert.equal(r.code, 0, 'tshark is not installed; this test needs it to decode the underlay: apt-get install -y tshark (scripts/setup.sh installs it)');
}

interface Capture {
  /** Resolves with tshark's stdout once it has the packets it was asked for. */
  done: Promise<string>;
}

/**
 * Starts tshark on a host's underlay link and resolves once it is capturing. Its temp
 * files go to this run's own directory, removed in after() even if tshark is killed.
 */
async function startCapture(hostNetns: string, count: number, fields: string[]): Promise<Capture> {
  assert.ok(tmp);
  const argv = ['ip', 'netns', 'exec', hostNetns, 'tshark', '-n', '-i', 'eth0', '-f', 'udp port 4789', '-c', String(count),
    '-a', `duration:${CAPTURE_LIMIT_S}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tshark exited ${code}: ${err.trim()}`))));
  });
  // Keep a rejection before anyone awaits `done` from becoming an unhandled one; the caller still sees it.
  done.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing within ${TSHARK_READY_MS} ms: ${err.trim()}`)), TSHARK_READY_MS);
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      if (/Capturing on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    done.catch((e: unknown) => {
      clearTimeout(timer);
      reject(e as Error);
    });
  });
  return { done };
}

/** SIGTERM first so tshark stops its dumpcap child and removes its temp file; SIGKILL if it lingers. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tswire-'));
  lab = await Lab.up({ managers: 2, workers: 1, bare: true });
});

after(async () => {
  try {
    for (const c of children) await stop(c);
    if (foreign) await removeHandVtep(foreign);
    for (const c of containers) await run(['ip', 'netns', 'del', c]);
    if (lab) for (const h of [A, B]) await removeOrphans(prefixOf(h), []);
  } finally {
    try {
      await lab?.down();
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }
});

test('tshark on the underlay decodes VNI 4096 VXLAN carrying the containers\' ICMP between the VTEPs', async () => {
  await requireTshark();
  const l = theLab();
  for (const h of [A, B]) {
    const host = l.host(h);
    sandboxes.set(h, await createSandbox(NET, { prefix: prefixOf(h), vtep: host.ip, hostNetns: host.netns }));
  }
  const ca = await container(A, 'ca');
  const cb = await container(B, 'cb');
  await attachEndpoint(sandboxes.get(A)!, { ip: A_IP, netns: ca });
  await attachEndpoint(sandboxes.get(B)!, { ip: B_IP, netns: cb });
  await addPeers(sandboxes.get(A)!.name, [peerOn(B, B_IP)]);
  await addPeers(sandboxes.get(B)!.name, [peerOn(A, A_IP)]);

  const cap = await startCapture(l.host(A).netns, 4, ['vxlan.vni', 'ip.src', 'ip.dst', 'icmp.type', 'udp.dstport']);
  // Pinging on while tshark fills its count: "Capturing on" can come a moment before dumpcap sees packets.
  const [reached, out] = await Promise.all([pings(ca, B_IP, 10), cap.done]);
  assert.ok(reached, 'A reaches B over the overlay');

  const rows = out.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
  assert.equal(rows.length, 4, `4 packets captured:\n${out}`);
  const vteps = { a: l.host(A).ip, b: l.host(B).ip };
  const seen = new Set<string>();
  for (const [vni, src, dst, icmp, dport] of rows) {
    assert.equal(vni, '4096', `decoded as VXLAN with VNI 4096: ${out}`);
    assert.equal(dport, '4789');
    // One occurrence per IP header: outer (underlay VTEPs), then inner (container addresses).
    const [outerSrc, innerSrc] = (src ?? '').split(',');
    const [outerDst, innerDst] = (dst ?? '').split(',');
    const flow = `${outerSrc}>${outerDst} ${innerSrc}>${innerDst} icmp ${icmp}`;
    assert.ok([
      `${vteps.a}>${vteps.b} ${A_IP}>${B_IP} icmp 8`,
      `${vteps.b}>${vteps.a} ${B_IP}>${A_IP} icmp 0`,
    ].includes(flow), `an echo request A→B or reply B→A inside VXLAN between the VTEPs, not ${flow}`);
    seen.add(icmp ?? '');
  }
  assert.deepEqual([...seen].sort(), ['0', '8'], 'both requests and replies crossed the wire');
});

test('a VTEP built by hand with ip/bridge on a foreign host talks to a tsswarm container both ways', async () => {
  const l = theLab();
  const sbA = sandboxes.get(A);
  assert.ok(sbA, 'the first test built A\'s sandbox');
  const ca = `${prefixOf(A)}ca`;
  const fh = l.host(F);
  foreign = { hostNetns: fh.netns, vtep: fh.ip, vni: NET.vni, mtu: sbA.mtu, containerNetns: `${prefixOf(F)}fc`, cidr: `${F_IP}/24`, mac: F_MAC };
  await buildHandVtep(foreign);
  await addHandPeer(foreign, { ip: A_IP, mac: macForIp(A_IP), vtep: l.host(A).ip });

  // The hand-built device really is what a third party would make: VNI 4096, port 4789, learning off.
  const [vx] = JSON.parse(await sh(['ip', '-n', fh.netns, '-j', '-d', 'link', 'show', 'dev', handLinks(NET.vni).vxlan])) as Record<string, unknown>[];
  const info = (vx!['linkinfo'] as { info_kind: string; info_data: Record<string, unknown> });
  assert.equal(info.info_kind, 'vxlan');
  assert.equal(info.info_data['id'], 4096);
  assert.equal(info.info_data['port'], 4789);

  assert.equal(await pings(foreign.containerNetns, A_IP, 1), false, 'A does not know the foreign endpoint yet: its replies have nowhere to go');
  await addPeers(sbA.name, [{ ip: F_IP, mac: F_MAC, vtep: fh.ip }]);
  assert.ok(await pings(ca, F_IP), 'the tsswarm container reaches the hand-built one');
  assert.ok(await pings(foreign.containerNetns, A_IP), 'the hand-built container reaches the tsswarm one');
  // Full-size inner frames cross too: 1422 B of ICMP data + 28 B of headers = the 1450 MTU on both sides.
  const full = await run(['ip', 'netns', 'exec', foreign.containerNetns, 'ping', '-n', '-c', '1', '-W', '1', '-M', 'do', '-s', '1422', A_IP], { timeoutMs: 20_000 });
  assert.equal(full.code, 0, full.stdout + full.stderr);

  // Clean-up is checked here so the test fails if it leaves the foreign host dirty.
  await removeHandVtep(foreign);
  foreign = undefined;
  const left = (await sh(['ip', '-n', fh.netns, '-o', 'link', 'show'])).split('\n').filter((x) => x !== '').map((x) => /^\d+:\s+([^:@\s]+)/.exec(x)?.[1]);
  assert.deepEqual(left.sort(), ['eth0', 'lo']);
});
