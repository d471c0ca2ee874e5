// bench:converge — how fast a new container becomes reachable from other hosts, and how
// fast a removed one disappears, against the kernel + tool floor in the same invocation.
//
// Lab: 1 manager + (hosts − 1) workers (default 5 hosts: m1, w1..w4), one attachable
// overlay network, one long-lived observer container per host (so every host has the
// network's sandbox), and one `bridge monitor fdb` + `ip monitor neigh` per sandbox
// whose lines are stamped as they arrive.
//
// tsswarm, per container k (A and B rotate over the hosts, B ≠ A):
//   t0 = `tsswarm run -d --ip X` returns on A (the CLI, as a user runs it)
//   → B's FDB entry for X's MAC appears; entries on every other host; first ping reply
//     from B's observer (`ping -D -i 0.01`, started before the run, its own reply stamp).
//   Then per container: t0 = `tsswarm rm -f` returns → the FDB entry is gone everywhere.
// anchor (same lab, same A and B, one sample per container): sandboxes of the same shape
// built by hand on another VNI; a new endpoint on A; t0 = issuing, on every other host at
// once, one `bridge -batch` + one `ip -batch` (what the daemon runs per change) → the same
// events and the first ping from B. Removal: the delete batches → gone everywhere.
// Times after t0 may be negative for tsswarm: the daemon publishes the endpoint before the
// CLI has returned. So the table also splits the path: run issued → A's veth up on its
// bridge (seen by `ip monitor link` in A's sandbox) → B's FDB entry (gossip + B's
// programming, comparable with the anchor's figure) → first ping; and the CLI's own floor
// (`tsswarm ps -q` on A, just before each run). Observers' dns.json files split it further:
// a daemon rewrites them (no process spawned) whenever its dns table changes, so A's
// observer's file marks the moment A published the endpoint (the dns entry is created
// right after the FDB one; on rm, deleted right after it), and B's the moment B applied
// the gossiped dns event. Both are upper bounds: the write waits for the daemon's event
// loop, so "A wrote dns.json → B's FDB entry" can come out below zero on a loaded box;
// "A's veth up" (a few ip calls before the publish) bounds the publish from the other side.
//
//   npm run bench:converge [-- --containers 50 --hosts 5 --json]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Lab, labCli } from '../test/harness/lab.js';
import { macForIp, vethName } from '../worker/overlay/names.js';
import {
  ANCHOR_VXLAN, FileWatch, Pinger, TableWatch, addAnchorEndpoint, anchorNetns, buildAnchorSandbox, children, fastArp, now,
  programAnchor, removeAnchor, removeNetns, sh, sleep, stopChild, type AnchorPeer, type AnchorSandbox,
} from './converge-kernel.js';

interface Args { containers: number; hosts: number; json: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { containers: 50, hosts: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') { a.json = true; continue; }
    const v = Number(argv[i + 1]);
    i++;
    if (flag === '--containers' && Number.isInteger(v) && v > 0 && v <= 2000) a.containers = v;
    // Two hosts at least (A and B), and the lab names workers w1..w99.
    else if (flag === '--hosts' && Number.isInteger(v) && v >= 2 && v <= 100) a.hosts = v;
    else throw new Error(`bad argument ${flag} ${argv[i] ?? ''} (expected --containers N (1-2000), --hosts N (2-100), --json)`);
  }
  return a;
}

const NETWORK = 'conv';
const SUBNET = '10.40.0.0/16';
/** The anchor's own subnet and VNI: side by side with tsswarm's (which allocates from 4096 up) on the same hosts and port. */
const ANCHOR_GATEWAY = '10.41.0.1/16';
const ANCHOR_VNI = 4000;
const VXLANID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** A sample not converged after this long counts as a miss (and is left out of the percentiles). */
const SAMPLE_TIMEOUT_MS = 15_000;
/** Observers reaching each other at the start: the first gossip join and sync can take seconds. */
const WARMUP_TIMEOUT_MS = 60_000;
/** `tsswarm run` creates namespaces and talks to the leader; 60 s only bounds a stuck call. */
const CLI_TIMEOUT_MS = 60_000;
/** The anchor pinger runs this long before the batches, like tsswarm's does while `run` works. */
const ANCHOR_LEAD_MS = 200;

/** Overlay address of container k (and of the anchor's endpoint k on 10.41). */
function addressOf(second: number, k: number): string {
  return `10.${second}.${1 + Math.floor(k / 200)}.${10 + (k % 200)}`;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

interface HostRt {
  name: string;
  netns: string;
  vtep: string;
  sandbox: string;
  watch: TableWatch;
  /** The observer's dns.json, rewritten when this host applies a gossiped dns event; undefined if the daemon keeps it elsewhere. */
  dns: FileWatch | undefined;
  observer: { netns: string; ip: string };
  anchor: AnchorSandbox;
  anchorWatch: TableWatch;
  anchorPinger: { netns: string; ip: string; mac: string };
}

/** Per-sample figures in ms; undefined = not seen within SAMPLE_TIMEOUT_MS. */
type Sample = Record<string, number | undefined>;

interface Built { labName: string; labUp?: Promise<Lab>; lab?: Lab; watches: TableWatch[]; files: FileWatch[]; pingers: Pinger[]; anchorSandboxes: string[] }

async function ok(lab: Lab, host: string, args: string[]): Promise<string> {
  const r = await lab.tsswarm(host, args, { timeoutMs: CLI_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`tsswarm ${args.join(' ')} on ${host} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

async function netnsList(): Promise<string[]> {
  return (await sh(['ip', 'netns', 'list'])).split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}

async function fdbMacs(sandbox: string, dev: string): Promise<string> {
  return sh(['bridge', '-n', sandbox, 'fdb', 'show', 'dev', dev]);
}

async function setup(a: Args, built: Built, say: (s: string) => void): Promise<{ lab: Lab; hosts: HostRt[]; vni: number }> {
  built.labUp = Lab.up({ name: built.labName, managers: 1, workers: a.hosts - 1 });
  const lab = await built.labUp;
  built.lab = lab;
  const labHosts = lab.hosts;
  say(`lab ${lab.name}: ${labHosts.map((h) => h.name).join(', ')}`);
  const m1 = labHosts[0]!.name;
  await ok(lab, m1, ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', SUBNET, NETWORK]);
  const inspected = JSON.parse(await ok(lab, m1, ['network', 'inspect', NETWORK])) as { Options?: Record<string, string> }[];
  const vni = Number(inspected[0]?.Options?.[VXLANID_OPTION]);
  if (!Number.isInteger(vni) || vni <= 0) throw new Error(`network inspect ${NETWORK} shows no ${VXLANID_OPTION}`);
  if (vni === ANCHOR_VNI) throw new Error(`tsswarm gave the network VNI ${vni}, the anchor's; change ANCHOR_VNI`);

  // One observer per host: it keeps the sandbox alive and is where B pings from.
  const observers: { netns: string; ip: string; dnsDir: string }[] = [];
  for (const [i, h] of labHosts.entries()) {
    const ip = `10.40.0.${10 + i}`;
    const id = (await ok(lab, h.name, ['run', '-d', '--name', `obs-${h.name}`, '--network', NETWORK, '--ip', ip, '--', 'sleep', '3600'])).trim();
    const netns = `${h.netns}-c${id.slice(0, 12)}`;
    observers.push({ netns, ip, dnsDir: path.join(h.dataDir, 'containers', id) });
  }
  const all = await netnsList();
  for (const o of observers) {
    if (!all.includes(o.netns)) throw new Error(`observer namespace ${o.netns} not found (did the daemon change how it names containers?)`);
    await fastArp(o.netns);
  }
  const sandboxOf = (netns: string): string => `${netns}-ov-${vni}`;
  for (const h of labHosts) if (!all.includes(sandboxOf(h.netns))) throw new Error(`sandbox ${sandboxOf(h.netns)} not found`);

  // Warm-up: every host holds every other observer, so gossip has formed before timing.
  const t0 = now();
  for (const [i, h] of labHosts.entries()) {
    for (;;) {
      const fdb = await fdbMacs(sandboxOf(h.netns), 'vxlan0');
      if (observers.every((o, j) => j === i || fdb.includes(macForIp(o.ip)))) break;
      if (now() - t0 > WARMUP_TIMEOUT_MS) throw new Error(`observers not in ${h.name}'s FDB after ${WARMUP_TIMEOUT_MS} ms: ${fdb}`);
      await sleep(100);
    }
  }
  say(`observers reach each other's FDBs after ${(now() - t0).toFixed(0)} ms`);

  const mtu = Number(/mtu (\d+)/.exec(await sh(['ip', '-n', sandboxOf(labHosts[0]!.netns), '-o', 'link', 'show', 'dev', 'vxlan0']))?.[1]);
  const hosts: HostRt[] = [];
  for (const [i, h] of labHosts.entries()) {
    const sb: AnchorSandbox = { host: h.name, hostNetns: h.netns, vtep: h.ip, name: `${h.netns}-cvsb`, mtu, prefixLen: 16 };
    built.anchorSandboxes.push(sb.name);
    await buildAnchorSandbox(sb, ANCHOR_VNI, ANCHOR_GATEWAY);
    const pip = `10.41.0.${10 + i}`;
    const pinger = { netns: `${h.netns}-cvp`, ip: pip, mac: macForIp(pip) };
    await addAnchorEndpoint(sb, pinger.netns, 'cvpinger', pip, pinger.mac);
    await fastArp(pinger.netns);
    const watch = new TableWatch(h.name, sandboxOf(h.netns), 'vxlan0');
    const anchorWatch = new TableWatch(h.name, sb.name, ANCHOR_VXLAN);
    built.watches.push(watch, anchorWatch);
    await watch.start();
    await anchorWatch.start();
    const o = observers[i]!;
    let dns: FileWatch | undefined;
    if (existsSync(path.join(o.dnsDir, 'dns.json'))) {
      dns = new FileWatch(o.dnsDir, 'dns.json');
      built.files.push(dns);
      dns.start();
    } else {
      say(`note: no ${path.join(o.dnsDir, 'dns.json')}; the gossip-arrival figures are left out`);
    }
    hosts.push({ name: h.name, netns: h.netns, vtep: h.ip, sandbox: sandboxOf(h.netns), watch, dns, observer: observers[i]!, anchor: sb, anchorWatch, anchorPinger: pinger });
  }
  // The anchor's pingers know each other everywhere, as tsswarm's observers do.
  for (const h of hosts) {
    await programAnchor(h.anchor.name, hosts.filter((o) => o !== h).map((o) => ({ ip: o.anchorPinger.ip, mac: o.anchorPinger.mac, vtep: o.vtep })), []);
  }
  return { lab, hosts, vni };
}

const rel = (at: number | undefined, t0: number): number | undefined => (at === undefined ? undefined : at - t0);
const latest = (xs: (number | undefined)[]): number | undefined => (xs.some((x) => x === undefined) ? undefined : Math.max(...(xs as number[])));

/** Waits for add (or delete) events of `mac`/`ip` on every host in `on`. */
async function entries(on: HostRt[], pick: (h: HostRt) => TableWatch, mac: string, ip: string, deleted: boolean, since: number): Promise<{ fdb: (number | undefined)[]; neigh: (number | undefined)[] }> {
  const fdb = Promise.all(on.map((h) => pick(h).wait('fdb', mac, deleted, since, SAMPLE_TIMEOUT_MS)));
  const neigh = Promise.all(on.map((h) => pick(h).wait('neigh', ip, deleted, since, SAMPLE_TIMEOUT_MS)));
  return { fdb: await fdb, neigh: await neigh };
}

async function tsswarmAdd(lab: Lab, hosts: HostRt[], k: number, A: HostRt, B: HostRt, built: Built): Promise<Sample> {
  const ip = addressOf(40, k);
  const mac = macForIp(ip);
  const others = hosts.filter((h) => h !== A);
  // The CLI's own floor on A: a call that does no work in the daemon.
  const psStart = now();
  await ok(lab, A.name, ['ps', '-q']);
  const psCli = now() - psStart;
  const pinger = new Pinger(B.observer.netns, ip);
  built.pingers.push(pinger);
  pinger.start();
  const start = now();
  for (const h of hosts) h.watch.forget(start);
  await ok(lab, A.name, ['run', '-d', '--name', `cv${k}`, '--network', NETWORK, '--ip', ip, '--', 'sleep', '3600']);
  const t0 = now();
  const [e, ping, attached, published, heard] = await Promise.all([
    entries(others, (h) => h.watch, mac, ip, false, start),
    pinger.firstReply(SAMPLE_TIMEOUT_MS),
    A.watch.wait('link', vethName(ip), false, start, SAMPLE_TIMEOUT_MS),
    A.dns ? A.dns.wait(start, SAMPLE_TIMEOUT_MS) : Promise.resolve(undefined),
    B.dns ? B.dns.wait(start, SAMPLE_TIMEOUT_MS) : Promise.resolve(undefined),
  ]);
  await pinger.stop();
  const bi = others.indexOf(B);
  return {
    psCli,
    runCli: t0 - start,
    issuedToPing: rel(ping, start),
    issuedToAttached: rel(attached, start),
    attachedToFdbB: attached === undefined ? undefined : rel(e.fdb[bi], attached),
    attachedToPing: attached === undefined ? undefined : rel(ping, attached),
    attachedToPublished: attached === undefined ? undefined : rel(published, attached),
    publishedToHeardB: published === undefined ? undefined : rel(heard, published),
    publishedToFdbB: published === undefined ? undefined : rel(e.fdb[bi], published),
    publishedToPing: published === undefined ? undefined : rel(ping, published),
    publishedToAll: published === undefined ? undefined : rel(latest([...e.fdb, ...e.neigh]), published),
    ping: rel(ping, t0),
    fdbB: rel(e.fdb[bi], t0),
    neighB: rel(e.neigh[bi], t0),
    allHosts: rel(latest([...e.fdb, ...e.neigh]), t0),
    pingAfterEntries: ping === undefined || e.fdb[bi] === undefined || e.neigh[bi] === undefined ? undefined : ping - Math.max(e.fdb[bi]!, e.neigh[bi]!),
  };
}

async function tsswarmRemove(lab: Lab, hosts: HostRt[], k: number, A: HostRt): Promise<Sample> {
  const ip = addressOf(40, k);
  const others = hosts.filter((h) => h !== A);
  const start = now();
  for (const h of hosts) h.watch.forget(start);
  await ok(lab, A.name, ['rm', '-f', `cv${k}`]);
  const t0 = now();
  const [e, published] = await Promise.all([
    entries(others, (h) => h.watch, macForIp(ip), ip, true, start),
    A.dns ? A.dns.wait(start, SAMPLE_TIMEOUT_MS) : Promise.resolve(undefined),
  ]);
  return {
    rmCli: t0 - start,
    goneAll: rel(latest(e.fdb), t0),
    goneAllFromIssue: rel(latest(e.fdb), start),
    publishedToGone: published === undefined ? undefined : rel(latest(e.fdb), published),
  };
}

function anchorPeer(k: number, A: HostRt): AnchorPeer {
  const ip = addressOf(41, k);
  return { ip, mac: macForIp(ip), vtep: A.vtep };
}

async function anchorAdd(hosts: HostRt[], k: number, A: HostRt, B: HostRt, built: Built): Promise<Sample> {
  const p = anchorPeer(k, A);
  await addAnchorEndpoint(A.anchor, `${A.netns}-cvt${k}`, `cvt${k}`, p.ip, p.mac);
  const others = hosts.filter((h) => h !== A);
  const pinger = new Pinger(B.anchorPinger.netns, p.ip);
  built.pingers.push(pinger);
  pinger.start();
  await sleep(ANCHOR_LEAD_MS);
  const t0 = now();
  for (const h of hosts) h.anchorWatch.forget(t0);
  let programmedB: number | undefined;
  const waiting = Promise.all([entries(others, (h) => h.anchorWatch, p.mac, p.ip, false, t0), pinger.firstReply(SAMPLE_TIMEOUT_MS)]);
  // Each host programs itself, as each daemon does, so the hosts work in parallel.
  await Promise.all(others.map(async (h) => {
    await programAnchor(h.anchor.name, [p], []);
    if (h === B) programmedB = now();
  }));
  const [e, ping] = await waiting;
  await pinger.stop();
  const bi = others.indexOf(B);
  return {
    batchesB: rel(programmedB, t0),
    ping: rel(ping, t0),
    fdbB: rel(e.fdb[bi], t0),
    neighB: rel(e.neigh[bi], t0),
    allHosts: rel(latest([...e.fdb, ...e.neigh]), t0),
    pingAfterEntries: ping === undefined || e.fdb[bi] === undefined || e.neigh[bi] === undefined ? undefined : ping - Math.max(e.fdb[bi]!, e.neigh[bi]!),
  };
}

async function anchorRemove(hosts: HostRt[], k: number, A: HostRt): Promise<Sample> {
  const p = anchorPeer(k, A);
  const others = hosts.filter((h) => h !== A);
  const t0 = now();
  for (const h of hosts) h.anchorWatch.forget(t0);
  const waiting = entries(others, (h) => h.anchorWatch, p.mac, p.ip, true, t0);
  await Promise.all(others.map((h) => programAnchor(h.anchor.name, [], [p])));
  const e = await waiting;
  await removeNetns(`${A.netns}-cvt${k}`);
  return { goneAll: rel(latest(e.fdb), t0) };
}

async function cleanup(built: Built): Promise<void> {
  const problems: string[] = [];
  for (const p of built.pingers.splice(0)) await p.stop().catch((e: unknown) => problems.push((e as Error).message));
  for (const w of built.watches.splice(0)) await w.stop().catch((e: unknown) => problems.push((e as Error).message));
  for (const w of built.files.splice(0)) w.stop();
  for (const c of [...children]) await stopChild(c).catch((e: unknown) => problems.push((e as Error).message));
  problems.push(...(await removeAnchor(built.anchorSandboxes)));
  // Interrupted while the lab was coming up: let `lab up` finish (it removes what it made
  // if it fails), then take the lab down like any other.
  const lab = built.lab ?? (built.labUp ? await built.labUp.catch(() => undefined) : undefined);
  built.lab = undefined;
  built.labUp = undefined;
  if (lab) {
    await lab.down().catch((e: unknown) => problems.push((e as Error).message));
  } else if (built.labName) {
    const r = await labCli(['down', '--name', built.labName], { timeoutMs: 60_000 });
    if (r.code !== 0 && !/no lab|not found|does not exist/i.test(r.stderr)) problems.push(`tsswarm lab down --name ${built.labName}: ${r.stderr.trim()}`);
  }
  if (problems.length > 0) throw new Error(`cleanup left something behind: ${problems.join('; ')}`);
}

interface Stat { median: number; p99: number; n: number; misses: number }

function stat(samples: Sample[], key: string): Stat {
  const xs = samples.map((s) => s[key]);
  const seen = xs.filter((x): x is number => x !== undefined);
  return { median: pct(seen, 50), p99: pct(seen, 99), n: seen.length, misses: xs.length - seen.length };
}

/** tsswarm/anchor of the medians; undefined when tsswarm's is not positive (converged before its CLI returned). */
function ratio(ts: Stat, anchor: Stat): number | undefined {
  return ts.median > 0 && anchor.median > 0 ? ts.median / anchor.median : undefined;
}

function ratioText(ts: Stat, anchor: Stat): string {
  const r = ratio(ts, anchor);
  return r === undefined ? (Number.isNaN(ts.median) ? '-' : 'n/a (≤ 0: done before the CLI returned)') : r.toFixed(2);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const say = (s: string): void => { if (a.json) console.error(s); else console.log(s); };
  // Named here, not by Lab.up, so an interrupted bench still knows which lab to take down.
  const built: Built = { labName: `ts${randomBytes(3).toString('hex')}`, watches: [], files: [], pingers: [], anchorSandboxes: [] };
  let cleaning: Promise<void> | undefined;
  const clean = (): Promise<void> => (cleaning ??= cleanup(built));
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      console.error(`bench:converge: ${sig}, cleaning up`);
      clean().catch((e: unknown) => console.error((e as Error).message)).finally(() => process.exit(code));
    });
  }

  say(`bench:converge — ${a.containers} containers over ${a.hosts} hosts (1 manager + ${a.hosts - 1} workers), each followed by a hand-programmed anchor sample`);
  try {
    const { lab, hosts, vni } = await setup(a, built, say);
    const H = hosts.length;
    const pair = (k: number): [HostRt, HostRt] => {
      const ai = k % H;
      // B walks over the other hosts as k grows, so every ordered pair is measured.
      const bi = (ai + 1 + (Math.floor(k / H) % (H - 1))) % H;
      return [hosts[ai]!, hosts[bi]!];
    };
    const ts: Sample[] = [];
    const an: Sample[] = [];
    const f = (x: number | undefined): string => (x === undefined ? 'miss' : x.toFixed(1));
    for (let k = 0; k < a.containers; k++) {
      const [A, B] = pair(k);
      const t = await tsswarmAdd(lab, hosts, k, A, B, built);
      const h = await anchorAdd(hosts, k, A, B, built);
      ts.push(t);
      an.push(h);
      say(`add ${String(k).padStart(3)} ${A.name}→${B.name}  tsswarm: run ${f(t['runCli'])}  pub→fdbB ${f(t['publishedToFdbB'])}  veth→fdbB ${f(t['attachedToFdbB'])}  fdbB ${f(t['fdbB'])}  all ${f(t['allHosts'])}  ping ${f(t['ping'])}   anchor: fdbB ${f(h['fdbB'])}  all ${f(h['allHosts'])}  ping ${f(h['ping'])}`);
    }
    const tsRm: Sample[] = [];
    const anRm: Sample[] = [];
    for (let k = 0; k < a.containers; k++) {
      const [A] = pair(k);
      const t = await tsswarmRemove(lab, hosts, k, A);
      const h = await anchorRemove(hosts, k, A);
      tsRm.push(t);
      anRm.push(h);
      say(`rm  ${String(k).padStart(3)} ${A.name}  tsswarm: rm ${f(t['rmCli'])}  gone ${f(t['goneAll'])}   anchor: gone ${f(h['goneAll'])}`);
    }

    const rows: { label: string; ts: Stat; anchor?: Stat }[] = [
      { label: 'add → first ping reply from B', ts: stat(ts, 'ping'), anchor: stat(an, 'ping') },
      { label: 'A wrote dns.json (published) → B\'s FDB entry', ts: stat(ts, 'publishedToFdbB'), anchor: stat(an, 'fdbB') },
      { label: 'A wrote dns.json (published) → first ping from B', ts: stat(ts, 'publishedToPing'), anchor: stat(an, 'ping') },
      { label: 'A wrote dns.json (published) → FDB+neigh everywhere', ts: stat(ts, 'publishedToAll'), anchor: stat(an, 'allHosts') },
      { label: 'A wrote dns.json on rm → FDB entry gone everywhere', ts: stat(tsRm, 'publishedToGone'), anchor: stat(anRm, 'goneAll') },
      { label: 'A wrote dns.json → B wrote dns.json', ts: stat(ts, 'publishedToHeardB') },
      { label: 'A\'s veth up → A wrote dns.json', ts: stat(ts, 'attachedToPublished') },
      { label: 'A\'s veth up → B\'s FDB entry (upper bound on gossip+B)', ts: stat(ts, 'attachedToFdbB'), anchor: stat(an, 'fdbB') },
      { label: 'add → B\'s FDB entry', ts: stat(ts, 'fdbB'), anchor: stat(an, 'fdbB') },
      { label: 'add → FDB+neigh on every other host', ts: stat(ts, 'allHosts'), anchor: stat(an, 'allHosts') },
      { label: 'rm → FDB entry gone on every other host', ts: stat(tsRm, 'goneAll'), anchor: stat(anRm, 'goneAll') },
      { label: 'ping reply after B\'s entries (probe lag)', ts: stat(ts, 'pingAfterEntries'), anchor: stat(an, 'pingAfterEntries') },
      { label: 'anchor: B\'s two batches done', ts: stat(an, 'batchesB') },
      { label: 'tsswarm run CLI (spawn → return)', ts: stat(ts, 'runCli') },
      { label: 'tsswarm ps -q CLI on A (the CLI\'s floor)', ts: stat(ts, 'psCli') },
      { label: 'run issued → A\'s veth up on its bridge', ts: stat(ts, 'issuedToAttached') },
      { label: 'run issued → first ping reply from B', ts: stat(ts, 'issuedToPing') },
      { label: 'tsswarm rm -f CLI (spawn → return)', ts: stat(tsRm, 'rmCli') },
      { label: 'rm issued → gone on every other host', ts: stat(tsRm, 'goneAllFromIssue') },
    ];
    const pingTs = rows.find((r) => r.label === 'add → first ping reply from B')!.ts;
    const met = pingTs.misses === 0 && pingTs.median < 300;
    if (a.json) {
      console.log(JSON.stringify({
        bench: 'converge', hosts: hosts.map((h) => h.name), containers: a.containers, vni, anchorVni: ANCHOR_VNI,
        rows: rows.map((r) => ({ figure: r.label, tsswarm: r.ts, anchor: r.anchor, ratio: r.anchor ? ratio(r.ts, r.anchor) : undefined })),
        target: { figure: 'add → first ping reply from B, median < 300 ms', medianMs: pingTs.median, met },
        samples: { add: ts, addAnchor: an, rm: tsRm, rmAnchor: anRm },
      }, null, 2));
    } else {
      const c = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1)).padStart(8);
      console.log('');
      console.log(`figure (ms; "add"/"rm" = tsswarm CLI returned, anchor: batches issued)  tsswarm median      p99   anchor median      p99   ratio (medians)`);
      for (const r of rows) {
        const misses = r.ts.misses + (r.anchor?.misses ?? 0);
        console.log(`${r.label.padEnd(62)} ${c(r.ts.median).padStart(14)} ${c(r.ts.p99)}   ${r.anchor ? c(r.anchor.median).padStart(13) : ' '.repeat(13)} ${r.anchor ? c(r.anchor.p99) : ' '.repeat(8)}   ${r.anchor ? ratioText(r.ts, r.anchor) : ''}${misses > 0 ? `   (${misses} not seen within ${SAMPLE_TIMEOUT_MS} ms)` : ''}`);
      }
      console.log(`(n = ${a.containers} per figure; p99 of ${a.containers} samples is the ${Math.ceil(0.99 * a.containers)}th smallest; negative = before the CLI returned)`);
      console.log('');
      console.log(`target: first ping from another host within 300 ms of \`tsswarm run\` returning, at the median — ${met ? 'met' : 'MISSED'} (${pingTs.median.toFixed(1)} ms)`);
    }
  } finally {
    await clean();
    if (anchorNetns.size > 0) console.error(`bench:converge: anchor namespaces left: ${[...anchorNetns].join(', ')}`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:converge: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
