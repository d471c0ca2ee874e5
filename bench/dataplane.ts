// bench:dataplane — what tsswarm's overlay costs on the wire path, against the same
// kernel path built by hand, in one invocation on a bare 2-host lab:
//   tsswarm     container → container over VNI 4096, built by worker/overlay
//   hand-built  container → container over VNI 4097: kernel vxlan + bridge + veth made with
//               plain `ip`/`bridge` commands, same MTU (the anchor of ../shared/anchors)
//   underlay    host → host over the lab's veth + hub bridge, no tunnel
// Each round measures one iperf3 TCP stream and the median of N pings on every path, in
// turn, so load drifting on the machine hits all three alike; the table shows the median
// over rounds and the ratio tsswarm/hand-built.
//
//   npm run bench:dataplane [-- --seconds 10 --pings 20 --rounds 3]
import { children, stopChild } from './children.js';
import { spawn } from 'node:child_process';
import { Lab } from '../test/harness/lab.js';
import { addHandPeer, buildHandVtep, removeHandVtep, type HandVtep } from '../test/lab/handvxlan.js';
import { run } from '../shared/run.js';
import { attachEndpoint } from '../worker/overlay/endpoints.js';
import { addPeers, removeOrphans } from '../worker/overlay/peers.js';
import { macForIp } from '../worker/overlay/names.js';
import { createSandbox, type OverlayNetwork, type Sandbox } from '../worker/overlay/sandbox.js';

interface Args { seconds: number; pings: number; rounds: number }

function parseArgs(argv: string[]): Args {
  // 3 rounds: a median that one noisy 10 s run on a shared 2-core box cannot move alone.
  const a: Args = { seconds: 10, pings: 20, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, '') as keyof Args;
    const v = Number(argv[i + 1]);
    if (!(k in a) || !Number.isInteger(v) || v <= 0) throw new Error(`bad argument ${argv[i]} ${argv[i + 1]} (expected --seconds N, --pings N, --rounds N)`);
    a[k] = v;
  }
  return a;
}

const TS_NET: OverlayNetwork = { vni: 4096, subnet: '10.0.0.0/24' };
/** Another VNI and subnet, so both overlays stand side by side on the same hosts and port. */
const HAND_VNI = 4097;
const HOSTS = ['m1', 'm2'] as const;
const TS_IPS = ['10.0.0.2', '10.0.0.3'] as const;
const HAND_IPS = ['10.1.0.2', '10.1.0.3'] as const;
/** iperf3's own default port; each server is bound to one namespace's address, so there is no clash. */
const IPERF_PORT = 5201;
/** Between pings: 10/s keeps 20 pings at 2 s without flooding. */
const PING_INTERVAL_S = 0.1;
/** A server binds within milliseconds; 10 s covers a loaded box. */
const SERVER_READY_MS = 10_000;

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function sh(argv: string[], timeoutMs = 20_000): Promise<string> {
  const r = await run(argv, { timeoutMs });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

async function requireTool(tool: string, pkg: string): Promise<void> {
  const r = await run(['sh', '-c', `command -v ${tool}`]);
  if (r.code !== 0) throw new Error(`${tool} is not installed: apt-get install -y ${pkg} (scripts/setup.sh installs it)`);
}

/** One path to measure: a client namespace, a server namespace, and the server's address. */
interface Path { name: string; from: string; to: string; address: string }


async function listening(ns: string, port: number): Promise<boolean> {
  const out = await sh(['ip', 'netns', 'exec', ns, 'ss', '-H', '-t', '-l', '-n', `sport = :${port}`]);
  return out.trim() !== '';
}

/** One iperf3 TCP stream for `seconds`: the receiver's Gbit/s. */
async function throughput(p: Path, seconds: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', p.to, 'iperf3', '-s', '-1', '-B', p.address, '-p', String(IPERF_PORT)], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(server);
  try {
    const t0 = performance.now();
    while (!(await listening(p.to, IPERF_PORT))) {
      if (server.exitCode !== null) throw new Error(`iperf3 server in ${p.to} exited ${server.exitCode}`);
      if (performance.now() - t0 > SERVER_READY_MS) throw new Error(`iperf3 server in ${p.to} not listening after ${SERVER_READY_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const out = await sh(['ip', 'netns', 'exec', p.from, 'iperf3', '-c', p.address, '-p', String(IPERF_PORT), '-t', String(seconds), '-J'], (seconds + 30) * 1000);
    const j = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
    const bps = j.end?.sum_received?.bits_per_second;
    if (bps === undefined) throw new Error(`iperf3 ${p.name}: no result${j.error ? `: ${j.error}` : ''}`);
    return bps / 1e9;
  } finally {
    await stopChild(server);
  }
}

/** Median round-trip time in ms of `count` pings. */
async function rtt(p: Path, count: number): Promise<number> {
  // One ping first, left out: the first packet of a flow may resolve a neighbour and fill caches.
  await sh(['ip', 'netns', 'exec', p.from, 'ping', '-n', '-q', '-c', '1', '-W', '1', p.address]);
  const out = await sh(['ip', 'netns', 'exec', p.from, 'ping', '-n', '-c', String(count), '-i', String(PING_INTERVAL_S), '-W', '1', p.address], 60_000);
  const times = [...out.matchAll(/time=([0-9.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length !== count) throw new Error(`ping ${p.name}: ${times.length} of ${count} replies`);
  return median(times);
}

/** Everything the bench builds, torn down by cleanup() whatever happened. */
interface Built {
  lab?: Lab;
  containers: string[];
  hand: HandVtep[];
}

async function build(built: Built): Promise<{ tsswarm: Path; hand: Path; underlay: Path; mtu: number }> {
  const lab = await Lab.up({ managers: 2, workers: 0, bare: true });
  built.lab = lab;
  const prefix = (h: string): string => `ts${lab.name}-${h}-`;

  const sandboxes: Sandbox[] = [];
  const tsNs: string[] = [];
  for (const [i, h] of HOSTS.entries()) {
    const host = lab.host(h);
    sandboxes.push(await createSandbox(TS_NET, { prefix: prefix(h), vtep: host.ip, hostNetns: host.netns }));
    const ns = `${prefix(h)}tc`;
    built.containers.push(ns);
    await sh(['ip', 'netns', 'add', ns]);
    await attachEndpoint(sandboxes[i]!, { ip: TS_IPS[i]!, netns: ns });
    tsNs.push(ns);
  }
  for (const [i, sb] of sandboxes.entries()) {
    const j = 1 - i;
    await addPeers(sb.name, [{ ip: TS_IPS[j]!, mac: macForIp(TS_IPS[j]!), vtep: lab.host(HOSTS[j]!).ip }]);
  }

  const mtu = sandboxes[0]!.mtu;
  for (const [i, h] of HOSTS.entries()) {
    const host = lab.host(h);
    const v: HandVtep = { hostNetns: host.netns, vtep: host.ip, vni: HAND_VNI, mtu, containerNetns: `${prefix(h)}hc`, cidr: `${HAND_IPS[i]}/24`, mac: macForIp(HAND_IPS[i]!) };
    built.hand.push(v);
    await buildHandVtep(v);
  }
  for (const [i, v] of built.hand.entries()) {
    const o = built.hand[1 - i]!;
    await addHandPeer(v, { ip: HAND_IPS[1 - i]!, mac: o.mac, vtep: o.vtep });
  }

  return {
    tsswarm: { name: 'tsswarm', from: tsNs[0]!, to: tsNs[1]!, address: TS_IPS[1] },
    hand: { name: 'hand-built', from: built.hand[0]!.containerNetns, to: built.hand[1]!.containerNetns, address: HAND_IPS[1] },
    underlay: { name: 'underlay', from: lab.host('m1').netns, to: lab.host('m2').netns, address: lab.host('m2').ip },
    mtu,
  };
}

async function cleanup(built: Built): Promise<void> {
  const problems: string[] = [];
  const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  for (const c of [...children]) await attempt(() => stopChild(c));
  for (const v of built.hand.splice(0)) await attempt(() => removeHandVtep(v));
  for (const c of built.containers.splice(0)) {
    await attempt(async () => {
      const r = await run(['ip', 'netns', 'del', c]);
      if (r.code !== 0 && !/No such file/.test(r.stderr)) throw new Error(`netns ${c}: ${r.stderr.trim()}`);
    });
  }
  const lab = built.lab;
  built.lab = undefined;
  if (lab) {
    for (const h of HOSTS) await attempt(() => removeOrphans(`ts${lab.name}-${h}-`, []));
    await attempt(() => lab.down());
  }
  if (problems.length > 0) throw new Error(`cleanup left something behind: ${problems.join('; ')}`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  await requireTool('iperf3', 'iperf3');
  const built: Built = { containers: [], hand: [] };
  let cleaning: Promise<void> | undefined;
  const clean = (): Promise<void> => (cleaning ??= cleanup(built));
  process.once('SIGINT', () => {
    console.error('bench:dataplane: interrupted, cleaning up');
    clean().finally(() => process.exit(130));
  });

  console.log(`bench:dataplane — ${a.rounds} round(s) of 1 iperf3 TCP stream for ${a.seconds} s and ${a.pings} pings on each path`);
  try {
    const paths = await build(built);
    const order = [paths.tsswarm, paths.hand, paths.underlay];
    const gbps = new Map<string, number[]>(order.map((p) => [p.name, []]));
    const ms = new Map<string, number[]>(order.map((p) => [p.name, []]));
    for (let r = 1; r <= a.rounds; r++) {
      for (const p of order) {
        const g = await throughput(p, a.seconds);
        const t = await rtt(p, a.pings);
        gbps.get(p.name)!.push(g);
        ms.get(p.name)!.push(t);
        console.log(`round ${r}  ${p.name.padEnd(10)}  ${g.toFixed(2).padStart(6)} Gbit/s  ${t.toFixed(3)} ms`);
      }
    }
    const g = (n: string): number => median(gbps.get(n)!);
    const t = (n: string): number => median(ms.get(n)!);
    const tpRatio = g('tsswarm') / g('hand-built');
    const rttRatio = t('tsswarm') / t('hand-built');
    console.log('');
    console.log(`figure (median of ${a.rounds}, inner MTU ${paths.mtu})   tsswarm   hand-built (anchor)   underlay veth   ratio tsswarm/hand-built`);
    console.log(`TCP, 1 stream (Gbit/s)              ${g('tsswarm').toFixed(2).padStart(8)}   ${g('hand-built').toFixed(2).padStart(19)}   ${g('underlay').toFixed(2).padStart(13)}   ${tpRatio.toFixed(2)}`);
    console.log(`ping RTT, median of ${String(a.pings).padStart(3)} (ms)        ${t('tsswarm').toFixed(3).padStart(8)}   ${t('hand-built').toFixed(3).padStart(19)}   ${t('underlay').toFixed(3).padStart(13)}   ${rttRatio.toFixed(2)} (lower is better)`);
    console.log('');
    console.log(`target: tsswarm ≥ 0.95 × the hand-built kernel path in throughput — ${tpRatio >= 0.95 ? 'met' : 'MISSED'} (${tpRatio.toFixed(2)})`);
  } finally {
    await clean();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:dataplane: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
